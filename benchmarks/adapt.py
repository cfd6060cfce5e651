"""A new microscope from a few clicks (issue 28): a model trained without the target set, adapted on ONE image of it (or
2, 4) with a fraction of its points (30 %, or 10 %, 100 %), each click moved by about 2 px, and scored on the target
set's other images against the same model zero-shot and a model trained from scratch on the same clicks.

    python benchmarks/adapt.py --run-dir /tmp/adapt              # both directions, the whole curve
    python benchmarks/adapt.py --directions hela-phc:usiigaci --images 1 --fractions 0.3   # one point of it

Per direction `source:target`: the base model is the release recipe trained on the source set alone (kept in
`--run-dir/base-<source>`, so later runs reuse it). For each number of images and fraction of clicks, the clicks are
written as a user's Label Studio folder (8-bit PNG images, one export) and `prepare`d as a user's would be: the
foreground masks are fitted from those clicks alone, and the images are trained on at the target set's known cell size.
On those clicks: `adapt` (the adapt recipe from the base model, on the clicks alone), `adapt + source` (the same, the
source set's images mixed in), `scratch` (the default recipe from random weights, `--scratch-steps` steps). Each model is
saved and counted on the target's images that were not clicked with the cell size estimated on each image (as
`cellnet count --cell-diameter per-image` counts them): F1 at the set's tolerance (HeLa 8 px, Usiigaci 19 px), count error of the model's count, training seconds; and the
same counted at the set's cell size (HeLa 16 px, Usiigaci 58 px: what the clicks were trained at, which a user who
adapts has given, and which the saved model records: what `cellnet count` now counts at by default),
`f1_at_size` and `count_rel_at_size`.
Goals (issue 28), with at most 10 minutes of training on 2 cores: Usiigaci F1 ≥ 0.85, HeLa F1 ≥ 0.95, count error ≤ 10 %.
Writes results/bench/adapt.json (with the options that differ from the defaults in its name)."""
import argparse, dataclasses, json, sys, tempfile, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, count_scores, result_name, samples, train, write_result
from cellnet.io import load_image, save_json
from cellnet.learner import DATASETS, experiment_configs, load_train_images, save_model
from cellnet.microscopes import read_frames, write_frames
from cellnet.prepare import prepare, load_prepared
from cellnet.release import init_model

JITTER = 2.0   # px: the RMS distance a click is moved from the annotated centre

def clicks(target: str, names: list[str], fraction: float, seed: int, out: Path) -> Path:
    "A user's data folder `out`: the images `names` of `target`, each with `fraction` of its cells clicked, jittered."
    rng = np.random.default_rng(seed)
    frames = []
    for f in read_frames(SHARED/target, names):
        cells = f.points[f.points[:, 2] == 1]
        kept = cells[np.sort(rng.choice(len(cells), max(1, round(fraction * len(cells))), replace=False))].copy()
        kept[:, :2] += rng.normal(0, JITTER / np.sqrt(2), (len(kept), 2))
        H, W = f.image.shape
        kept[:, :2] = np.clip(kept[:, :2], 0, [W - 1e-3, H - 1e-3])
        frames.append(dataclasses.replace(f, points=kept, status='fully' if fraction >= 1 else 'sparse'))
    write_frames(out, frames, name=out.name)
    prepare(out)
    return out

def scored(model_dir: Path, target: str, test) -> dict:
    """The model in `model_dir` counted on the `test` samples of `target` with the cell size estimated per image, and
    at the set's cell size, the one its clicks were trained at and the model records (`*_at_size`: `cellnet count`'s
    default for it)."""
    model, images = init_model(model_dir), [load_image(x.image_path) for x in test]
    s, g = (count_scores(model, [x.id for x in test], images, [x.points for x in test], DATASETS[target]['tol'], size)
            for size in ('auto', DATASETS[target]['cell_diameter']))
    return dict(f1=s['f1'], precision=s['precision'], recall=s['recall'], count_rel=s['errors']['count']['rel'],
                count_mae=s['errors']['count']['mae'], diameter_median=float(np.median(s['diameters'])),
                f1_at_size=g['f1'], count_rel_at_size=g['errors']['count']['rel'])

