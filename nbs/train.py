# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: python3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Training a cellnet model
#
# > The papermill notebook that trains, evaluates and (in release mode) packages a model: one run, one folder.

# %% [markdown]
# It prepares the data sets a recipe names, trains one model per configuration (and per fold in cross-validation),
# calibrates each on its training images, scores it on held-out images, and in release mode writes the model artifact
# that `cellnet release` packages.
#
# **Parameters** (the first code cell; papermill's `-p NAME VALUE`):
#
# - `experiment`: a recipe of the registry, `cellnet.learner.EXPERIMENTS` (`default`, `release`, `overlapping`,
#   `unseen_microscope`, sweeps such as `sigma`); a list value in a recipe is a sweep, one configuration per value;
# - `mode`: `draft` (one validation fold), `crossval` (every fold, or the one `fold` names: a Slurm job-array
#   element) or `release` (train on all images, save the model);
# - `overrides`: JSON of settings to change, e.g. `'{"steps": 500, "data": ["hela-phc"]}'`;
# - `init`: start from a released model instead of random weights: `default` (the shipped model), a version or a
#   model folder; with `-p experiment adapt` (few steps at a lower rate) it adapts that model to your images;
# - `data_root`, `results_root`: where the data sets are and where run folders go; `run_dir`: an existing run
#   folder to resume (a requeued Slurm job continues where it stopped).
#
# ```bash
# papermill nbs/train.ipynb out.ipynb -p experiment sigma                 # a σ sweep, draft mode
# papermill nbs/train.ipynb out.ipynb -p experiment default -p mode crossval
# papermill nbs/train.ipynb out.ipynb -p experiment release -p mode release
# papermill nbs/train.ipynb out.ipynb -p overrides '{"steps": 500, "data": ["hela-phc"]}'
# ```
# Every run writes `results/train/<yymmdd-HHMMSS>-<experiment>-<mode>/`: `cfg.json`, `metrics.json`, `history.csv`,
# `plots/` (per configuration and fold, in sub-folders when there are several), `summary.csv`/`summary.json` over all
# of them, and in release mode `model/` (the artifact `cellnet release` packages). `cellnet submit` also keeps the
# executed notebook there. Under `nbdev_test` the same notebook runs as a real but tiny run on the fixtures (`smoke`).

# %% tags=["parameters"]
import os
experiment = 'default'      # a name in cellnet.learner.EXPERIMENTS
mode = 'draft'              # draft: one validation fold | crossval: all folds (or `fold`) | release: train on all, save model
data_root = '../shared/data'  # folder holding the data sets named in the recipe's data (relative to the repo root)
results_root = 'results/train'
run_dir = ''                # '' → a new folder; an existing one → resume it (Slurm requeue)
fold = -1                   # crossval: run only this fold (a job-array element); -1 → all
overrides = '{}'            # JSON of settings to change, e.g. '{"steps": 500}'
init = ''                   # start from a model: 'default' (the shipped one), a version or a model folder; '' → from scratch
smoke = bool(os.environ.get('IN_TEST'))  # a seconds-long run on data/fixtures (what the tests run)

# %%
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # before torch loads: idle OpenMP threads must not spin against numpy
import json, math, shutil, tempfile
from pathlib import Path
import numpy as np, matplotlib.pyplot as plt
from cellnet.io import save_json, atomic_write
from cellnet.io import make_run_dir
from cellnet.learner import (experiment_configs, project_root, load_train_images, kfold, fit_model, calibrate, as_predictor,
                             evaluate_model, save_model, plot_history, plot_predictions, plot_count_errors)
from cellnet.prepare import prepare, load_prepared
from cellnet.quality import exclusion_reason, write_quality
from cellnet.release import SHIPPED_MODEL, init_model, load_verified

root = project_root()
over = json.loads(overrides) if isinstance(overrides, str) else dict(overrides)
if smoke: over = {'data': ['fixtures'], 'steps': 4, 'crop': 64, 'batch': 2, 'eval_every': 2, 'checkpoint_every': 2,
                  'folds': 2, **over}
if init:   # the model's folder, checked as counting checks it ('default': the one inside the package)
    over['init'] = str(load_verified(SHIPPED_MODEL).path if init == 'default' else init_model(init).path)
cfgs = experiment_configs(experiment, over)
if smoke and results_root == 'results/train': results_root = tempfile.mkdtemp(prefix='cellnet-smoke-')  # keep results/ for real runs
run = Path(run_dir) if run_dir else make_run_dir(root / results_root, experiment, mode)
run.mkdir(parents=True, exist_ok=True)
(run / 'plots').mkdir(exist_ok=True)
print(f'run folder: {run}  ({len(cfgs)} configuration(s))')


# %% [markdown]
# ## Data
# Each data set is prepared once (`cellnet prepare`: points, annotators, foreground masks, data_quality.csv) into
# `data/sets/<name>/` (a folder of yours that you prepared in place is read as it is), then the images the selection
# rule admits are loaded at the working cell size.

