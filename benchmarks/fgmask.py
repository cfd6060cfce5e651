"""Foreground masks (cellnet.fgmask) on the shared sets: IoU against the Usiigaci instance masks, annotated centres
inside the mask (Usiigaci, HeLa, VGG), foreground fraction and speed (wall-clock and CPU seconds per megapixel of
`predict`: the machine is shared, so the CPU figure is the reproducible one).

Each set gets its own model, fitted on its images and points. `fit all` fits on every image and scores the same
images (what `cellnet prepare` does); `2-fold` fits on half the images and scores the other half (the threshold
is calibrated on points, so this is the honest figure for centres inside).
HeLa caveat: only the colony is annotated, debris is not, so there is no foreground truth to compute an IoU.

    python benchmarks/fgmask.py [--sets usiigaci hela-phc vgg-cells] [--vgg 20]

Writes results/bench/fgmask.json.
"""
from __future__ import annotations
import argparse, sys, time
from pathlib import Path
import numpy as np
from PIL import Image
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_set, SHARED, result_name, write_result
from cellnet.fgmask import fit_fgmask, _pixels

def scores(model, imgs, pts, gts):
    "Per image: (IoU or nan, GT foreground covered or nan, centres inside, foreground fraction); and (wall, CPU) s/MP."
    rows, t, cpu, mp = [], 0.0, 0.0, 0.0
    for img, p, gt in zip(imgs, pts, gts):
        t0, c0 = time.perf_counter(), time.process_time(); m = model.predict(img).astype(bool)
        t += time.perf_counter() - t0; cpu += time.process_time() - c0
        mp += img.size / 1e6
        inside = m[_pixels(p[p[:, 2] != 0], m.shape)].mean()
        iou = (m & gt).sum() / max((m | gt).sum(), 1) if gt is not None else np.nan
        cover = (m & gt).sum() / max(gt.sum(), 1) if gt is not None else np.nan
        rows.append((iou, cover, inside, m.mean()))
    return np.array(rows), (t / mp, cpu / mp)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sets', nargs='+', default=['usiigaci', 'hela-phc', 'vgg-cells'])
    ap.add_argument('--vgg', type=int, default=20, help='VGG images used (of 100)')
    a = ap.parse_args()
    t0 = time.time()
    rows = {}
    print(f'{"set":10s} {"mode":8s} {"IoU":>6s} {"GT cov":>7s} {"inside":>7s} {"min in":>7s} {"fg":>5s} {"s/MP":>6s} {"cpu/MP":>6s}  model')
    for name in a.sets:
        names, imgs, pts = load_set(name)
        if name == 'vgg-cells': names, imgs, pts = names[:a.vgg], imgs[:a.vgg], pts[:a.vgg]
        gts = [np.asarray(Image.open(SHARED/name/'masks'/(n.rsplit('.', 1)[0] + '.png'))) > 0 for n in names] \
            if name == 'usiigaci' else [None] * len(names)
        t0 = time.perf_counter(); model = fit_fgmask(imgs, pts); fit_s = time.perf_counter() - t0
        r, spm = scores(model, imgs, pts, gts)
        halves = [np.arange(len(imgs)) % 2 == k for k in (0, 1)]
        r2 = np.full_like(r, np.nan)
        for tr, te in (halves, halves[::-1]):
            m2 = fit_fgmask([imgs[i] for i in np.flatnonzero(tr)], [pts[i] for i in np.flatnonzero(tr)])
            r2[te] = scores(m2, [imgs[i] for i in np.flatnonzero(te)], [pts[i] for i in np.flatnonzero(te)],
                            [gts[i] for i in np.flatnonzero(te)])[0]
        for mode, x in (('fit all', r), ('2-fold', r2)):
            rows[f'{name}, {mode}'] = dict(iou=np.nanmean(x[:, 0]) if gts[0] is not None else None,
                                           gt_covered=np.nanmean(x[:, 1]) if gts[0] is not None else None,
                                           inside=x[:, 2].mean(), inside_min=x[:, 2].min(), foreground=x[:, 3].mean(),
                                           s_per_mp=spm[0], cpu_s_per_mp=spm[1])
            print(f'{name:10s} {mode:8s} {np.nanmean(x[:, 0]) if gts[0] is not None else np.nan:6.3f} '
                  f'{np.nanmean(x[:, 1]) if gts[0] is not None else np.nan:7.3f} {x[:, 2].mean():7.4f} {x[:, 2].min():7.3f} '
                  f'{x[:, 3].mean():5.2f} {spm[0]:6.2f} {spm[1]:6.2f}  ' + (f'w={np.round(model.weights, 2).tolist()} thr={model.threshold:.2f} '
                  f'fit {fit_s / len(imgs):.2f} s/image' if mode == 'fit all' else ''))
        if gts[0] is not None:
            worst = np.argsort(r[:, 0])[:3]
            print(f'{"":10s} lowest IoU: ' + ', '.join(f'{names[i]} {r[i, 0]:.2f}' for i in worst))
    write_result(result_name(__file__, a, ap), rows, t0)

if __name__ == '__main__': main()
