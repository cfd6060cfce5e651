"""The peer: napari-nuclephaser 0.5.0 (a napari plugin whose YOLO nucleus detectors ship in its wheel) beside the
shipped cellnet default, on the same images, scored by the same metrics.

    python benchmarks/peer_nuclephaser.py --threads 1   # the first run builds results/peer-venv/ (about 6 GB)
    python benchmarks/peer_nuclephaser.py --threads 1 --variants none                  # the shared sets alone (5 min)
    python benchmarks/peer_nuclephaser.py --threads 1 --variants evos inverted --images 10
    python benchmarks/peer_nuclephaser.py --threads 1 --model DIR --no-peer   # a candidate default alone (its rows beside
                                                                              # the peer's of the run above)

The peer runs as its authors intend: its own sliced prediction (`custom_get_sliced_prediction`) with the defaults of
its single-image widget (640 px slices, overlap 0.2, confidence 0.2, NMS), each image made 8-bit RGB as the widget
makes it, each box's centre a point (`_peer_runner.py`). Its two YOLO11 phase-contrast models are run (the wheel's
YOLOv5 ones need the yolov5 package, which is left out). It runs in its own virtual environment, results/peer-venv/
(git-ignored; built on first use, reused while its requirements are the same): ultralytics and sahi at the versions
the plugin pins, torch, and the plugin without its dependencies (no napari, no Qt). cellnet calls it as a
subprocess and never imports it: ultralytics is AGPL-3.0, the plugin MIT; neither is ever a dependency of cellnet.

cellnet is the shipped default as `cellnet count` runs it: `init_model()`, `count_image` with its defaults (cell size
estimated per image); its count is the model's count. Both are scored on every image of HeLa (11; the release
k-fold's held-out folds together, and the target of Usiigaci → HeLa) at 8 px and of Usiigaci (45) at 19 px, and at
25 px (the peer's boxes sit on nuclei, off the centroid of elongated Usiigaci cells): micro F1/P/R of the points,
count MAE and relative count error (Σ|Δ| / Σ true), and seconds per megapixel (model loading and a warm-up call left
out; `--threads` cores for both). The shipped model was trained on these images (its best case); the peer has not
seen them.

Other microscopes (issue 29, the sets of issue 28): each variant of `cellnet.microscopes.VARIANTS` (`--variants`;
default all 13: RGB JPEG at quality 70 and 90, rescaled 0.4×, 0.5×, 2×, 2.5×, gamma 0.5 and 2, low contrast, inverted,
a gradient and a vignette of light, an EVOS-like camera) applied by `make_microscope` to every image of both sets
(`--images N`: N of each, every k-th) and written as a user's folder (8-bit PNG, or RGB JPEG), whose files both tools
read as a user's would be read, scored against the points written with them (moved exactly as the pixels). Rows 'TOOL
on SET/VARIANT @ TOL px': TOL is the set's tolerance; where the variant rescales, the points are scored at TOL times
its magnification (`tol_px`; 0.4×: 3.2 px on HeLa, 7.6 and 10 on Usiigaci; EVOS-like, 1.5×: 12, 28.5, 37.5). Every
variant passes each image through `unit_image` first (the 1st and 99.8th percentiles to 0 and 1, 8-bit): Usiigaci's
16-bit files reach the peer stretched, not scaled by 1/257 as the originals do. All of them took 83 minutes (4956 s at
01ac48f) on one core of a machine other jobs shared. Writes results/bench/peer_nuclephaser.json (with other options,
their values in its name)."""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, every_kth, load_set, result_name, write_result
from cellnet.metrics import evaluate, count_errors
from cellnet.microscopes import VARIANTS, make_microscope
from cellnet.predict import count_image
from cellnet.release import init_model

PEER = 'napari-nuclephaser==0.5.0'
# ultralytics and sahi as the plugin pins them; torch as cellnet's (PyPI's Linux build: it runs on the CPU here)
PEER_REQUIREMENTS = ('ultralytics==8.3.141', 'sahi==0.12.5', 'torch==2.14.1', 'torchvision==0.29.1')
PEER_MODELS = ('ND_v11n.pt', 'ND_v11s.pt')
VENV = ROOT/'results'/'peer-venv'
RUNNER = Path(__file__).resolve().with_name('_peer_runner.py')
SETS = {'hela-phc': (8.0,), 'usiigaci': (19.0, 25.0)}   # the tolerances each set is scored at (px)

