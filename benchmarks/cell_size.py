"""How well `cellnet.predict.estimate_cell_diameter` finds the cell size, with the shipped model, on the shared sets and
on other microscopes made from them (`cellnet.microscopes`).

    python benchmarks/cell_size.py            # about 10 minutes on one core (taskset -c 0 to keep it there)
    python benchmarks/cell_size.py --images 4 # a quick look

Each image is read from its file as a user's would be (the variants are encoded, e.g. as RGB JPEG, and read back with
`load_image`), normalised as `count_image` does, and its cell diameter estimated. The truth: the median nearest-neighbour
distance of the full annotations (HeLa, VGG) or the median equivalent diameter of the instance masks (Usiigaci),
times the variant's scale; for a mosaic, the median of its tiles' sources' truths. Images: `--images` per set, for
Usiigaci half of them from each of its two cultures (cells about 41 and 69 px). Variants: the files as they are,
rescaled 0.5× and 2×, RGB JPEG at quality 70, inverted contrast, a gradient and a vignette of light (dimming by 60 %),
and dense 2048×1536 mosaics tiled from the same images (`--mosaics` per set, or per culture).

A row per set and variant: images, median truth and estimate (px), median relative error |estimate / truth − 1|, the
worst ratio max(estimate / truth, truth / estimate), and the images off by more than 1.4× or with no estimate.
Goals (issue 28): median error ≤ 15 %, no image off by more than 1.4×. Writes results/bench/cell_size.json."""
import argparse, io, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, equivalent_diameters, result_name, write_result
from cellnet.io import load_image, normalize_image
from cellnet.microscopes import VARIANTS, Variant, median_spacing, mosaic, read_frames
from cellnet.predict import estimate_cell_diameter
from cellnet.release import init_model

GOAL_MEDIAN, GOAL_RATIO = 0.15, 1.4
# Usiigaci's two cultures (shared data README): sets 13–16, 19, 20, 30–45 hold cells about 41 px across, the rest about 69 px
USIIGACI_SMALL = {13, 14, 15, 16, 19, 20, *range(30, 46)}
VARIANT_NAMES = ('rescale-0.5', 'rescale-2', 'jpeg-q70', 'inverted', 'gradient', 'vignette')

def chosen(name: str, n: int) -> list[list[str]]:
    "The images of set `name` to measure, in groups of one culture each: the first `n` (Usiigaci: n/2 of each culture)."
    files = sorted(p.name for p in (SHARED/name/'images').iterdir())
    if name != 'usiigaci': return [files[:n]]
    number = lambda f: int(Path(f).stem.removeprefix('set'))
    by_number = sorted(files, key=number)
    small = [f for f in by_number if number(f) in USIIGACI_SMALL]
    large = [f for f in by_number if number(f) not in USIIGACI_SMALL]
    return [large[:n - n // 2], small[:n // 2]]

def truths(name: str, frames) -> dict:
    "{image: true cell diameter (px)} of the source frames of set `name`."
    if name == 'usiigaci':
        return {f.name: float(np.median(equivalent_diameters([SHARED/name/'masks'/(Path(f.name).stem + '.png')]))) for f in frames}
    return {f.name: median_spacing(f.points) for f in frames}

def estimate(image: np.ndarray, model) -> float | None:
    "The estimate of `count_image`'s size step for a file's pixels `image`."
    return estimate_cell_diameter(normalize_image(image, **model.config.normalize), model)

def row(pairs: list[tuple[float, float | None]]) -> dict:
    "Scores of (truth, estimate) pairs; an image with no estimate counts as off."
    truth = np.array([t for t, _ in pairs])
    found = [(t, e) for t, e in pairs if e is not None]
    ratios = np.array([e / t for t, e in found])
    off = int(sum(max(r, 1 / r) > GOAL_RATIO for r in ratios)) + len(pairs) - len(found)
    return dict(images=len(pairs), truth_px=float(np.median(truth)),
                estimate_px=float(np.median([e for _, e in found])) if found else None,
                median_rel=float(np.median(np.abs(ratios - 1))) if found else None,
                worst_ratio=float(np.max(np.maximum(ratios, 1 / ratios))) if found else None,
                off_1_4x=off, no_estimate=len(pairs) - len(found))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--images', type=int, default=12, help='images per set (default 12; HeLa has 11)')
    ap.add_argument('--mosaics', type=int, default=2, help='2048×1536 mosaics per set, or per Usiigaci culture (default 2)')
    ap.set_defaults(set=[])   # no recipe settings (`result_name` reads them)
    a = ap.parse_args()
    t0 = time.time()
    model = init_model()
    print(f'model {model.version}: cells of {model.config.cell_diameter:g} px; goals: median error ≤ {GOAL_MEDIAN:.0%}, '
          f'no image off by more than {GOAL_RATIO}×', flush=True)
    rows, every = {}, []
    for name in ('hela-phc', 'usiigaci', 'vgg-cells'):
        groups = chosen(name, a.images)
        frames = read_frames(SHARED/name, sum(groups, []), default_status='fully')
        truth = truths(name, frames)
        measured = {'as recorded': [(truth[f.name], estimate(load_image(SHARED/name/'images'/f.name), model)) for f in frames]}
        for v in map(VARIANTS.get, VARIANT_NAMES):
            measured[v.name] = [(truth[f.name] * v.scale, estimate(load_image(io.BytesIO(v.encode(v.apply(f, i), i))), model))
                                for i, f in enumerate(frames)]
        tiled = Variant('mosaic')
        measured['mosaic 2048×1536'] = []
        for g, group in enumerate(groups):
            members = [f for f in frames if f.name in group]
            for j in range(a.mosaics):
                m = mosaic(members, rng=tiled.rng(100 * g + j))
                measured['mosaic 2048×1536'].append((float(np.median([truth[s] for s in m.sources])),
                                                     estimate(load_image(io.BytesIO(tiled.encode(m, j))), model)))
        for variant, pairs in measured.items():
            rows[f'{name}, {variant}'] = r = row(pairs)
            every += pairs
            print(f"  {name + ', ' + variant:<36} {r['images']:>3} images  truth {r['truth_px']:6.1f} px  estimate "
                  f"{r['estimate_px'] or float('nan'):6.1f} px  median error {r['median_rel'] or float('nan'):6.1%}  "
                  f"worst {r['worst_ratio'] or float('nan'):5.2f}×  off > {GOAL_RATIO}×: {r['off_1_4x']}", flush=True)
    rows['all sets and variants'] = total = row(every)
    print(f"all: {total['images']} images, median error {total['median_rel']:.1%} (goal ≤ {GOAL_MEDIAN:.0%}), worst "
          f"{total['worst_ratio']:.2f}×, {total['off_1_4x']} off by more than {GOAL_RATIO}× (goal 0)")
    write_result(result_name(__file__, a, ap), rows, t0)

if __name__ == '__main__': main()
