"""What the benchmark scripts share: the shared data sets, training a model of a recipe, the scorers (cellnet and the
tuned LoG baseline), the common command-line options and the result file `results/bench/<name>.json`.

Every script writes {"meta": {command, commit, date, seconds, cores}, "rows": {row name: metrics}}; `tools/results.py`
renders the docs' tables from those files."""
from __future__ import annotations
import argparse, dataclasses, datetime, json, os, re, shlex, subprocess, sys, tempfile, time
from dataclasses import dataclass, field
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch loads: idle OpenMP threads must not spin against numpy
from pathlib import Path
import numpy as np
from PIL import Image
from cellnet.io import load_image, save_json
from cellnet.annotations import read_export
from cellnet.predict import count_image, rescale
from cellnet.metrics import evaluate, count_errors, tune_log, log_detect, micro_scores
from cellnet.prepare import prepare, load_prepared

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent/'shared'/'data'     # the shared sets sit beside the clone (as ../shared in CI)
BENCH = ROOT/'results'/'bench'

# ---------------------------------------------------------------- data
def load_set(name):
    """`(names, images, points)` of shared set `name` (or of the data folder at a path, as `cellnet.microscopes`
    writes one): sorted image names, raw images, N×3 points of its one annotator."""
    d = SHARED/name   # an absolute path stays itself
    if not d.is_dir(): raise SystemExit(f'{d}: shared data set not found')
    (export,) = d.glob('*.json')
    pts, problems = read_export(export, d/'images')
    if problems: raise SystemExit(f'{export}: {problems[0]}')
    names = sorted(pts)
    return names, [load_image(d/'images'/n) for n in names], [next(iter(pts[n].values())) for n in names]

