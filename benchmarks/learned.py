"""Benchmarks of the learned model against the tuned LoG baseline, on the shared training sets (never their test splits).

Run from the repository root, one benchmark per call (each trains from scratch; times are for this 2-core machine):

    .venv/bin/python benchmarks/learned.py speed                  # training crops/s of the default recipe
    .venv/bin/python benchmarks/learned.py hela --folds 3         # k-fold on the 11 HeLa images, F1 @ 8 px + count MAE
    .venv/bin/python benchmarks/learned.py release --folds 2      # the shipped model's recipe, k-fold over HeLa + Usiigaci
    .venv/bin/python benchmarks/learned.py usiigaci-sparse        # 50% of centroids dropped, rest jittered; scored on full centroids
    .venv/bin/python benchmarks/learned.py usiigaci-sparse --drop 0 --jitter 0   # the same images fully annotated (the ceiling)
    .venv/bin/python benchmarks/learned.py usiigaci-sparse --cell-size per-image  # each image at its own cell size (from its mask)
    .venv/bin/python benchmarks/learned.py cross                  # HeLa → Usiigaci and Usiigaci → HeLa
    .venv/bin/python benchmarks/learned.py cross --size-factors 0.7,1,1.75 --thresholds 0.3   # + scored at other cell sizes and thresholds
    .venv/bin/python benchmarks/learned.py cross --cell-size per-image   # Usiigaci targets each at its own cell size
    .venv/bin/python benchmarks/learned.py cross --source hela-phc       # one direction only: HeLa → Usiigaci
    .venv/bin/python benchmarks/learned.py cross --set 'normalize={"mad":[15,45]}'   # each image scaled by its median and MAD
    .venv/bin/python benchmarks/learned.py cross --set members=2  # an ensemble: two networks (seeds 0, 1), densities averaged
    .venv/bin/python benchmarks/learned.py vgg --draws 5          # Lempitsky protocol in the pool: N = 32, count MAE
    .venv/bin/python benchmarks/learned.py vgg --draws 5 --steps 600 --set loss=bayes --set 'aug.scale=[1.0,1.0]' \\
        --set calibrate_density=true --set 'normalize={"values":[0,255]}' --set 'loss_params={"sigma":5,"bg_radius":10}'   # the recipe of the VGG figures
    .venv/bin/python benchmarks/learned.py vgg --draws 2 --first-draw 3   # draws 3 and 4 only (split a run in two)
    .venv/bin/python benchmarks/learned.py recipe --variant 1     # the recipe ablation (one variant a call: run two at once)
    .venv/bin/python benchmarks/learned.py usiigaci-sparse --set radius=10   # any benchmark with a setting changed
    .venv/bin/python benchmarks/learned.py usiigaci-sparse --run-dir results/runs/sparse   # keep the model: run again to re-score it

`--steps` sets the training length (default: the `default` experiment's). `--run-dir DIR` keeps each trained model in
DIR/<model> (fold0, draw0, hela-phc, …) and resumes from its checkpoint there, so running the same command again scores
the finished models without training them (after a change to how centres are found, say); one folder per command.
Every run prints its figures and writes them to results/bench/<benchmark>[-steps<N>][-<setting>=<value>…].json, so runs
of different lengths or settings keep their own files. LoG is tuned (σ, threshold, polarity) on the same training
images the model sees, with their full annotations (its best case), and scored on the same held-out images."""
import argparse, json, os, re, sys, tempfile, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, count_scores
from cellnet.io import save_json, load_image, normalize_image
from cellnet.core import rescale
from cellnet.prepare import Sample, load_prepared, prepare
from cellnet.learner import (experiment_configs, load_train_images, kfold, Trainer, fit_model, calibrate, save_model,
                             evaluate_images, DATASETS)
from cellnet.release import init_model
from cellnet.metrics import tune_log, log_detect, evaluate, micro_scores, count_errors
from cellnet.annotations import simulate_annotator
from cellnet.fgmask import fit_fgmask

