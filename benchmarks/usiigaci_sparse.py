"""Sparse, noisy clicks on Usiigaci: the default recipe trained on 37 training images with half of their centroids
dropped and the rest jittered by 3 px (σ), scored on all centroids of 8 other images at 19 px and at 28.9 px (half the
median cell diameter), against the LoG detector tuned on the same 37 images with all their centroids.

    python benchmarks/usiigaci_sparse.py --steps 2400 --threads 1 --cell-size per-image   # 2,400 steps: 52 min on one core
    python benchmarks/usiigaci_sparse.py --drop 0 --jitter 0   # the same images fully annotated (the ceiling)
    python benchmarks/usiigaci_sparse.py --set members=2       # two networks averaged, each also scored alone
    python benchmarks/usiigaci_sparse.py --masks none          # the ablation of the foreground mask: none, or the reference

`--cell-size per-image` rescales each image by its own cell size (from its mask): the set holds two cultures, of cells
about 41 and 69 px, which its one diameter of 58 px fits neither. `--masks` picks the foreground mask a sparse image is
trained with (the loss: on its background and near its clicks): `fitted` to the clicks (`cellnet.fgmask.fit_fgmask`, as
`cellnet prepare` fits it), `none` (the image marked as one whose mask failed, `fgmask_status` BAD, so trained near its
clicks only, as cellnet trains such an image) or `reference` (the instance masks' foreground, mask > 0). Also writes
results/bench/<name>-overlays.png, the three held-out images the centres miscount most."""
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (ROOT, BENCH, parser, cfg_for, samples, train, model_scores, member_scores, auto_scores, log_baseline,
                     own_size_images, own_size_factors, instance_mask, show, result_name, write_result, PEAK_PIXELS)
from cellnet.io import load_image
from cellnet.prepare import Sample
from cellnet.learner import load_train_images
from cellnet.annotations import simulate_annotator
from cellnet.fgmask import fit_fgmask

TOLERANCES = (19.0, 28.9)   # the goal's 19 px, and half the median equivalent diameter of the masks

def sparse_samples(train_s, drop, jitter, masks='fitted'):
    """`train_s` with `drop` of their centroids dropped and the rest jittered by `jitter` px, each with the foreground mask
    `masks`: 'fitted' to those points, 'none' (`fgmask_status` BAD: training reads no mask, see `cellnet.quality.uses_fgmask`,
    and learns near the points only) or 'reference' (the instance mask > 0)."""
    status = 'fully' if drop == 0 and jitter == 0 else 'sparse'   # --drop 0 --jitter 0: all centroids, as fully annotated images
    noisy = [simulate_annotator(s.points, load_image(s.image_path).shape, jitter=jitter, drop=drop, extra=0.0, seed=i)
             for i, s in enumerate(train_s)]
    if masks == 'fitted':
        fg = fit_fgmask((load_image(s.image_path) for s in train_s), noisy)
        fgmasks = [('ok', fg.predict(load_image(s.image_path))) for s in train_s]
    elif masks == 'reference': fgmasks = [('ok', (instance_mask(s) > 0).astype(np.uint8)) for s in train_s]
    else: fgmasks = [('BAD', None)] * len(train_s)
    return [Sample(s.id, s.image_path, p, status, *m) for s, p, m in zip(train_s, noisy, fgmasks)]

def save_overlays(tr, images, name, n=3):
    "results/bench/<name>-overlays.png: predicted centres and annotated cells on the `n` images with the largest centres count error."
    from cellnet.learner import plot_predictions, evaluate_model
    res = evaluate_model(tr.predictor, images)
    worst = sorted(images, key=lambda t: -abs(res['counts'][t.id].peaks - res['counts'][t.id].annotated))[:n]
    out = BENCH/f'{name}-overlays.png'
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_predictions(worst, res, tr.predictor, n).savefig(out, dpi=90)
    print(f'  overlays of the {n} images with the largest count errors: {out.relative_to(ROOT)}')

