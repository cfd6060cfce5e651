"""How high can a foreground IoU against the Usiigaci instance masks go? Evidence for benchmarks/fgmask.py's IoU goal.

1. Boundary tolerance: the IoU of the instance masks' own dilations and erosions by 1–3 px.
2. Pixel classifiers trained *on the reference masks* (not allowed for cellnet.fgmask, which fits on points only),
   scored 2-fold (fit on half the images, score the other half): an upper bound for per-pixel texture methods.
   (a) cellnet.fgmask's 3 features, logistic regression; (b) 30 multi-scale features at 1/2 resolution
   (Gaussian intensity, gradient magnitude, Hessian eigenvalues, log local std at σ = 1–32 px, in background
   units), a one-hidden-layer MLP (16 tanh units); (c) (b) plus a second "auto-context" stage that also sees the
   first stage's probability map smoothed at σ = 1–16 px (as in ilastik).
3. With `--unet STEPS`: the project's U-Net (`cellnet.model.build_model`, trained from scratch) trained *on the reference
   masks* of one half (BCE, 256² crops, batch 8, D4 flips), scored on the other half: what a learned segmentation
   model reaches with full mask supervision that users never have.

    python benchmarks/fgmask_bounds.py            # about 1.5 min of CPU per fold stage on 2 cores
    python benchmarks/fgmask_bounds.py --unet 600 # adds the U-Net: about 16 min per fold at one thread

Writes results/bench/fgmask_bounds.json (fgmask_bounds-unet=600.json with the U-Net).
"""
from __future__ import annotations
import argparse, sys, time
from pathlib import Path
import numpy as np
from PIL import Image
from scipy import ndimage as ndi
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_set, SHARED, block_mean, result_name, write_result
from cellnet.io import normalize_image
from cellnet.fgmask import features, background_units, _logistic
from cellnet.data import window, dihedral

SIGMAS = (1, 2, 4, 8, 16, 32)

def multiscale(img, f=2):
    "30×(H/f)×(W/f) features: per σ, Gaussian intensity, gradient magnitude, 2 Hessian eigenvalues, log local std."
    x = block_mean(normalize_image(img).astype(np.float32), f)
    m, s = background_units(ndi.gaussian_filter(x, 1), 256)
    x = (x - m) / max(s, 1e-3)
    out = []
    for sg in SIGMAS:
        s_ = max(sg / f, 0.5); g = ndi.gaussian_filter(x, s_)
        gy, gx = (ndi.gaussian_filter(x, s_, order=o) for o in ((1, 0), (0, 1)))
        hyy, hxx, hxy = (ndi.gaussian_filter(x, s_, order=o) for o in ((2, 0), (0, 2), (1, 1)))
        tr, dd = (hxx + hyy) / 2, np.sqrt(((hxx - hyy) / 2) ** 2 + hxy ** 2)
        sd = np.sqrt(np.maximum(ndi.gaussian_filter(x * x, s_) - g * g, 0))
        out += [g, np.hypot(gx, gy) * s_, (tr + dd) * s_ ** 2, (tr - dd) * s_ ** 2, np.log(sd + 0.1)]
    return np.stack(out).astype(np.float32)