def samples(name):
    "Prepared samples of a shared set (prepared into data/sets/<name>/ once)."
    out = ROOT/'data/sets'/name
    if not (out/'cache/annotators.json').exists(): prepare(SHARED/name, out)
    return load_prepared(SHARED/name, out)

def train(cfg, train_images, a, model: str):
    """A trained (or, in `--run-dir`, resumed) model of `cfg` on `train_images` (a Trainer, or an Ensemble where
    `members` > 1, each member calibrated as a model of its own too), calibrated; `model` names its folder."""
    t0 = time.time()
    run_dir = Path(a.run_dir)/model if a.run_dir else tempfile.mkdtemp(prefix='cellnet-bench-')
    tr = fit_model(cfg, train_images, run_dir, log=lambda r: print('   ', r, flush=True))
    for m in [*getattr(tr, 'members', []), tr]: calibrate(m, calibration_images(train_images))
    print(f'    trained {cfg["steps"]} steps ({run_dir}) in {time.time() - t0:.0f} s; peak threshold {tr.cfg["peaks"]["threshold"]}, '
          f'density scale {tr.cfg["model"]["density_scale"]:.2f}', flush=True)
    return tr

def calibration_images(train_images):
    "What a model's threshold and count are calibrated on: the fully annotated training images, else all of them."
    return [t for t in train_images if t.annotation_status == 'fully'] or train_images

def log_baseline(train_s, test_s, tol, factors=None):
    """LoG tuned on `train_s` (full points), scored on `test_s`: (micro P/R/F1, count errors of the detections).
    `factors` ({id: factor}): each image is rescaled by its factor first (its cells to one size, as the model's
    images are), and the detections mapped back to the image's own pixels."""
    def scaled(s):   # (image, points, the file's shape)
        im = load_image(s.image_path)
        if not factors: return im, s.points, im.shape
        return *rescale(im, np.asarray(s.points, np.float32).reshape(-1, 3), factors[s.id])[:2], im.shape
    train = [scaled(s) for s in train_s]
    best, _ = tune_log([im for im, *_ in train], [p for _, p, _ in train], tol=tol)
    pred = {}
    for s in test_s:
        im, _, (H, W) = scaled(s)
        pred[s.id] = log_detect(im, best['sigma'], best['threshold'], best['polarity'])[0] * [W / im.shape[1], H / im.shape[0]]
    ev = evaluate(pred, {s.id: s.points for s in test_s}, tol)
    return dict(f1=ev['f1'], precision=ev['precision'], recall=ev['recall'], count_mae=ev['peaks']['mae'],
                count_rel=ev['peaks']['rel'], params={k: best[k] for k in ('sigma', 'threshold', 'polarity')})

PEAK_PIXELS = dict(centre_radius=0)   # centres at the peak pixels instead of their cells' centres of mass (the gain of that)

def model_scores(tr, test_images, tta=False, **peaks):
    "Scores of `tr` on `test_images`, with `peaks` settings (threshold, relative, centre_radius) changed from its own."
    s = evaluate_images(test_images, [tr.predict(t.image, tta) for t in test_images], {**tr.peak_params(), **peaks})
    pk = count_errors([p for _, p, _ in s['counts'].values()], [g for *_, g in s['counts'].values()])
    return {k: s['summary'][k] for k in ('f1', 'precision', 'recall', 'count_mae', 'count_rel')} | \
           {'peaks_mae': pk['mae'], 'peaks_rel': pk['rel'], 'counts': {i: dict(zip(('integral', 'peaks', 'annotated'), c))
                                                                       for i, c in s['counts'].items()},
            'image_f1': {r['image']: r['f1'] for d in s['datasets'].values() for r in d['rows']}}