def scores_at(tr, test_images, tol) -> dict:
    "The model's rows at tolerance `tol`: plain, flips or D4 averaged (an ensemble's members alone), peak pixels, relative threshold."
    for t in test_images: t.tol = tol
    rows = {f'cellnet @ {tol} px': model_scores(tr, test_images),
            f'cellnet, flips averaged @ {tol} px': model_scores(tr, test_images, tta=True),
            f'cellnet, D4 averaged @ {tol} px': model_scores(tr, test_images, tta='d4')}
    rows |= member_scores(tr, test_images, f'cellnet, D4 averaged @ {tol} px', 'd4')
    rows[f'cellnet, flips averaged, peak pixels @ {tol} px'] = model_scores(tr, test_images, tta=True, **PEAK_PIXELS)
    for tta in (False, True):
        rows[f'cellnet, relative threshold{", flips averaged" if tta else ""} @ {tol} px'] = model_scores(tr, test_images, tta, relative=True)
    return rows

def main(a, ap):
    t0 = time.time()
    ss = samples('usiigaci')
    order = np.random.default_rng(0).permutation(len(ss))
    test_ids = {ss[i].id for i in order[:8]}
    train_s = [s for s in ss if s.id not in test_ids]
    test_s = [s for s in ss if s.id in test_ids]
    sparse = sparse_samples(train_s, a.drop, a.jitter, a.masks)
    kept = sum(len(s.points) for s in sparse) / sum(len(s.points) for s in train_s)
    print(f'  training on {len(sparse)} {sparse[0].annotation_status} images with {kept:.0%} of the centroids, '
          f'jittered by {a.jitter:g} px (σ), foreground masks: {a.masks}; testing on {len(test_s)}')
    cfg = cfg_for(['usiigaci'], a)
    per_image = a.cell_size == 'per-image'
    load = own_size_images if per_image else load_train_images
    tr = train(cfg, load(sparse, cfg, 'usiigaci'), a, 'model')
    test_images = load(test_s, cfg, 'usiigaci')
    factors = own_size_factors(ss, 'usiigaci') if per_image else None
    rows = {}
    for tol in TOLERANCES:
        rows |= scores_at(tr, test_images, tol)
        rows[f'LoG @ {tol} px'] = log_baseline(train_s, test_s, tol)
        if factors:   # LoG on the images rescaled as the model's are (it does worse there)
            rows[f'LoG, images rescaled per image @ {tol} px'] = log_baseline(train_s, test_s, tol, factors)
    rows['cellnet, size estimated'] = auto_scores(tr, test_s, 'usiigaci')   # as `cellnet count` does by default (tol 19 px)
    name = result_name(__file__, a, ap)
    save_overlays(tr, test_images, name)
    show(f'Usiigaci, training points {a.drop:.0%} dropped and jittered by {a.jitter:g} px, scored on full centroids of '
         f'8 held-out images (cell size: {a.cell_size}; foreground masks: {a.masks})', rows)
    write_result(name, rows, t0)

if __name__ == '__main__':
    ap = parser(__doc__)
    ap.add_argument('--drop', type=float, default=0.5, help='the fraction of centroids dropped')
    ap.add_argument('--jitter', type=float, default=3.0, help='σ in px of the jitter of the rest')
    ap.add_argument('--cell-size', choices=['dataset', 'per-image'], default='dataset',
                    help="rescale by the set's one cell diameter, or each image by its own (from its mask)")
    ap.add_argument('--masks', choices=['fitted', 'none', 'reference'], default='fitted',
                    help="a sparse image's foreground mask: fitted to its clicks, none (trained near its clicks only) "
                         "or the reference (the instance masks' foreground)")
    a = ap.parse_args()
    if a.masks != 'fitted' and a.drop == 0 and a.jitter == 0:
        ap.error('--masks: fully annotated images (--drop 0 --jitter 0) are trained everywhere, with no mask')
    main(a, ap)
