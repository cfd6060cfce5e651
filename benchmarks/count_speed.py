"""Throughput and memory of counting with the shipped default model (or another: `--model DIR`).

    python benchmarks/count_speed.py            # all figures (about 3 minutes on 2 cores)
    python benchmarks/count_speed.py --model results/train/<run>/model   # e.g. an ensemble (`members=2`)

Prints, on 2048×1536 images (the users' EVOS frame size, made by tiling a real Usiigaci image), counted at the model's
own cell size (`--cell-diameter model`) so that the network sees the same pixels as the bare forward:
- megapixels/s of `cellnet count` end to end on a folder of 16 frames (read, normalise, tiled network, peaks,
  counts.json/points.csv, no plots; process start-up included), and the start-up alone (the CLI on one frame minus one
  frame's `count_image` time),
- megapixels/s of the bare network forward (one onnxruntime call on the image padded to /32), and their ratio (overhead),
- what averaging over flips (`--tta`) and over all eight symmetries (`--tta-d4`) costs,
- what the default cell-size estimate costs, and the speed of counting with it (the frame is resized to the estimate),
- onnxruntime vs torch backend for `count_image`,
and the peak memory (max RSS) of `cellnet count` on one 10k×10k image (at the model's cell size: no downscaling).
Writes results/bench/count_speed.json (count_speed-model=<folder>.json for another model)."""
import argparse, os, resource, subprocess, sys, tempfile, time
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
        r = subprocess.run([CELLNET, 'count', str(folder), '--out', str(tmp/'out'), '--no-plots', '--cell-diameter', 'model', *chosen],
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
    # peak memory on a 10k×10k image, in a child process
    tifffile.imwrite(tmp/'big/huge.tif' if (tmp/'big').mkdir() is None else None, frame(10_000, 10_000))
    t = time.perf_counter()
    r = subprocess.run([CELLNET, 'count', str(tmp/'big'), '--out', str(tmp/'out-big'), '--no-plots', '--cell-diameter', 'model', *chosen],
                       capture_output=True, text=True)   # at the model's size: the network sees all 10k×10k pixels
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    assert r.returncode == 0, r.stderr
    big_s = time.perf_counter() - t
    print(f'10k×10k: peak memory {peak:.2f} GB (max RSS of the largest child), {big_s:.0f} s, {100 / big_s:.2f} MP/s')
    rows['cellnet count, 10k×10k'] = dict(peak_gb=peak, seconds=big_s, mp_s=100 / big_s)
    return rows

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default=None, metavar='DIR', help='a model folder (default: the shipped model)')
    a = ap.parse_args()
    t0 = time.time()
    write_result(result_name(__file__, a, ap), main(a.model), t0)