def member_scores(tr, test_images, name: str, tta=False, **peaks) -> dict:
    "Rows '<name>, seed S alone': each member of an ensemble `tr` scored alone as row `name` scores `tr` ({} for one network)."
    return {f'{name}, seed {m.cfg["seed"]} alone': model_scores(m, test_images, tta, **peaks) for m in getattr(tr, 'members', [])}

def save_member_f1(rows: dict, name: str, title: str):
    "results/bench/<name>-members.png: per-image F1 of each member of an ensemble alone and of the ensemble (`rows`: label → model_scores)."
    import matplotlib.pyplot as plt
    ids = sorted(next(iter(rows.values()))['image_f1'], key=lambda i: int(re.sub(r'\D', '', i) or 0))
    fig, ax = plt.subplots(figsize=(max(6, 0.32 * len(ids)), 3))
    w = 0.8 / len(rows)
    for k, (label, r) in enumerate(rows.items()):
        ax.bar(np.arange(len(ids)) + (k - (len(rows) - 1) / 2) * w, [r['image_f1'][i] for i in ids], w, label=f"{label}: F1 {r['f1']:.3f}")
    ax.set_xticks(range(len(ids)), ids, rotation=90, fontsize=7); ax.set_ylabel('F1'); ax.set_ylim(0, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6)); ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc='upper center', ncol=len(rows)); fig.tight_layout()
    out = ROOT/'results/bench'/f'{name}-members.png'; out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90); plt.close(fig)
    print(f'  per-image F1 of the members and the ensemble: {out.relative_to(ROOT)}')

def save_overlays(tr, images, name, n=3):
    "results/bench/<name>-overlays.png: predicted centres and annotated cells on the `n` images with the largest centres count error."
    from cellnet.learner import plot_predictions
    res = tr.evaluate(images)
    worst = sorted(images, key=lambda t: -abs(res['counts'][t.id][1] - res['counts'][t.id][2]))[:n]
    out = ROOT/'results/bench'/f'{name}-overlays.png'; out.parent.mkdir(parents=True, exist_ok=True)
    plot_predictions(worst, res, tr, n).savefig(out, dpi=90)
    print(f'  overlays of the {n} images with the largest count errors: {out.relative_to(ROOT)}')

def show(title, rows):
    print(f'\n{title}')
    for name, r in rows.items():
        peaks = f"  (centres: MAE {r['peaks_mae']:.2f} rel {r['peaks_rel']:.3f})" if 'peaks_mae' in r else ''
        print(f"  {name:<50} F1 {r['f1']:.3f} (P {r['precision']:.3f} R {r['recall']:.3f})  count MAE {r['count_mae']:.2f}  rel {r['count_rel']:.3f}{peaks}")

def cfg_for(data, a, experiment='default', **kw):
    over = {**dict(data=data, **kw), **a.set}   # --set wins
    if a.steps: over['steps'] = a.steps
    if a.threads: over.setdefault('threads', a.threads)
    return experiment_configs(experiment, over)[0]

def bench_speed(a):
    cfg = cfg_for(['hela-phc', 'usiigaci'], a)
    ims = sum((load_train_images(samples(n), cfg, n) for n in cfg['data']), [])
    tr = Trainer(dict(cfg, steps=10_000), ims, tempfile.mkdtemp())
    tr.fit(until=3)                                   # warm-up
    t = time.time(); n = a.steps or 30; tr.fit(until=3 + n); dt = time.time() - t
    r = dict(crops_per_s=n * cfg['batch'] / dt, step_s=dt / n, crop=cfg['crop'], batch=cfg['batch'], threads=cfg['threads'])
    print(f"default recipe: {r['crops_per_s']:.1f} crops/s ({cfg['crop']}², batch {cfg['batch']}, {r['step_s']:.2f} s/step, {cfg['threads']} threads)")
    return r