def peer_python(venv: Path = VENV) -> Path:
    "The peer venv's python, after building the venv where it is missing or was built with other requirements."
    python, stamp = venv/'bin'/'python', venv/'cellnet-requirements.txt'
    wanted = '\n'.join([*PEER_REQUIREMENTS, PEER])
    if stamp.exists() and stamp.read_text() == wanted: return python
    print(f'building {venv} ({", ".join(PEER_REQUIREMENTS)}; {PEER} without its dependencies)', flush=True)
    subprocess.run([sys.executable, '-m', 'venv', '--clear', str(venv)], check=True)
    pip = [str(python), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check']
    subprocess.run([*pip, *PEER_REQUIREMENTS], check=True)
    subprocess.run([*pip, '--no-deps', PEER], check=True)
    stamp.write_text(wanted)
    return python

def run_peer(python: Path, model: str, paths: list, threads: int) -> dict:
    "{path: {points, seconds}} of the peer's `model` on image files `paths` (`_peer_runner.py` in the peer venv)."
    out = Path(tempfile.mkdtemp(prefix='cellnet-peer-'))/'points.json'
    env = dict(os.environ, YOLO_CONFIG_DIR=str(VENV/'ultralytics-settings'))   # ultralytics' settings stay in the venv
    subprocess.run([str(python), str(RUNNER), model, str(threads), str(out), *map(str, paths)], check=True, env=env)
    return json.loads(out.read_text())

def scores(names, points, truth, counts, seconds, megapixels, tol) -> dict:
    "A row: micro F1/P/R of `points` at `tol`, count errors of `counts`, and seconds per megapixel."
    ev = evaluate(dict(zip(names, points)), dict(zip(names, truth)), tol)
    ce = count_errors(counts, [r['n_gt'] for r in ev['rows']])
    return dict(f1=ev['f1'], precision=ev['precision'], recall=ev['recall'], count_mae=ce['mae'], count_rel=ce['rel'],
                s_per_mp=seconds / megapixels)

def timed_counts(model, images) -> tuple:
    "`count_image` with its defaults on each image (as `cellnet count` runs it): results and total seconds."
    count_image(images[0], model)   # the first call warms up and is not timed (as the peer's)
    t0 = time.perf_counter()
    res = [count_image(im, model) for im in images]
    return res, time.perf_counter() - t0

def show(name, r):
    print(f"  {name:<50} F1 {r['f1']:.3f} (P {r['precision']:.3f} R {r['recall']:.3f})  count MAE {r['count_mae']:.2f}  "
          f"rel {r['count_rel']:.3f}  {r['s_per_mp']:.2f} s/MP", flush=True)

def score_images(label, names, images, paths, truth, tols, model, python, threads, record_tol=False) -> dict:
    """Rows 'TOOL on LABEL @ TOL px' of cellnet's default and the peer's models (none where `python` is None) on image
    files `paths` (loaded: `images`), for each TOL: px of `tols` ({TOL: px scored at}); `record_tol`: each row holds its
    px as `tol_px`."""
    megapixels = sum(im.size for im in images) / 1e6
    print(f'{label}: {len(names)} images, {megapixels:.1f} MP', flush=True)
    res, seconds = timed_counts(model, images)
    peer = {m: run_peer(python, m, paths, threads) for m in PEER_MODELS} if python else {}
    rows = {}
    for tol, px in tols.items():
        extra = dict(tol_px=px) if record_tol else {}
        rows[f'cellnet default on {label} @ {tol:g} px'] = scores(
            names, [r['points'] for r in res], truth, [r['count'] for r in res], seconds, megapixels, px) | extra
        for m, out in peer.items():
            pts = [out[str(p)]['points'] for p in paths]
            rows[f'napari-nuclephaser {Path(m).stem} on {label} @ {tol:g} px'] = scores(
                names, pts, truth, [len(p) for p in pts], sum(out[str(p)]['seconds'] for p in paths), megapixels, px) | extra
    for k, r in rows.items(): show(k, r)
    return rows

def variant_rows(name, variant, images, model, python, threads) -> dict:
    """Rows of set `name` through microscope `variant` (`cellnet.microscopes.VARIANTS`): `images` of the set (None:
    all) written as a user's folder by `make_microscope`, read back as a user's files are, scored against the points
    it wrote; row 'TOOL on SET/VARIANT @ TOL px' at the set's tolerance TOL times the variant's magnification."""
    v = VARIANTS[variant]
    with tempfile.TemporaryDirectory(prefix='cellnet-peer-') as tmp:   # a rescaled Usiigaci is hundreds of MB
        folder = make_microscope(SHARED/name, Path(tmp)/f'{name}-{variant}', v, names=images)
        names, ims, truth = load_set(folder)
        return score_images(f'{name}/{variant}', names, ims, [folder/'images'/n for n in names], truth,
                            {t: t * v.scale for t in SETS[name]}, model, python, threads, record_tol=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, default=None, help='cores for both cellnet and the peer (default: all)')
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=[*VARIANTS, 'none'],
                    help='the other microscopes (cellnet.microscopes.VARIANTS; default: all); none: the sets alone')
    ap.add_argument('--images', type=int, default=None,
                    help="images of each set per microscope (every k-th, as prepare_microscopes.py picks them; default: all)")
    ap.add_argument('--model', default=None, metavar='DIR', help="cellnet's model: a candidate default's folder or a "
                    "version (default: the shipped one; its rows are still named 'cellnet default')")
    ap.add_argument('--no-peer', dest='peer', action='store_false', help='cellnet alone (the peer is not run)')
    a = ap.parse_args()
    t0 = time.time()
    if a.threads: os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:a.threads])   # onnxruntime and the peer use these
    threads = len(os.sched_getaffinity(0))
    python = peer_python() if a.peer else None
    model = init_model(a.model)
    print(f'cellnet {model.version}; ' + (f'peer {PEER} ({", ".join(PEER_MODELS)})' if a.peer else 'no peer') +
          f'; {threads} core(s)', flush=True)
    rows = {}
    for name, tols in SETS.items():
        names, images, truth = load_set(name)
        rows |= score_images(name, names, images, [SHARED/name/'images'/n for n in names], truth, {t: t for t in tols},
                             model, python, threads)
    variants = [v for v in a.variants if v != 'none']
    for name in SETS:
        picked = every_kth(sorted(p.name for p in (SHARED/name/'images').iterdir()), a.images) if a.images else None
        for v in variants: rows |= variant_rows(name, v, picked, model, python, threads)
    write_result(result_name(__file__, a, ap), rows, t0)   # --threads changes the speed, not the figures

if __name__ == '__main__': main()
