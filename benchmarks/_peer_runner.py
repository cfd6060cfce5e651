"""Runs the peer, napari-nuclephaser, on image files: its own sliced prediction with the defaults of its single-image
widget (`make_points`), each box's centre a point. It runs inside the peer's virtual environment, which
`peer_nuclephaser.py` builds, as a subprocess: cellnet never imports it nor ultralytics (AGPL-3.0).

    results/peer-venv/bin/python benchmarks/_peer_runner.py MODEL THREADS OUT.json IMAGE...

MODEL is a file name in the plugin's `models/` folder. Writes {image path: {"points": [[x, y], ...], "seconds": s}},
`seconds` being the reading, the conversion and the sliced prediction of that image (the model's loading and a first,
warm-up call left out).
Standard library at the top: the tests import `box_centres` without the peer's packages."""
import json, os, sys, time
from pathlib import Path

# make_points' defaults (napari_nuclephaser/predict_on_single.py, 0.5.0)
SLICE = 640
OVERLAP = 0.2
CONFIDENCE = 0.2
POSTPROCESS = dict(postprocess_type='NMS', postprocess_match_metric='IOS', postprocess_match_threshold=0.34,
                   force_postprocess_type=True)
MAX_DETECTIONS = 10000   # initialize_model raises ultralytics' limit (300) to this

def box_centres(coco_predictions) -> list:
    "Points [x, y] of COCO boxes [x, y, w, h] as make_points turns them into points: integers, half sizes floored."
    return [[int(x + w // 2), int(y + h // 2)] for x, y, w, h in (p['bbox'] for p in coco_predictions)]

def rgb8(pic):
    "An image as make_points hands it to the model: greyscale made RGB, then 16-bit scaled to 8-bit."
    import cv2, numpy as np
    if pic.ndim == 2: pic = cv2.cvtColor(pic, cv2.COLOR_GRAY2RGB)
    if pic.dtype == np.uint16: pic = cv2.convertScaleAbs(pic, alpha=255 / 65535).astype(np.uint8)
    return pic

def load_model(name: str, threads: int):
    """The plugin's model `name` as its `initialize_model` loads an ultralytics model, on the CPU. That function sits in
    a module that imports napari, and its first try (yolov5) needs the yolov5 package: the ultralytics branch is
    repeated here."""
    import torch
    torch.set_num_threads(threads)
    import napari_nuclephaser
    from sahi import AutoDetectionModel
    path = Path(napari_nuclephaser.__file__).parent/'models'/name
    model = AutoDetectionModel.from_pretrained(model_type='ultralytics', model_path=str(path),
                                               confidence_threshold=CONFIDENCE, device='cpu')
    model.model.overrides['max_det'] = MAX_DETECTIONS
    return model

def predict(model, path: str) -> dict:
    "Points and seconds of one image file, read as napari hands the widget its layer's data (unchanged; colour as RGB)."
    import cv2
    from napari_nuclephaser.sahi_patch import custom_get_sliced_prediction   # what make_points' get_sliced_prediction is
    t0 = time.perf_counter()
    pic = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if pic is None: raise SystemExit(f'{path}: cannot read the image')
    if pic.ndim == 3 and pic.shape[2] == 3: pic = cv2.cvtColor(pic, cv2.COLOR_BGR2RGB)   # a colour file as napari reads it
    result = custom_get_sliced_prediction(rgb8(pic), model, slice_height=SLICE, slice_width=SLICE,
                                          overlap_height_ratio=OVERLAP, overlap_width_ratio=OVERLAP,
                                          progress_bar=False, verbose=0, **POSTPROCESS)
    points = box_centres(result.to_coco_predictions())
    return dict(points=points, seconds=time.perf_counter() - t0)

def main(model_name: str, threads: str, out: str, *images: str):
    os.environ['OMP_NUM_THREADS'] = threads   # before torch loads
    model = load_model(model_name, int(threads))
    predict(model, images[0])   # the first call warms up and is not timed (as cellnet's in peer_nuclephaser.py)
    res = {}
    for p in images:
        res[p] = predict(model, p)
        print(f'    {Path(p).name}: {len(res[p]["points"])} points, {res[p]["seconds"]:.2f} s', flush=True)
    Path(out).write_text(json.dumps(res))

if __name__ == '__main__': main(*sys.argv[1:])