def kfold_scores(sets, cfg, folds, a):
    """k-fold over `sets` together (stratified per set): each fold trains a model on the other folds and scores its
    held-out images, against LoG tuned per set on the same fold's training images. Per set: cellnet micro-scored over
    all held-out images; LoG the mean over folds."""
    ss = {n: samples(n) for n in sets}
    ims = sum((load_train_images(ss[n], cfg, n) for n in sets), [])
    # (flips averaged, relative threshold, peak pixels)
    variants = [(tta, rel, False) for tta in (False, True) for rel in (False, True)] + [(True, False, True), ('d4', False, False)]
    rows, logs = {(n, *v): [] for n in sets for v in variants}, {n: [] for n in sets}
    for f in range(folds):
        tr_i, va_i = kfold(ims, folds, f, cfg['seed'])
        print(f'  fold {f}: train {len(tr_i)}, validate {len(va_i)} images', flush=True)
        tr = train(cfg, tr_i, a, f'fold{f}')
        dens = {tta: [tr.predict(t.image, tta) for t in va_i] for tta in (False, True, 'd4')}
        ev = {(tta, rel, px): evaluate_images(va_i, dens[tta], {**tr.peak_params(), 'relative': rel, **(PEAK_PIXELS if px else {})})['datasets']
              for tta, rel, px in variants}
        for n in sets:
            for v in variants: rows[n, *v] += ev[v][n]['rows']
            held = {t.id for t in va_i if t.dataset == n}
            logs[n].append(log_baseline([s for s in ss[n] if s.id not in held], [s for s in ss[n] if s.id in held],
                                        tol=DATASETS[n]['tol']))
    res = {}
    for (n, tta, rel, px), r in rows.items():
        m = micro_scores(r)
        ce, pk = (count_errors([x[k] for x in r], [x['n_gt'] for x in r]) for k in ('count', 'n_pred'))
        tags = [w for w, on in (('relative threshold', rel), ('flips averaged', tta is True), ('D4 averaged', tta == 'd4'),
                                ('peak pixels', px)) if on]   # as the other benchmarks name them
        res[f'cellnet{", " + ", ".join(tags) + "," if tags else ""} on {n}'] = dict(
            f1=m['f1'], precision=m['precision'], recall=m['recall'], count_mae=ce['mae'], count_rel=ce['rel'],
            peaks_mae=pk['mae'], peaks_rel=pk['rel'])
    for n in sets:
        res[f'LoG on {n} (mean of folds)'] = {k: float(np.mean([x[k] for x in logs[n]]))
                                              for k in ('f1', 'precision', 'recall', 'count_mae', 'count_rel')}
    return res

def bench_hela(a):
    "The default recipe, k-fold on the 11 HeLa images."
    cfg = cfg_for(['hela-phc'], a)
    res = kfold_scores(['hela-phc'], cfg, a.folds, a)
    show(f'HeLa, {a.folds}-fold, tol 8 px ({cfg["steps"]} steps per fold)', res)
    return res

def bench_release(a):
    "The shipped model's recipe (`release`) on images it has not seen: k-fold over HeLa and Usiigaci together."
    sets = ['hela-phc', 'usiigaci']; cfg = cfg_for(sets, a, 'release')
    res = kfold_scores(sets, cfg, a.folds, a)
    show(f'Release recipe ({cfg["steps"]} steps), {a.folds}-fold over HeLa + Usiigaci, held-out images, '
         f'tolerance {DATASETS["hela-phc"]["tol"]:g} / {DATASETS["usiigaci"]["tol"]:g} px', res)
    return res

def sparse_noisy(s, drop=0.5, jitter=3.0, seed=0):
    h, w = load_image(s.image_path).shape
    p = simulate_annotator(s.points, (h, w), jitter=jitter, drop=drop, extra=0.0, seed=seed)
    return p

