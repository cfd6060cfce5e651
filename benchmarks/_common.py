"""Helpers shared by the benchmark scripts: the shared data sets as images and points, and scoring `count_image`."""
from __future__ import annotations
from pathlib import Path
import numpy as np
from PIL import Image
from cellnet.io import load_image
from cellnet.annotations import read_export
from cellnet.core import count_image
from cellnet.metrics import evaluate, count_errors

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent/'shared'/'data'     # the shared sets sit beside the clone (as ../shared in CI)

def load_set(name: str):
    "`(names, images, points)` of shared set `name`: sorted image names, raw images, N×3 points of its one annotator."
    d = SHARED/name
    if not d.is_dir(): raise SystemExit(f'{d}: shared data set not found')
    (export,) = d.glob('*.json')
    pts, problems = read_export(export, d/'images')
    if problems: raise SystemExit(f'{export}: {problems[0]}')
    names = sorted(pts)
    return names, [load_image(d/'images'/n) for n in names], [next(iter(pts[n].values())) for n in names]

def equivalent_diameters(mask_files) -> np.ndarray:
    "Equivalent diameters 2·√(area/π) of every instance (id > 0) in the given instance-mask files."
    areas = [np.bincount(np.asarray(Image.open(f)).ravel())[1:] for f in mask_files]
    a = np.concatenate(areas)
    return 2 * np.sqrt(a[a > 0] / np.pi)

def block_mean(img: np.ndarray, f: int) -> np.ndarray:
    "Downsample `img` by averaging f×f blocks (edge rows/columns that do not fill a block are dropped)."
    h, w = img.shape[0] // f * f, img.shape[1] // f * f
    return img[:h, :w].reshape(h // f, f, w // f, f).mean((1, 3))

def count_scores(model, names, images, points, tol: float, cell_diameter) -> dict:
    """Count each image with `count_image` as a user would, and score it: micro F1/P/R of the centres at `tol`,
    count errors (`count_errors`) of the model's count, the integral and the centres, and the cell diameters used."""
    res = [count_image(im, model, cell_diameter=cell_diameter) for im in images]
    ev = evaluate({n: r['points'] for n, r in zip(names, res)}, dict(zip(names, points)), tol)
    truth = [len(p[p[:, 2] == 1]) for p in map(np.asarray, points)]
    return dict(f1=ev['f1'], precision=ev['precision'], recall=ev['recall'],
                errors={k: count_errors([r[k] for r in res], truth) for k in ('count', 'integral', 'n_peaks')},
                diameters=[r['cell_diameter'] for r in res])