def mlp(X, y, hidden=16, epochs=10, bs=1024, lr=3e-3, seed=0):
    "A one-hidden-layer tanh MLP for P(y = 1 | x), trained with Adam on the logistic loss: returns predict(X)."
    r = np.random.default_rng(seed); mu, sd = X.mean(0), X.std(0) + 1e-6; X = (X - mu) / sd
    P = [r.normal(0, X.shape[1] ** -0.5, (X.shape[1], hidden)), np.zeros(hidden), r.normal(0, hidden ** -0.5, hidden), np.zeros(1)]
    M, V = [np.zeros_like(p) for p in P], [np.zeros_like(p) for p in P]
    for t, b in enumerate((b for _ in range(epochs) for idx in [r.permutation(len(X))] for b in np.array_split(idx, len(X) // bs)), 1):
        h = np.tanh(X[b] @ P[0] + P[1]); p = 1 / (1 + np.exp(-np.clip(h @ P[2] + P[3], -30, 30)))
        dz = (p - y[b]) / len(b); dh = np.outer(dz, P[2]) * (1 - h * h)
        for j, g in enumerate([X[b].T @ dh, dh.sum(0), h.T @ dz, dz.sum(keepdims=True)]):
            M[j] = 0.9 * M[j] + 0.1 * g; V[j] = 0.999 * V[j] + 0.001 * g * g
            P[j] -= lr * M[j] / (1 - 0.9 ** t) / (np.sqrt(V[j] / (1 - 0.999 ** t)) + 1e-8)
    return lambda Z: 1 / (1 + np.exp(-(np.tanh(((Z - mu) / sd) @ P[0] + P[1]) @ P[2] + P[3])))

def unet_masks(xs, ys, tests, steps, crop=256, batch=8, lr=4e-3, seed=0, threads=1):
    "Train the project's U-Net on images `xs` (normalised) with masks `ys` (BCE); its masks (p > 0.5) of images `tests`."
    import torch
    from cellnet.model import build_model
    torch.set_num_threads(threads); torch.manual_seed(seed); rng = np.random.default_rng(seed)
    net = build_model(); opt = torch.optim.AdamW(net.parameters(), lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    for step in range(steps):
        xb, yb = [], []
        for _ in range(batch):
            i, k = rng.integers(len(xs)), rng.integers(8); y0, x0 = window(xs[i].shape, crop, rng)
            xb.append(dihedral(xs[i][y0:y0 + crop, x0:x0 + crop], k)); yb.append(dihedral(ys[i][y0:y0 + crop, x0:x0 + crop], k))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(torch.from_numpy(np.stack(xb))[:, None]),
                                                                     torch.from_numpy(np.stack(yb).astype(np.float32))[:, None])
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 200 == 0: print(f'    U-Net step {step}: BCE {loss.item():.3f}', flush=True)
    net.eval(); out = []
    with torch.no_grad():
        for x in tests:   # padded to a multiple of 32 (the encoder's stride) by reflection
            ph, pw = -x.shape[0] % 32, -x.shape[1] % 32
            z = torch.from_numpy(np.pad(x, ((0, ph), (0, pw)), mode='reflect'))[None, None]
            out.append(net(z)[0, 0].numpy()[:x.shape[0], :x.shape[1]] > 0)
    return out

def iou(a, b): return (a & b).sum() / max((a | b).sum(), 1)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--unet', type=int, default=0, metavar='STEPS', help='also train the U-Net on the masks for STEPS steps per fold')
    ap.add_argument('--threads', type=int, default=1, help='torch threads of the U-Net (1: another benchmark can use the other core)')
    a = ap.parse_args()
    t0 = time.time()
    rows = {}
    names, imgs, _ = load_set('usiigaci')
    gts = [np.asarray(Image.open(SHARED/'usiigaci'/'masks'/(n.rsplit('.', 1)[0] + '.png'))) > 0 for n in names]
    for r in (1, 2, 3):
        dilated = np.mean([iou(ndi.distance_transform_edt(~g) <= r, g) for g in gts])
        eroded = np.mean([iou(ndi.distance_transform_edt(g) > r, g) for g in gts])
        print(f'instance masks dilated by {r} px: IoU {dilated:.3f}, eroded by {r} px: {eroded:.3f}')
        rows[f'instance masks dilated by {r} px'] = dict(iou=dilated)
        rows[f'instance masks eroded by {r} px'] = dict(iou=eroded)
    f, rng = 2, np.random.default_rng(0)
    small = [block_mean(g.astype(np.float32), f) > 0.5 for g in gts]
    up = lambda m, g: np.pad(np.repeat(np.repeat(m, f, 0), f, 1), [(0, g.shape[0] - m.shape[0] * f), (0, g.shape[1] - m.shape[1] * f)], mode='edge')
    F3 = [features(im) for im in imgs]; FM = [multiscale(im, f) for im in imgs]
    def sample(Fs, Ys, ids, n=8000):
        ks = [rng.choice(Ys[i].size, n, replace=False) for i in ids]
        return (np.concatenate([Fs[i].reshape(len(Fs[i]), -1)[:, k].T for i, k in zip(ids, ks)]),
                np.concatenate([Ys[i].ravel()[k] for i, k in zip(ids, ks)]).astype(float))
    res = {k: [] for k in ('3 features, logistic', 'multi-scale, MLP', 'multi-scale, MLP + auto-context')}
    if a.unet: res[f'U-Net, {a.unet} steps'] = []; norm = [normalize_image(im).astype(np.float32) for im in imgs]
    halves = [np.arange(len(imgs)) % 2 == k for k in (0, 1)]
    for tr, te in ((np.flatnonzero(halves[0]), np.flatnonzero(halves[1])), (np.flatnonzero(halves[1]), np.flatnonzero(halves[0]))):
        X, y = sample(F3, gts, tr); w = _logistic(X, y)   # class-balanced, no bias: the threshold is picked on the training half
        S = {i: np.tensordot(w, F3[i], 1) for i in range(len(imgs))}
        cands = np.quantile(np.concatenate([S[i][::4, ::4].ravel() for i in tr]), np.linspace(0.5, 0.95, 19))
        thr = max(cands, key=lambda t: np.mean([iou(S[i] > t, gts[i]) for i in tr]))
        res['3 features, logistic'] += [iou(S[i] > thr, gts[i]) for i in te]
        c1 = mlp(*sample(FM, small, tr)); P1 = [c1(Fi.reshape(len(Fi), -1).T).reshape(Fi.shape[1:]) for Fi in FM]
        res['multi-scale, MLP'] += [iou(up(P1[i] > 0.5, gts[i]), gts[i]) for i in te]
        F2 = [np.concatenate([Fi, [p] + [ndi.gaussian_filter(p, s) for s in (1, 2, 4, 8, 16)]]) for Fi, p in zip(FM, P1)]
        c2 = mlp(*sample(F2, small, tr))
        res['multi-scale, MLP + auto-context'] += [iou(up(c2(F2[i].reshape(len(F2[i]), -1).T).reshape(F2[i].shape[1:]) > 0.5, gts[i]), gts[i]) for i in te]
        if a.unet:
            ms = unet_masks([norm[i] for i in tr], [gts[i] for i in tr], [norm[i] for i in te], a.unet, threads=a.threads)
            res[f'U-Net, {a.unet} steps'] += [iou(m, gts[i]) for m, i in zip(ms, te)]
    for k, v in res.items():
        print(f'trained on the instance masks, 2-fold, {k}: IoU {np.mean(v):.3f} (min {np.min(v):.3f})')
        rows[f'trained on the instance masks, 2-fold, {k}'] = dict(iou=np.mean(v), iou_min=np.min(v))
    write_result(result_name(__file__, a, ap, unscored={'threads'}), rows, t0)

if __name__ == '__main__': main()