def mask_diameter(s) -> float:
    "Median equivalent diameter (px) of the cells in the instance mask of Usiigaci sample `s`."
    areas = np.bincount(np.asarray(load_image(SHARED/'usiigaci/masks'/f'{s.id}.png'), np.int64).ravel())[1:]
    return float(np.median(2 * np.sqrt(areas[areas > 0] / np.pi)))

def own_size_images(ss, cfg, name):
    """`load_train_images`, each image rescaled by its own cell size (from its mask) instead of the set's: Usiigaci
    holds two cultures, of cells about 41 and 69 px across, which one diameter for the set (58) fits neither."""
    return sum((load_train_images([s], dict(cfg, datasets={name: dict(DATASETS[name], cell_diameter=mask_diameter(s))}), name)
                for s in ss), [])

def own_size_factors(ss, name) -> dict:
    "{id: factor} that brings each image's cells (from its mask) to the set's one cell diameter (for LoG)."
    return {s.id: DATASETS[name]['cell_diameter'] / mask_diameter(s) for s in ss}

def bench_usiigaci_sparse(a):
    ss = samples('usiigaci'); rng = np.random.default_rng(0)
    order = rng.permutation(len(ss)); test_ids = {ss[i].id for i in order[:8]}
    train_s = [s for s in ss if s.id not in test_ids]; test_s = [s for s in ss if s.id in test_ids]
    # --drop 0 --jitter 0: the same images with all their centroids, as fully annotated images (the ceiling)
    status = 'fully' if a.drop == 0 and a.jitter == 0 else 'sparse'
    sparse = [Sample(s.id, s.image_path, sparse_noisy(s, a.drop, a.jitter, seed=i), status, '', None) for i, s in enumerate(train_s)]
    fg = fit_fgmask((load_image(s.image_path) for s in sparse), [s.points for s in sparse])
    sparse = [Sample(s.id, s.image_path, s.points, status, 'ok', fg.predict(load_image(s.image_path))) for s in sparse]
    kept = sum(len(s.points) for s in sparse) / sum(len(s.points) for s in train_s)
    print(f'  training on {len(sparse)} {status} images with {kept:.0%} of the centroids, jittered by {a.jitter:g} px (σ); testing on {len(test_s)}')
    cfg = cfg_for(['usiigaci'], a)
    load = own_size_images if a.cell_size == 'per-image' else load_train_images
    tr = train(cfg, load(sparse, cfg, 'usiigaci'), a, 'model')
    test_images = load(test_s, cfg, 'usiigaci')
    res, factors = {}, own_size_factors(ss, 'usiigaci') if a.cell_size == 'per-image' else None
    for tol in (19.0, 28.9):
        for t in test_images: t.tol = tol
        res[f'cellnet @ {tol} px'] = model_scores(tr, test_images)
        res[f'cellnet, flips averaged @ {tol} px'] = model_scores(tr, test_images, tta=True)
        res[f'cellnet, D4 averaged @ {tol} px'] = model_scores(tr, test_images, tta='d4')
        res |= member_scores(tr, test_images, f'cellnet, D4 averaged @ {tol} px', 'd4')   # an ensemble's members alone
        res[f'cellnet, flips averaged, peak pixels @ {tol} px'] = model_scores(tr, test_images, tta=True, **PEAK_PIXELS)
        for tta in (False, True):
            res[f'cellnet, relative threshold{", flips averaged" if tta else ""} @ {tol} px'] = model_scores(tr, test_images, tta, relative=True)
        res[f'LoG @ {tol} px'] = log_baseline(train_s, test_s, tol)
        if factors:   # LoG on the images rescaled as the model's are (it does worse there)
            res[f'LoG, images rescaled per image @ {tol} px'] = log_baseline(train_s, test_s, tol, factors)
    res['cellnet, size estimated'] = auto_scores(tr, test_s, 'usiigaci')   # as `cellnet count` does by default (tol 19 px)
    save_overlays(tr, test_images, 'usiigaci-sparse' + a.suffix)
    show(f'Usiigaci, training points {a.drop:.0%} dropped and jittered by {a.jitter:g} px, scored on full centroids of 8 held-out images'
         f' (cell size: {a.cell_size})', res)
    return res

