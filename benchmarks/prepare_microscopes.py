"""`cellnet prepare` on other microscopes (issue 28): does it leave images to train on, with the annotated centres
inside the foreground masks, whatever the microscope?

    python benchmarks/prepare_microscopes.py                 # every variant of cellnet.microscopes (about 15 minutes)
    python benchmarks/prepare_microscopes.py --variants evos inverted --images 2

Each variant of `cellnet.microscopes.VARIANTS` (JPEG, rescaled 0.4×–2.5×, gamma, low contrast, inverted, uneven light,
an EVOS-like camera) is applied to `--images` annotated images of HeLa and of Usiigaci, written as a user's Label Studio
folder with their clicks marked sparse, plus `--mosaics` dense 2048×1536 mosaics and one image with no cells
(a flat field), and `prepare`d as a user's folder is. A row per set and variant: the images training may use (of all),
how many of them only near their clicks (sparse with a BAD mask: since 2d78ae5 these are trained, not left out), the
annotated centres inside the fitted masks (pooled), the foreground fraction (median over the images with cells) and the
masks' statuses. Goals (issue 28): at least one usable image per set with its mask (not near its clicks only), ≥ 99 %
of the centres inside.
Writes results/bench/prepare_microscopes.json."""
import argparse, sys, tempfile, time
from collections import Counter
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, every_kth, result_name, write_result
from cellnet.fgmask import _pixels
from cellnet.microscopes import VARIANTS, make_microscope
from cellnet.prepare import prepare, load_prepared
from cellnet.quality import exclusion_reason

def inside(sample) -> tuple[int, int]:
    "(annotated centres inside the sample's mask, all its annotated centres)."
    p = sample.points[sample.points[:, 2] == 1]
    return int(sample.fgmask[_pixels(p, sample.fgmask.shape)].astype(bool).sum()), len(p)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument('--sets', nargs='+', default=['hela-phc', 'usiigaci'])
    ap.add_argument('--images', type=int, default=4, help='annotated images per set (every k-th of the set)')
    ap.add_argument('--mosaics', type=int, default=1, help='dense 2048×1536 mosaics per set')
    a = ap.parse_args()
    t0, rows = time.time(), {}
    for v in a.variants:
        for s in a.sets:
            t = time.time()
            names = sorted(p.name for p in (SHARED/s/'images').iterdir())
            names = every_kth(names, a.images)
            d = Path(tempfile.mkdtemp(prefix='cellnet-prepare-'))/f'{s}-{v}'
            make_microscope(SHARED/s, d, VARIANTS[v], names=names, mosaics=a.mosaics, empty='flat')
            prepare(d)
            samples = load_prepared(d, d)
            usable = [x for x in samples if exclusion_reason(x.annotation_status, x.fgmask_status) is None]
            near_dots = [x for x in usable if x.annotation_status == 'sparse' and x.fgmask_status == 'BAD']
            ins = np.array([inside(x) for x in samples if x.fgmask is not None and (x.points[:, 2] == 1).any()]).reshape(-1, 2)
            fg = [float(x.fgmask.astype(bool).mean()) for x in samples if x.fgmask is not None and len(x.points)]
            rows[f'{s}, {v}'] = dict(images=len(samples), usable=len(usable), near_dots=len(near_dots),
                                     inside=float(ins[:, 0].sum() / max(1, ins[:, 1].sum())), centres=int(ins[:, 1].sum()), foreground=float(np.median(fg)) if fg else None,
                                     statuses=dict(Counter(x.fgmask_status or 'none' for x in samples)))
            r = rows[f'{s}, {v}']
            print(f"{s:<9} {v:<13} usable {r['usable']}/{r['images']} ({r['near_dots']} near their clicks only), "
                  f"centres inside {r['inside']:.2%} of {r['centres']}, "
                  f"foreground {r['foreground']}, masks {r['statuses']} ({time.time() - t:.0f} s)", flush=True)
    write_result(result_name(__file__, a, ap), rows, t0)

if __name__ == '__main__':
    main()