def trained_model(cfg, images, a, name: str) -> tuple[Path, float]:
    """Train (or reuse from --run-dir) `cfg` on `images`, calibrate and save it: (its model folder, seconds of training
    and calibration, as first measured: a reused model keeps its own)."""
    t0, timing = time.time(), Path(a.run_dir)/name/'seconds.json'
    tr = train(cfg, images, a, name)
    if not timing.exists(): save_json(timing, {'seconds': time.time() - t0})
    return save_model(tr.model, tr.config, Path(a.run_dir)/name/'model'), json.loads(timing.read_text())['seconds']

def steps(n: int | None) -> dict:
    return {} if n is None else {'steps': n}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--directions', nargs='+', default=['hela-phc:usiigaci', 'usiigaci:hela-phc'], help='source:target pairs')
    ap.add_argument('--images', nargs='+', type=int, default=[1, 2, 4], help='numbers of clicked images (at 30 %% of the clicks)')
    ap.add_argument('--fractions', nargs='+', type=float, default=[0.1, 0.3, 1.0], help='fractions of clicks (on one image)')
    ap.add_argument('--scratch-steps', type=int, default=1000, help='steps of the model trained from scratch (default recipe)')
    ap.add_argument('--adapt-steps', type=int, default=None, help="steps of adapting (default: the adapt recipe's)")
    ap.add_argument('--base-steps', type=int, default=None, help="steps of the base model (default: the release recipe's)")
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--run-dir', default=None, metavar='DIR', help='keep every trained model in DIR; a finished one is reused')
    ap.add_argument('--seed', type=int, default=0, help='which images and clicks are drawn')
    ap.add_argument('--test-images', type=int, default=None, help='score on only this many held-out images (a quick look)')
    a = ap.parse_args()
    t0, rows = time.time(), {}
    a.run_dir = a.run_dir or tempfile.mkdtemp(prefix='cellnet-adapt-')
    for pair in a.directions:
        source, target = pair.split(':')
        base_cfg = experiment_configs('release', {'data': [source], 'threads': a.threads, **steps(a.base_steps)})[0]
        base, base_s = trained_model(base_cfg, load_train_images(samples(source), base_cfg, source), a, f'base-{source}')
        everyone = samples(target)
        order = [everyone[i] for i in np.random.default_rng(a.seed).permutation(len(everyone))]
        points = sorted({(n, 0.3) for n in a.images} | {(1, f) for f in a.fractions})
        test = order[max(n for n, _ in points):][:a.test_images]   # the same held-out images for every point of the curve
        print(f'{source} → {target}: base trained in {base_s:.0f} s; {len(test)} held-out images', flush=True)
        rows[f'{target}: zero-shot (trained on {source})'] = scored(base, target, test)
        for n, frac in points:
            user = f'{target}-{n}img-{round(100 * frac)}pc'
            folder = Path(a.run_dir)/'data'/user
            if not (folder/'cache/annotators.json').exists():
                clicks(target, [x.id + Path(x.image_path).suffix for x in order[:n]], frac, a.seed, folder)
            known = {user: DATASETS[target]}
            common = {'datasets': known, 'threads': a.threads}
            adapt = {'init': str(base), **common, **steps(a.adapt_steps)}
            runs = {'adapt': experiment_configs('adapt', {'data': [user], **adapt}),
                    'adapt + source': experiment_configs('adapt', {'data': [user, source], **adapt}),
                    'scratch': experiment_configs('default', {'data': [user], **common, **steps(a.scratch_steps)})}
            for kind, (cfg,) in runs.items():
                ims = load_train_images(load_prepared(folder, folder), cfg, user)
                if source in cfg.data: ims += load_train_images(samples(source), cfg, source)
                model, secs = trained_model(cfg, ims, a, f'{user}-{kind.replace(" + ", "-")}')
                r = rows[f'{target}: {kind}, {n} image(s), {round(100 * frac)} % of the clicks'] = dict(
                    scored(model, target, test), train_s=secs, clicks=int(sum(len(t.points) for t in ims if t.dataset == user)))
                print(f"  {kind:<15} {n} image(s), {frac:.0%}: F1 {r['f1']:.3f}, count error {r['count_rel']:.1%} "
                      f"(at the set's size {r['f1_at_size']:.3f}, {r['count_rel_at_size']:.1%}), "
                      f"{r['train_s']:.0f} s ({r['clicks']} clicks)", flush=True)
    write_result(result_name(__file__, a, ap, unscored={'threads', 'run_dir'}), rows, t0)

if __name__ == '__main__':
    main()