def auto_scores(tr, ss, name):
    "Scores of `tr` saved as a model and run as a user would (`count_image`, cell size estimated per image) on `ss`."
    model = init_model(save_model(tr, Path(tempfile.mkdtemp(prefix='cellnet-bench-')) / 'model'))
    s = count_scores(model, [x.id for x in ss], [load_image(x.image_path) for x in ss], [x.points for x in ss],
                     DATASETS[name]['tol'], 'auto')
    (ce, pk), d = (s['errors'][k] for k in ('integral', 'n_peaks')), s['diameters']
    print(f"    estimated cell diameters on {name}: median {np.median(d):.1f} px ({min(d):.1f}–{max(d):.1f}); "
          f"known {DATASETS[name]['cell_diameter']:g}", flush=True)
    return dict(f1=s['f1'], precision=s['precision'], recall=s['recall'], count_mae=ce['mae'], count_rel=ce['rel'],
                peaks_mae=pk['mae'], peaks_rel=pk['rel'], diameter_median=float(np.median(d)))

def size_diagnostic(tr, cfg, src, dst, factors, thresholds) -> dict:
    """Scores of `tr` on `dst` at `factors` × its known cell size, at the calibrated peak threshold and at each of
    `thresholds`. Both are chosen here on the target's own points: a diagnostic of what the gap is, not a result."""
    res, known = {}, DATASETS[dst]['cell_diameter']
    for f in factors:
        ims = load_train_images(samples(dst), dict(cfg, datasets={dst: dict(DATASETS[dst], cell_diameter=known * f)}), dst)
        for thr in (tr.cfg['peaks']['threshold'], *thresholds):
            res[f'{src} → {dst} at {f:g}× its size, threshold {thr:g}'] = model_scores(tr, ims, threshold=thr)
    return res

def bench_cross(a):
    res = {}
    for src, dst in (('hela-phc', 'usiigaci'), ('usiigaci', 'hela-phc')):
        if a.source and src != a.source: continue
        cfg = cfg_for([src], a)
        train_images = load_train_images(samples(src), cfg, src)
        tr = train(cfg, train_images, a, src)
        per_image = a.cell_size == 'per-image' and dst == 'usiigaci'   # only Usiigaci has masks to measure
        test_images = (own_size_images if per_image else load_train_images)(samples(dst), cfg, dst)   # rescaled by the known cell diameter
        name = f'{src} → {dst}' + (', each image at its own cell size' if per_image else '')
        res[name] = model_scores(tr, test_images)
        res[f'{name}, flips averaged'] = model_scores(tr, test_images, tta=True)
        res[f'{name}, D4 averaged'] = model_scores(tr, test_images, tta='d4')   # flips and transposes: the eight symmetries
        res[f'{name}, relative threshold, D4 averaged'] = model_scores(tr, test_images, 'd4', relative=True)
        for tta in (False, True):   # the threshold a fraction of each image's median peak mass (find_peaks' relative)
            res[f'{name}, relative threshold{", flips averaged" if tta else ""}'] = model_scores(tr, test_images, tta, relative=True)
        res[f'{name}, flips averaged, peak pixels'] = model_scores(tr, test_images, True, **PEAK_PIXELS)
        res[f'{name}, relative threshold, flips averaged, peak pixels'] = model_scores(tr, test_images, True, relative=True, **PEAK_PIXELS)
        best = f'{name}, relative threshold, D4 averaged'
        if alone := member_scores(tr, test_images, best, 'd4', relative=True):   # an ensemble's members, scored as its best row
            res |= alone
            save_member_f1({k[len(best) + 2:]: v for k, v in alone.items()} | {'ensemble': res[best]},
                           f'cross{a.suffix}' + ('' if a.source else f'-from-{src}'), best)
        res[f'{src} → {dst}, size estimated'] = auto_scores(tr, samples(dst), dst)
        res |= size_diagnostic(tr, cfg, src, dst, a.size_factors, a.thresholds)
        dst_s = samples(dst)
        res[f'LoG tuned on {src} → {dst}'] = log_baseline(samples(src), dst_s, DATASETS[dst]['tol'])
    show('Generalisation to an unseen microscope (test-time rescaling by the known or the estimated cell diameter)', res)
    return res

