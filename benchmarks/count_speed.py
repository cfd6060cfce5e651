"""Throughput and memory of counting with the shipped default model (or another: `--model DIR`).

    python benchmarks/count_speed.py            # all figures (about 5 minutes on 2 cores)
    python benchmarks/count_speed.py --model results/train/<run>/model   # e.g. an ensemble (`members=2`)

Two kinds of figure, named in each row:
- **defaults**: `cellnet count FOLDER --out OUT` as a user types it (cell size estimated once per folder, a picture per
  image, process start-up included; the fastest of three runs), against the **bare forward** of the network on the
  same images: one onnxruntime call per image at the size the network sees (the image resized by the cell-size factor
  the defaults found, padded to /32; large images in the tiles `count_image` uses), the faster of one image after
  another on every core and one image per core at once (as `cellnet count` counts small frames), and at the input's
  own size. Measured on 20 camera frames (2048×1536, made by tiling a real Usiigaci image: cells about 58 px, so the
  defaults shrink them), on 24 and on 96 HeLa demo frames (400×400, cells about 18 px: enlarged; the 96 show what
  the start-up and the one size estimate cost the 24), on one 8000×8000 image, and the peak memory (max RSS) on one
  10k×10k image, plots on.
- **at the model's cell size** (`--cell-diameter model --no-plots`), so that the network sees the same pixels as the
  bare forward: `count_image` and `cellnet count` on 16 frames, the start-up alone, flips (`--tta`) and all eight
  symmetries (`--tta-d4`), the default cell-size estimate's cost, onnxruntime vs torch, and the peak memory on 10k×10k.
Writes results/bench/count_speed.json (count_speed-model=<folder>.json for another model)."""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, tifffile
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, result_name, write_result
from cellnet.io import load_image, normalize_image
from cellnet.release import init_model
from cellnet.predict import count_image, estimate_cell_diameter

CELLNET = str(Path(sys.executable).with_name('cellnet'))

def frame(h, w):
    "A real phase-contrast image tiled (mirrored) to h×w, uint16 like the microscope wrote it."
    src = tifffile.imread(SHARED/'usiigaci/images/set1.tif')
    reps = (h // src.shape[0] + 2, w // src.shape[1] + 2)
    return np.pad(src, ((0, reps[0] * src.shape[0] - src.shape[0]), (0, reps[1] * src.shape[1] - src.shape[1])), mode='symmetric')[:h, :w]

def demo_frames(folder: Path, n: int) -> list[Path]:
    "`n` copies of the two HeLa demo frames (400×400) in `folder`."
    demo = sorted((Path(__file__).resolve().parents[1]/'data/demo').glob('hela-*.png'))
    folder.mkdir(parents=True)
    paths = [folder/f'frame{i:02d}.png' for i in range(n)]
    for i, p in enumerate(paths): p.write_bytes(demo[i % len(demo)].read_bytes())
    return paths

def peak_run(args: list[str]) -> tuple[float, float, dict]:
    "Run `cellnet ARGS` in a child of its own: (seconds, peak memory in GB of that child alone, run.json of --out)."
    watch = 'import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)'
    t = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', watch, CELLNET, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - t
    assert r.returncode == 0, r.stderr
    out = Path(args[args.index('--out') + 1])
    return seconds, int(r.stdout.split()[-1]) / 2**20, json.loads((out/'run.json').read_text())

def bare_forward(model, images: list[np.ndarray], factor: float, workers: int = 1) -> float:
    """Seconds of the network alone on `images` normalised and resized by `factor`, one call each (tiled where large):
    one image after another on every core, or `workers` at once on the one-thread copies `cellnet count` gives small
    images (`per_worker`)."""
    from concurrent.futures import ThreadPoolExecutor
    from cellnet.predict import rescale, predict_density
    works = [rescale(normalize_image(im, **model.config.normalize), None, factor)[0] for im in images]
    net, n = model.per_worker(workers) if workers > 1 else (model, 1)
    def forward(w):
        if max(w.shape) <= net.config.tile['size']:
            net.predict(np.pad(w, ((0, -w.shape[0] % 32), (0, -w.shape[1] % 32)), mode='symmetric')[None, None])
        else: predict_density(w, net.predict, **net.config.tile)
    forward(works[0])   # a warm-up call, as the model's first call in a run is not the network's speed
    t = time.perf_counter()
    with ThreadPoolExecutor(n) as pool: list(pool.map(forward, works))
    return time.perf_counter() - t

def defaults_row(model, chosen, folder: Path, images: list[np.ndarray], out: Path) -> dict:
    """`cellnet count FOLDER` with its defaults, end to end (the fastest of three runs), against the bare forward at the
    network's size (the faster of one image after another and one image per core at once) and at the input's size."""
    runs = [peak_run(['count', str(folder), '--out', str(out), '--overwrite', *chosen]) for _ in range(3)]
    seconds, peak, run = min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]   # the fastest of three; the most memory
    (size,) = run['cell_sizes'].values()
    factor = model.config.cell_diameter / size
    mp = sum(im.size for im in images) / 1e6
    at_net, at_once = bare_forward(model, images, factor), bare_forward(model, images, factor, workers=len(os.sched_getaffinity(0)))
    at_input = bare_forward(model, images, 1.0)
    return dict(mp_s=mp / seconds, seconds=seconds, peak_gb=peak, cell_diameter=size, scale=factor,
                forward_s=at_net, forward_at_once_s=at_once, forward_mp_s=mp / min(at_net, at_once),
                overhead=seconds / min(at_net, at_once), forward_input_size_s=at_input, forward_input_size_mp_s=mp / at_input)

