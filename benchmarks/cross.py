"""An unseen microscope: train on one phase-contrast set (HeLa or Usiigaci), score on all training images of the
other, rescaled by its known cell size (and, in one row, by the size `cellnet count` estimates per image), against
the LoG detector tuned on the source set.

    python benchmarks/cross.py --threads 1                      # both directions, the default recipe (2,000 steps each)
    python benchmarks/cross.py --experiment unseen_microscope --cell-size per-image --threads 1   # the recipe for it
    python benchmarks/cross.py --source hela-phc                # one direction only: HeLa → Usiigaci
    python benchmarks/cross.py --size-factors 0.7,1,1.75 --thresholds 0.3   # + scored at other cell sizes and thresholds

`--cell-size per-image` rescales each Usiigaci image (as the target) by its own cell size, from its mask. With
`--size-factors` the model is also scored at those multiples of the target's known cell size, at its calibrated peak
threshold and at each of `--thresholds`: chosen on the target's own points, a diagnostic, not a result. An ensemble
(`members` > 1) also gets each member alone and results/bench/<name>-from-<set>-members.png (per-image F1).
Time: two trainings (train_speed.py measures their speed); each run records its own in meta.seconds."""
import re, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (ROOT, BENCH, parser, cfg_for, samples, train, model_scores, member_scores, auto_scores, log_baseline,
                     own_size_images, show, result_name, write_result, PEAK_PIXELS)
from cellnet.learner import load_train_images, DATASETS

DIRECTIONS = (('hela-phc', 'usiigaci'), ('usiigaci', 'hela-phc'))

def save_member_f1(rows: dict, name: str, title: str):
    "results/bench/<name>-members.png: per-image F1 of each member of an ensemble alone and of the ensemble (`rows`: label → model_scores)."
    import matplotlib.pyplot as plt
    ids = sorted(next(iter(rows.values()))['image_f1'], key=lambda i: int(re.sub(r'\D', '', i) or 0))
    fig, ax = plt.subplots(figsize=(max(6, 0.32 * len(ids)), 3))
    w = 0.8 / len(rows)
    for k, (label, r) in enumerate(rows.items()):
        ax.bar(np.arange(len(ids)) + (k - (len(rows) - 1) / 2) * w, [r['image_f1'][i] for i in ids], w, label=f"{label}: F1 {r['f1']:.3f}")
    ax.set_xticks(range(len(ids)), ids, rotation=90, fontsize=7)
    ax.set_ylabel('F1')
    ax.set_ylim(0, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc='upper center', ncol=len(rows))
    fig.tight_layout()
    out = BENCH/f'{name}-members.png'
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    print(f'  per-image F1 of the members and the ensemble: {out.relative_to(ROOT)}')

def size_diagnostic(tr, cfg, src, dst, factors, thresholds) -> dict:
    """Scores of `tr` on `dst` at `factors` × its known cell size, at the calibrated peak threshold and at each of
    `thresholds`. Both are chosen here on the target's own points: a diagnostic of what the gap is, not a result."""
    rows, known = {}, DATASETS[dst]['cell_diameter']
    for f in factors:
        ims = load_train_images(samples(dst), dict(cfg, datasets={dst: dict(DATASETS[dst], cell_diameter=known * f)}), dst)
        for thr in (tr.config.peaks['threshold'], *thresholds):
            rows[f'{src} → {dst} at {f:g}× its size, threshold {thr:g}'] = model_scores(tr, ims, threshold=thr)
    return rows

def direction(src, dst, a, name) -> dict:
    "The rows of one direction: `src`'s model on `dst` in each way of scoring, the LoG baseline, the size diagnostic."
    cfg = cfg_for([src], a)
    tr = train(cfg, load_train_images(samples(src), cfg, src), a, src)
    per_image = a.cell_size == 'per-image' and dst == 'usiigaci'   # only Usiigaci has masks to measure
    test_images = (own_size_images if per_image else load_train_images)(samples(dst), cfg, dst)   # rescaled by the known cell diameter
    row = f'{src} → {dst}' + (', each image at its own cell size' if per_image else '')
    rows = {row: model_scores(tr, test_images),
            f'{row}, flips averaged': model_scores(tr, test_images, tta=True),
            f'{row}, D4 averaged': model_scores(tr, test_images, tta='d4'),   # flips and transposes: the eight symmetries
            f'{row}, relative threshold, D4 averaged': model_scores(tr, test_images, 'd4', relative=True)}
    for tta in (False, True):   # the threshold a fraction of each image's median peak mass (find_peaks' relative)
        rows[f'{row}, relative threshold{", flips averaged" if tta else ""}'] = model_scores(tr, test_images, tta, relative=True)
    rows[f'{row}, flips averaged, peak pixels'] = model_scores(tr, test_images, True, **PEAK_PIXELS)
    rows[f'{row}, relative threshold, flips averaged, peak pixels'] = model_scores(tr, test_images, True, relative=True, **PEAK_PIXELS)
    best = f'{row}, relative threshold, D4 averaged'
    if alone := member_scores(tr, test_images, best, 'd4', relative=True):   # an ensemble's members, scored as its best row
        rows |= alone
        save_member_f1({k[len(best) + 2:]: v for k, v in alone.items()} | {'ensemble': rows[best]},
                       name + ('' if a.source else f'-from-{src}'), best)
    rows[f'{src} → {dst}, size estimated'] = auto_scores(tr, samples(dst), dst)
    rows |= size_diagnostic(tr, cfg, src, dst, a.size_factors, a.thresholds)
    rows[f'LoG tuned on {src} → {dst}'] = log_baseline(samples(src), samples(dst), DATASETS[dst]['tol'])
    return rows

if __name__ == '__main__':
    ap = parser(__doc__)
    floats = lambda v: [float(x) for x in v.split(',') if x]
    ap.add_argument('--cell-size', choices=['dataset', 'per-image'], default='dataset',
                    help="Usiigaci as the target: rescale by the set's one cell diameter, or each image by its own (from its mask)")
    ap.add_argument('--size-factors', type=floats, default=[], metavar='F,F,…',
                    help="also score at these multiples of the target set's known cell size (a diagnostic)")
    ap.add_argument('--thresholds', type=floats, default=[], metavar='T,T,…',
                    help='with --size-factors, also at these peak thresholds besides the calibrated one')
    ap.add_argument('--source', choices=['hela-phc', 'usiigaci'], default=None, help='train on this set only (one direction; default: both)')
    a = ap.parse_args()
    t0 = time.time()
    name = result_name(__file__, a, ap)
    rows = {}
    for src, dst in DIRECTIONS:
        if not a.source or src == a.source: rows |= direction(src, dst, a, name)
    show('Generalisation to an unseen microscope (test-time rescaling by the known or the estimated cell diameter)', rows)
    write_result(name, rows, t0)