def bench_vgg(a):
    ss = samples('vgg-cells'); maes, tta_maes = [], []
    for d in range(a.first_draw, a.first_draw + a.draws):
        idx = np.random.default_rng(d).permutation(len(ss)); tr_s = [ss[i] for i in idx[:32]]; te_s = [ss[i] for i in idx[32:]]
        cfg = cfg_for(['vgg-cells'], a, cell_diameter=12.0)
        tr = train(cfg, load_train_images(tr_s, cfg, 'vgg-cells'), a, f'draw{d}')
        te = load_train_images(te_s, cfg, 'vgg-cells')
        maes.append(tr.evaluate(te)['summary']['count_mae']); tta_maes.append(tr.evaluate(te, tta=True)['summary']['count_mae'])
        print(f'  draw {d}: count MAE {maes[-1]:.2f} (flips averaged: {tta_maes[-1]:.2f})', flush=True)
    res = {name: dict(mean=float(np.mean(m)), std=float(np.std(m)), draws=m)
           for name, m in (('cellnet count MAE', maes), ('cellnet count MAE, flips averaged', tta_maes))}
    print(f"\nVGG cells, N = 32, {a.draws} draws from {a.first_draw}, evaluated on the other 68 of the pool: count MAE "
          f"{np.mean(maes):.2f} ± {np.std(maes):.2f} (flips averaged: {np.mean(tta_maes):.2f} ± {np.std(tta_maes):.2f})")
    return res

RECIPES = [  # (name, settings changed from the defaults): the ablation behind DEFAULTS' sigma, lr and loss
    ('previous default: σ 5, lr 2e-3, mse+count', dict(sigma=5.0, lr=2e-3, loss='mse+count')),
    ('σ 3, lr 4e-3, mse (default)', {}),
    ('σ 3, lr 2e-3, mse+count', dict(lr=2e-3, loss='mse+count')),
    ('σ 3, lr 4e-3, mse+count', dict(loss='mse+count')),
    ('σ 5, lr 4e-3, mse', dict(sigma=5.0)),
    ('σ 3, lr 8e-3, mse', dict(lr=8e-3)),
]

