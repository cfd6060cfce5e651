"""The peer: napari-nuclephaser 0.5.0 (a napari plugin whose YOLO nucleus detectors ship in its wheel) beside the
shipped cellnet default, on the same images, scored by the same metrics.

    python benchmarks/peer_nuclephaser.py --threads 1   # the first run builds results/peer-venv/ (about 6 GB)

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
seen them. Writes results/bench/peer_nuclephaser.json."""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, load_set, result_name, write_result
from cellnet.metrics import evaluate, count_errors
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

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, default=None, help='cores for both cellnet and the peer (default: all)')
    a = ap.parse_args()
    t0 = time.time()
    if a.threads: os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:a.threads])   # onnxruntime and the peer use these
    threads = len(os.sched_getaffinity(0))
    python = peer_python()
    model = init_model()
    print(f'cellnet {model.version}; peer {PEER} ({", ".join(PEER_MODELS)}); {threads} core(s)', flush=True)
    rows = {}
    for name, tols in SETS.items():
        names, images, truth = load_set(name)
        paths = [SHARED/name/'images'/n for n in names]
        megapixels = sum(im.size for im in images) / 1e6
        print(f'{name}: {len(names)} images, {megapixels:.1f} MP', flush=True)
        res, seconds = timed_counts(model, images)
        peer = {m: run_peer(python, m, paths, threads) for m in PEER_MODELS}
        for tol in tols:
            rows[f'cellnet default on {name} @ {tol:g} px'] = scores(
                names, [r['points'] for r in res], truth, [r['count'] for r in res], seconds, megapixels, tol)
            for m, out in peer.items():
                pts = [out[str(p)]['points'] for p in paths]
                rows[f'napari-nuclephaser {Path(m).stem} on {name} @ {tol:g} px'] = scores(
                    names, pts, truth, [len(p) for p in pts], sum(out[str(p)]['seconds'] for p in paths), megapixels, tol)
        for k in [k for k in rows if f' on {name} @ ' in k]:
            show(k, rows[k])
    write_result(result_name(__file__), rows, t0)   # --threads, its one option, changes the speed, not the figures

if __name__ == '__main__': main()