def every_kth(names: list, n: int) -> list:
    "`n` of `names` spread over them: every k-th from the first, k = len(names) // n (all of them where n ≥ their number)."
    return names[::max(1, len(names) // n)][:n]

def samples(name: str):
    "Prepared samples of a shared set (prepared into data/sets/<name>/ once)."
    out = ROOT/'data/sets'/name
    if not (out/'cache/annotators.json').exists(): prepare(SHARED/name, out)
    return load_prepared(SHARED/name, out)

def equivalent_diameters(mask_files) -> np.ndarray:
    "Equivalent diameters 2·√(area/π) of every instance (id > 0) in the given instance-mask files."
    areas = [np.bincount(np.asarray(Image.open(f)).ravel())[1:] for f in mask_files]
    a = np.concatenate(areas)
    return 2 * np.sqrt(a[a > 0] / np.pi)

def block_mean(img: np.ndarray, f: int) -> np.ndarray:
    "Downsample `img` by averaging f×f blocks (edge rows/columns that do not fill a block are dropped)."
    h, w = img.shape[0] // f * f, img.shape[1] // f * f
    return img[:h, :w].reshape(h // f, f, w // f, f).mean((1, 3))

def instance_mask(s) -> np.ndarray:
    "The instance mask of Usiigaci sample `s` (H×W int64, 0 = background, one id per cell)."
    return np.asarray(load_image(SHARED/'usiigaci/masks'/f'{s.id}.png'), np.int64)

def mask_diameter(s) -> float:
    "Median equivalent diameter (px) of the cells in the instance mask of Usiigaci sample `s`."
    areas = np.bincount(instance_mask(s).ravel())[1:]
    return float(np.median(2 * np.sqrt(areas[areas > 0] / np.pi)))

def own_size_images(ss, cfg, name):
    """`load_train_images`, each image rescaled by its own cell size (from its mask) instead of the set's: Usiigaci
    holds two cultures, of cells about 41 and 69 px across, which one diameter for the set (58) fits neither."""
    from cellnet.learner import load_train_images, DATASETS
    return sum((load_train_images([s], dataclasses.replace(cfg, datasets={name: dict(DATASETS[name], cell_diameter=mask_diameter(s))}), name)
                for s in ss), [])

def own_size_factors(ss, name) -> dict:
    "{id: factor} that brings each image's cells (from its mask) to the set's one cell diameter (for LoG)."
    from cellnet.learner import DATASETS
    return {s.id: DATASETS[name]['cell_diameter'] / mask_diameter(s) for s in ss}

# ---------------------------------------------------------------- options and recipes
def parser(doc: str) -> argparse.ArgumentParser:
    "The options every training benchmark takes; a script adds its own."
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--steps', type=int, default=None, help='training steps per model (default: the experiment\'s)')
    ap.add_argument('--threads', type=int, default=None, help='torch threads (default: the experiment\'s); 1 to run two at once')
    ap.add_argument('--experiment', default='default', help='the recipe: a name in cellnet.learner.EXPERIMENTS')
    ap.add_argument('--run-dir', default=None, metavar='DIR',
                    help='keep each trained model in DIR/<model> and resume from it: a finished run is re-scored without training')
    ap.add_argument('--set', action='append', default=[], type=setting, metavar='KEY=VALUE',
                    help='change a setting of the recipe (dotted keys, JSON values), e.g. --set radius=10; repeatable')
    return ap

def setting(kv: str) -> tuple:
    "'radius=10' → ('radius', 10): the value as JSON where it parses, else as text."
    k, sep, v = kv.partition('=')
    if not sep: raise argparse.ArgumentTypeError(f'{kv!r}: expected KEY=VALUE')
    try: return k, json.loads(v)
    except json.JSONDecodeError: return k, v

def cfg_for(data, a, **kw):
    "The recipe of `a.experiment` on `data`, with `kw`, then `--steps`, `--threads` and `--set` (which wins)."
    from cellnet.learner import experiment_configs
    over = {'data': data, **kw, **dict(a.set)}
    if a.steps: over['steps'] = a.steps
    if a.threads: over.setdefault('threads', a.threads)
    return experiment_configs(a.experiment, over)[0]

# ---------------------------------------------------------------- training
@dataclass
class Trained:
    "A model a benchmark trained: the network (`model`: a Trainer or an Ensemble), its calibrated `config`, and an ensemble's members, each calibrated alone."
    model: object
    config: object
    members: list = field(default_factory=list)

    @property
    def predictor(self):
        "The model as counting sees it (`cellnet.learner.as_predictor`)."
        from cellnet.learner import as_predictor
        return as_predictor(self.model, self.config)

def train(cfg, train_images, a, model: str) -> Trained:
    """A trained (or, in `--run-dir`, resumed) model of recipe `cfg` on `train_images`, calibrated on them (an ensemble's
    members too, each alone); `model` names its folder."""
    from cellnet.learner import fit_model, calibrate
    t0 = time.time()
    run_dir = Path(a.run_dir)/model if a.run_dir else tempfile.mkdtemp(prefix='cellnet-bench-')
    net = fit_model(cfg, train_images, run_dir, log=lambda r: print('   ', r, flush=True))
    cal = calibration_images(train_images)
    tr = Trained(net, calibrate(net, cal), [Trained(m, calibrate(m, cal)) for m in getattr(net, 'members', [])])
    print(f'    trained {cfg.steps} steps ({run_dir}) in {time.time() - t0:.0f} s; peak threshold {tr.config.peaks["threshold"]}, '
          f'density scale {tr.config.model["density_scale"]:.2f}', flush=True)
    return tr

def calibration_images(train_images):
    "What a model's threshold and count are calibrated on: the fully annotated training images, else all of them."
    return [t for t in train_images if t.annotation_status == 'fully'] or train_images

# ---------------------------------------------------------------- scorers
SCORES = ('f1', 'precision', 'recall', 'count_mae', 'count_rel')
PEAK_PIXELS = dict(centre_radius=0)   # centres at the peak pixels instead of their cells' centres of mass (the gain of that)

def model_scores(tr, test_images, tta=False, **peaks) -> dict:
    "Scores of `tr` on `test_images`, with `peaks` settings (threshold, relative, centre_radius) changed from its own."
    from cellnet.learner import evaluate_model
    s = evaluate_model(tr.predictor, test_images, tta, **peaks)
    pk = count_errors([c.peaks for c in s['counts'].values()], [c.annotated for c in s['counts'].values()])
    counts = {i: c._asdict() for i, c in s['counts'].items()}
    image_f1 = {r['image']: r['f1'] for d in s['datasets'].values() for r in d['rows']}
    return {k: s['summary'][k] for k in SCORES} | dict(peaks_mae=pk['mae'], peaks_rel=pk['rel'], counts=counts, image_f1=image_f1)

def member_scores(tr, test_images, name: str, tta=False, **peaks) -> dict:
    "Rows '<name>, seed S alone': each member of an ensemble `tr` scored alone as row `name` scores `tr` ({} for one network)."
    return {f'{name}, seed {m.model.seed} alone': model_scores(m, test_images, tta, **peaks) for m in tr.members}

def count_scores(model, names, images, points, tol: float, cell_diameter) -> dict:
    """Count each image with `count_image` as a user would, and score it: micro F1/P/R of the centres at `tol`,
    count errors (`count_errors`) of the model's count, the integral and the centres, and the cell diameters used."""
    res = [count_image(im, model, cell_diameter=cell_diameter) for im in images]
    ev = evaluate({n: r['points'] for n, r in zip(names, res)}, dict(zip(names, points)), tol)
    truth = [len(p[p[:, 2] == 1]) for p in map(np.asarray, points)]
    errors = {k: count_errors([r[k] for r in res], truth) for k in ('count', 'integral', 'n_peaks')}
    return dict(f1=ev['f1'], precision=ev['precision'], recall=ev['recall'], errors=errors,
                diameters=[r['cell_diameter'] for r in res])

def auto_scores(tr, ss, name) -> dict:
    "Scores of `tr` saved as a model and run as a user would (`count_image`, cell size estimated per image) on `ss`."
    from cellnet.learner import save_model, DATASETS
    from cellnet.release import init_model
    model = init_model(save_model(tr.model, tr.config, Path(tempfile.mkdtemp(prefix='cellnet-bench-'))/'model'))
    s = count_scores(model, [x.id for x in ss], [load_image(x.image_path) for x in ss], [x.points for x in ss],
                     DATASETS[name]['tol'], 'auto')
    ce, pk, d = s['errors']['integral'], s['errors']['n_peaks'], s['diameters']
    print(f"    estimated cell diameters on {name}: median {np.median(d):.1f} px ({min(d):.1f}–{max(d):.1f}); "
          f"known {DATASETS[name]['cell_diameter']:g}", flush=True)
    return dict(f1=s['f1'], precision=s['precision'], recall=s['recall'], count_mae=ce['mae'], count_rel=ce['rel'],
                peaks_mae=pk['mae'], peaks_rel=pk['rel'], diameter_median=float(np.median(d)))

def log_baseline(train_s, test_s, tol, factors=None) -> dict:
    """LoG tuned on `train_s` (full points), scored on `test_s`: micro P/R/F1 and count errors of the detections.
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

def kfold_scores(sets, cfg, folds, a) -> dict:
    """k-fold over `sets` together (stratified per set): each fold trains a model on the other folds and scores its
    held-out images, against LoG tuned per set on the same fold's training images. Per set: cellnet micro-scored over
    all held-out images, with and without flips or D4 averaged, a relative threshold or peak pixels; LoG the mean
    over folds."""
    from cellnet.learner import load_train_images, kfold, evaluate_model, scored_densities, DATASETS
    ss = {n: samples(n) for n in sets}
    ims = sum((load_train_images(ss[n], cfg, n) for n in sets), [])
    # (flips averaged, relative threshold, peak pixels)
    variants = [(tta, rel, False) for tta in (False, True) for rel in (False, True)] + [(True, False, True), ('d4', False, False)]
    rows, logs = {(n, *v): [] for n in sets for v in variants}, {n: [] for n in sets}
    for f in range(folds):
        tr_i, va_i = kfold(ims, folds, f, cfg.seed)
        print(f'  fold {f}: train {len(tr_i)}, validate {len(va_i)} images', flush=True)
        tr = train(cfg, tr_i, a, f'fold{f}')
        p = tr.predictor
        dens = {tta: scored_densities(p, va_i, tta) for tta in (False, True, 'd4')}
        for tta, rel, px in variants:
            by_set = evaluate_model(p, va_i, densities=dens[tta], relative=rel, **(PEAK_PIXELS if px else {}))['datasets']
            for n in sets: rows[n, tta, rel, px] += by_set[n]['rows']
        for n in sets:
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
        res[f'LoG on {n} (mean of folds)'] = {k: float(np.mean([x[k] for x in logs[n]])) for k in SCORES}
    return res

def show(title, rows):
    "Print rows of F1 / P / R and count errors (the centres' too, where measured)."
    print(f'\n{title}')
    for name, r in rows.items():
        peaks = f"  (centres: MAE {r['peaks_mae']:.2f} rel {r['peaks_rel']:.3f})" if 'peaks_mae' in r else ''
        print(f"  {name:<50} F1 {r['f1']:.3f} (P {r['precision']:.3f} R {r['recall']:.3f})  count MAE {r['count_mae']:.2f}  rel {r['count_rel']:.3f}{peaks}")

# ---------------------------------------------------------------- result files
UNSCORED = {'threads', 'run_dir'}   # options that change how fast a run is, not its figures

def result_name(script: str, a: argparse.Namespace | None = None, ap: argparse.ArgumentParser | None = None,
                unscored=UNSCORED) -> str:
    """The result file's name: the script's, plus each option that differs from its default (`--set` ones as
    key=value; `unscored` ones left out), so that runs of other lengths or settings keep their own files.
    `hela.py --folds 2 --threads 1` → 'hela-folds=2'."""
    parts = [Path(script).stem]
    for k, v in (vars(a).items() if a else ()):
        if k in unscored or k == 'set' or v == ap.get_default(k): continue
        parts.append(f'{k}={file_safe(v)}')
    parts += [f'{k}={file_safe(v)}' for k, v in getattr(a, 'set', ())]   # only the training benchmarks take --set
    return '-'.join(parts)

def file_safe(v) -> str:
    """A value for a file name on any system: JSON without brackets, quotes or spaces, its colons as `~` (Windows
    refuses them in names): {'mad': [15, 45]} → mad~15,45; 'hela-phc:usiigaci' → hela-phc~usiigaci."""
    text = v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))
    return re.sub(r'[^\w.,~+-]', '', text.replace(':', '~'))

def commit() -> str:
    "git HEAD (short), with '-dirty' where tracked files other than results/ (earlier runs' outputs) differ from it."
    def git(*args): return subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    head = git('rev-parse', '--short', 'HEAD') or 'unknown'
    return head + ('-dirty' if git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!results') else '')

def write_result(name: str, rows: dict, t0: float, out_dir: Path = BENCH) -> Path:
    "Write `rows` with the run's command, commit, date, duration and cores to `out_dir`/<name>.json; returns its path."
    script = Path(sys.argv[0]).resolve()
    script = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    meta = dict(command=shlex.join(['python', str(script), *sys.argv[1:]]), commit=commit(),
                date=datetime.datetime.now().isoformat(timespec='seconds'), seconds=round(time.time() - t0),
                cores=len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count())
    path = out_dir/f'{name}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    save_json(path, dict(meta=meta, rows=rows), default=lambda x: x.tolist())   # numpy scalars and arrays as numbers
    print(f'({meta["seconds"]} s; {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path})')
    return path