def bench_recipe(a):
    "HeLa fold 0 of 2 (train 5, validate 6), one thread: F1 @ 8 px (peak threshold 0.4) after each third of the steps."
    (name, changes), steps = RECIPES[a.variant], a.steps or 600
    cfg = cfg_for(['hela-phc'], a, threads=1, eval_every=10**9, steps=steps, **changes)
    tr_i, va_i = kfold(load_train_images(samples('hela-phc'), cfg, 'hela-phc'), 2, 0, cfg['seed'])
    tr, res = Trainer(cfg, tr_i, tempfile.mkdtemp(prefix='cellnet-bench-'), log=lambda r: None), {}
    for until in range(steps // 3, steps + 1, steps // 3):
        tr.fit(until=until)
        s = tr.evaluate(va_i)['summary']
        res[until] = {k: s[k] for k in ('f1', 'precision', 'recall', 'count_mae')}
        print(f"  {name}: step {until}: F1 {s['f1']:.3f} (P {s['precision']:.3f} R {s['recall']:.3f}), "
              f"integral count MAE {s['count_mae']:.1f}", flush=True)
    return {name: res}

def _setting(kv: str):
    "'radius=10' → ('radius', 10): the value as JSON where it parses, else as text."
    k, sep, v = kv.partition('=')
    if not sep: raise SystemExit(f'--set {kv!r}: expected KEY=VALUE')
    try: return k, json.loads(v)
    except json.JSONDecodeError: return k, v

def _file_safe(v) -> str:
    "A setting's value for a file name: JSON without brackets, quotes or spaces ({'mad': [15, 45]} → mad:15,45)."
    return re.sub(r'[^\w.,:+-]', '', v if isinstance(v, str) else json.dumps(v, separators=(',', ':')))

BENCHES = {'speed': bench_speed, 'hela': bench_hela, 'release': bench_release, 'usiigaci-sparse': bench_usiigaci_sparse, 'cross': bench_cross, 'vgg': bench_vgg, 'recipe': bench_recipe}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('bench', choices=BENCHES)
    ap.add_argument('--steps', type=int, default=None, help='training steps per model (default: the default experiment)')
    ap.add_argument('--folds', type=int, default=3)
    ap.add_argument('--draws', type=int, default=5)
    ap.add_argument('--first-draw', type=int, default=0, help='vgg: the first draw (to split the draws between two runs)')
    ap.add_argument('--threads', type=int, default=None, help='torch threads (default: the experiment\'s); 1 to run two at once')
    ap.add_argument('--drop', type=float, default=0.5, help='usiigaci-sparse: the fraction of centroids dropped')
    ap.add_argument('--jitter', type=float, default=3.0, help='usiigaci-sparse: σ in px of the jitter of the rest')
    ap.add_argument('--cell-size', choices=['dataset', 'per-image'], default='dataset',
                    help="usiigaci-sparse (and cross, Usiigaci as the target): rescale by the set's one cell diameter, or "
                         "each image by its own (from its mask)")
    ap.add_argument('--variant', type=int, default=1, help=f'recipe: which of {len(RECIPES)} variants (0 = the previous default)')
    floats = lambda v: [float(x) for x in v.split(',') if x]
    ap.add_argument('--size-factors', type=floats, default=[], metavar='F,F,…',
                    help='cross: also score at these multiples of the target set\'s known cell size (a diagnostic)')
    ap.add_argument('--thresholds', type=floats, default=[], metavar='T,T,…',
                    help='cross: with --size-factors, also at these peak thresholds besides the calibrated one')
    ap.add_argument('--source', choices=['hela-phc', 'usiigaci'], default=None,
                    help='cross: train on this set only (one direction; default: both)')
    ap.add_argument('--run-dir', default=None, metavar='DIR',
                    help='keep each trained model in DIR/<model> and resume from it: a finished run is re-scored without training')
    ap.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                    help='change a setting of the recipe (dotted keys, JSON values), e.g. --set radius=10; repeatable')
    a = ap.parse_args()
    a.set = dict(_setting(kv) for kv in a.set)
    a.suffix = ((f'-{a.variant}' if a.bench == 'recipe' else '') + (f'-steps{a.steps}' if a.steps else '') +
                (f'-from{a.first_draw}' if a.first_draw else '') +
                (f'-drop{a.drop:g}-jitter{a.jitter:g}' if (a.drop, a.jitter) != (0.5, 3.0) else '') +
                (f'-{a.cell_size}' if a.cell_size != 'dataset' else '') + (f'-from-{a.source}' if a.source else '') +
                ''.join(f'-{k}={_file_safe(v)}' for k, v in a.set.items()))   # the results' file names
    t0 = time.time()
    res = BENCHES[a.bench](a)
    res['_command'] = ' '.join(['python', 'benchmarks/learned.py'] + sys.argv[1:])
    res['_seconds'] = round(time.time() - t0)
    name = a.bench + a.suffix
    save_json(ROOT/'results/bench'/f'{name}.json', res)
    print(f'({res["_seconds"]} s; results/bench/{name}.json)')