# %%
def data_dirs(name):
    if name == 'fixtures': return root / 'data/fixtures', run / 'data/fixtures'   # never write into the repo's fixtures
    src = root / data_root / name
    if (src / 'cache/annotators.json').exists(): return src, src   # your own folder, prepared in place (`cellnet prepare`)
    return src, root / 'data/sets' / name                           # the shared sets are read-only: prepared here

images = []
for name in dict.fromkeys(n for c in cfgs for n in c.data):
    src, out = data_dirs(name)
    if name == 'fixtures' and not (out / 'data_quality.csv').exists():  # the crops keep every annotated cell: fully
        write_quality(out / 'data_quality.csv', {f.name: dict(annotation_status='fully', fgmask_status='')
                                                 for f in sorted((src / 'images').iterdir())})
    if not (out / 'cache/annotators.json').exists(): prepare(src, out)
    samples = load_prepared(src, out)
    excluded = {s.id: r for s in samples if (r := exclusion_reason(s.annotation_status, s.fgmask_status))}
    if excluded: print(f'{name}: {len(excluded)} image(s) excluded by data_quality.csv:', excluded)
    images += load_train_images([s for s in samples if s.id not in excluded], cfgs[0], name)
print({n: sum(t.dataset == n for t in images) for n in dict.fromkeys(t.dataset for t in images)}, 'images')


# %% [markdown]
# ## Train and evaluate
# One sub-folder per configuration of a sweep (and per fold in crossval mode); an ensemble (`members` > 1) trains each of
# its networks in a `member<i>` folder below, and is calibrated, evaluated and saved as one model.

# %%
def label(cfg): return '_'.join(f'{k.split(".")[-1]}={v}' for k, v in cfg.sweep.items()) or 'run'

results = []
for cfg in cfgs:
    sub = run / label(cfg) if len(cfgs) > 1 else run
    folds = [None] if mode == 'release' else ([fold] if fold >= 0 else (range(cfg.folds) if mode == 'crossval' else [0]))
    for f in folds:
        d = sub if f is None or len(folds) == 1 else sub / f'fold{f}'
        (d / 'plots').mkdir(parents=True, exist_ok=True)
        save_json(d / 'cfg.json', {**cfg.settings(), 'mode': mode, 'fold': f})
        mine = [t for t in images if t.dataset in cfg.data]
        train, val = (mine, mine) if f is None else kfold(mine, cfg.folds, f, cfg.seed)
        trainer = fit_model(cfg, train, d, val=None if f is None else val)   # an ensemble where the recipe's members > 1
        config = calibrate(trainer, train)   # density scale, peak threshold and count: chosen on training images only
        predictor = as_predictor(trainer, config)   # the model as `cellnet count` will run it
        res = evaluate_model(predictor, val)
        results.append(dict(config=label(cfg), fold=f, **res['summary'], peak_threshold=config.peaks['threshold'],
                            count=config.count, density_scale=config.model['density_scale']))
        cols = list(dict.fromkeys(k for r in trainer.history for k in r))
        atomic_write(d / 'history.csv', '\n'.join([','.join(cols)] + [','.join(str(r.get(k, '')) for k in cols) for r in trainer.history]) + '\n')
        save_json(d / 'metrics.json', dict(summary=res['summary'], datasets=res['datasets'], evaluated_on='train' if f is None else 'validation'))
        for name, fig in [('history', plot_history(trainer.history)), ('predictions', plot_predictions(val, res, predictor)),
                          ('count_errors', plot_count_errors(res))]:
            fig.savefig(d / 'plots' / f'{name}.png', dpi=80)
            plt.show() if cfg is cfgs[-1] else plt.close(fig)
        if mode == 'release': save_model(trainer, config, d / 'model', metrics=res['summary'])

# %% [markdown]
# ## Summary

# %%
cols = list(results[0])
atomic_write(run / 'summary.csv', '\n'.join([','.join(cols)] + [','.join(str(r.get(c, '')) for c in cols) for r in results]) + '\n')
save_json(run / 'summary.json', dict(experiment=experiment, mode=mode, results=results))
print((run / 'summary.csv').read_text())

# %%
#| hide
if smoke:  # the tiny run really trained, evaluated and (in release mode) wrote a loadable model
    assert (run / 'summary.json').exists() and len(results) == len(cfgs) * (cfgs[0].folds if mode == 'crossval' and fold < 0 else 1)
    assert np.isfinite(trainer.history[-1]['loss'])

# %% [markdown]
# ## How good the recipes are
#
# A run's `summary.csv` scores its own model on its held-out images. How the registry's recipes do across data sets,
# measured from scratch against a tuned detector by the scripts in `benchmarks/`, is on the
# [Benchmarks page](explanations/benchmarks.ipynb), each table rendered from its result file; ideas that were
# measured and not kept, with their figures, are in the [decisions log](explanations/decisions.ipynb).