def best_of(f, n=3):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

def main(model_dir=None) -> dict:
    "Measure and print; returns the rows of the result file."
    model = init_model(model_dir)
    members = model.config.model.get('members', 1)
    print(f'model: {model.path.name} ({model.config.model["encoder"]}{f" × {members} members" if members > 1 else ""}), '
          f'tile {model.config.tile}')
    chosen = ['--model', str(model.path)] if model_dir else []
    tmp = Path(tempfile.mkdtemp())
    img = frame(1536, 2048); n_img = 16
    for i in range(n_img): tifffile.imwrite(tmp/f'frame{i}.tif', img)
    mp = img.size / 1e6
    def cli_seconds(folder):   # one process start is included, as a user sees it
        t = time.perf_counter()
        r = subprocess.run([CELLNET, 'count', str(folder), '--out', str(tmp/'out'), '--overwrite', '--no-plots', '--cell-diameter', 'model', *chosen],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return time.perf_counter() - t
    cli = cli_seconds(tmp)
    (tmp/'one').mkdir(); tifffile.imwrite(tmp/'one/frame.tif', img)
    cli_one = cli_seconds(tmp/'one')
    # bare forward of the network on the same (normalised, padded to /32) input
    norm = normalize_image(img.astype(np.float32), **model.config.normalize)
    x = norm[None, None]
    x = np.pad(x, ((0, 0), (0, 0), (0, (-x.shape[2]) % 32), (0, (-x.shape[3]) % 32)), mode='symmetric')
    fwd = best_of(lambda: model.predict(x))
    in_proc = best_of(lambda: count_image(load_image(tmp/'frame0.tif'), model, cell_diameter=None))
    print(f'2048×1536: bare forward {mp / fwd:.2f} MP/s ({fwd:.2f} s); count_image {mp / in_proc:.2f} MP/s ({in_proc:.2f} s); '
          f'overhead {in_proc / fwd:.2f}×')
    rows = {'bare forward': dict(mp_s=mp / fwd, seconds=fwd),
            'count_image': dict(mp_s=mp / in_proc, seconds=in_proc, overhead=in_proc / fwd)}
    tta_s = best_of(lambda: count_image(load_image(tmp/'frame0.tif'), model, cell_diameter=None, tta=True), n=2)
    print(f'flips averaged (`--tta`): count_image {mp / tta_s:.2f} MP/s ({tta_s:.2f} s, {tta_s / in_proc:.1f}× the time)')
    rows['count_image, flips averaged'] = dict(mp_s=mp / tta_s, seconds=tta_s, times=tta_s / in_proc)
    d4_s = best_of(lambda: count_image(load_image(tmp/'frame0.tif'), model, cell_diameter=None, tta='d4'), n=2)
    print(f'D4 averaged (`--tta-d4`): count_image {mp / d4_s:.2f} MP/s ({d4_s:.2f} s, {d4_s / in_proc:.1f}× the time)')
    rows['count_image, D4 averaged'] = dict(mp_s=mp / d4_s, seconds=d4_s, times=d4_s / in_proc)
    est_s = best_of(lambda: estimate_cell_diameter(norm, model))
    auto = count_image(load_image(tmp/'frame0.tif'), model)
    auto_s = best_of(lambda: count_image(load_image(tmp/'frame0.tif'), model))
    print(f'cell size estimated (the default): the estimate takes {est_s:.2f} s a frame; it finds {auto["cell_diameter"]:.0f} px '
          f'cells (Usiigaci: about 58), so the frame is counted at {auto["scale"]:.2f}× its size: '
          f'count_image {mp / auto_s:.2f} MP/s ({auto_s:.2f} s)')
    rows['count_image, cell size estimated'] = dict(mp_s=mp / auto_s, seconds=auto_s, estimate_s=est_s,
                                                    cell_diameter=auto['cell_diameter'], scale=auto['scale'])
    print(f'`cellnet count` on {n_img} frames: {n_img * mp / cli:.2f} MP/s end to end ({cli:.1f} s, including start-up); '
          f'start-up about {cli_one - in_proc:.1f} s (one frame: {cli_one:.1f} s)')
    rows[f'cellnet count, {n_img} frames'] = dict(mp_s=n_img * mp / cli, seconds=cli, startup_s=cli_one - in_proc)
    try:
        tm = init_model(model_dir, backend='torch')
        t_torch = best_of(lambda: count_image(load_image(tmp/'frame0.tif'), tm, cell_diameter=None), n=2)
        a, b = (count_image(load_image(tmp/'frame0.tif'), m, cell_diameter=None)['count'] for m in (model, tm))
        print(f'torch backend: {mp / t_torch:.2f} MP/s; onnxruntime/torch speed {t_torch / in_proc:.2f}×; counts {a:.2f} vs {b:.2f}')
        rows['count_image, torch backend'] = dict(mp_s=mp / t_torch, seconds=t_torch, onnx_speedup=t_torch / in_proc,
                                                  count=float(b), count_onnx=float(a))
    except Exception as e: print(f'torch backend: not measured ({e})')
    # the defaults, as users run them, against the bare forward
    for name, folder, images in (('defaults: cellnet count, 20 frames 2048×1536', tmp/'frames20', [img] * 20),
                                 ('defaults: cellnet count, 24 HeLa frames 400×400', tmp/'hela24', 24),
                                 ('defaults: cellnet count, 96 HeLa frames 400×400', tmp/'hela96', 96),
                                 ('defaults: cellnet count, one 8000×8000 image', tmp/'one8k', [frame(8000, 8000)])):
        if isinstance(images, int):
            images = [load_image(p) for p in demo_frames(folder, images)]
        else:
            folder.mkdir()
            for i, im in enumerate(images): tifffile.imwrite(folder/f'frame{i:02d}.tif', im)
        rows[name] = r = defaults_row(model, chosen, folder, images, tmp/f'out-{folder.name}')
        print(f"{name}: {r['mp_s']:.2f} MP/s end to end ({r['seconds']:.1f} s, cells {r['cell_diameter']:.0f} px, resized "
              f"{r['scale']:.2f}×); bare forward at that size {r['forward_mp_s']:.2f} MP/s, overhead {r['overhead']:.2f}×; "
              f"bare forward at the input's size {r['forward_input_size_mp_s']:.2f} MP/s; peak {r['peak_gb']:.2f} GB")
    del images
    (tmp/'big10k').mkdir()
    tifffile.imwrite(tmp/'big10k/huge.tif', frame(10_000, 10_000))
    big_s, peak, _ = peak_run(['count', str(tmp/'big10k'), '--out', str(tmp/'out-10k-defaults'), *chosen])
    print(f'defaults: 10k×10k with plots: peak memory {peak:.2f} GB, {big_s:.0f} s, {100 / big_s:.2f} MP/s')
    rows['defaults: cellnet count, 10k×10k'] = dict(peak_gb=peak, seconds=big_s, mp_s=100 / big_s)
    # peak memory on a 10k×10k image at the model's size, in a child process
    # at the model's size: the network sees all 10k×10k pixels
    big_s, peak, _ = peak_run(['count', str(tmp/'big10k'), '--out', str(tmp/'out-big'), '--no-plots', '--cell-diameter', 'model', *chosen])
    print(f'10k×10k: peak memory {peak:.2f} GB (max RSS of the largest child), {big_s:.0f} s, {100 / big_s:.2f} MP/s')
    rows['cellnet count, 10k×10k'] = dict(peak_gb=peak, seconds=big_s, mp_s=100 / big_s)
    return rows

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default=None, metavar='DIR', help='a model folder (default: the shipped model)')
    ap.set_defaults(set=[])   # result_name reads the --set options other scripts have; this one has none
    a = ap.parse_args()
    t0 = time.time()
    write_result(result_name(__file__, a, ap), main(a.model), t0)
