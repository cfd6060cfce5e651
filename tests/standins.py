"""Stand-ins for a trained model, shared by the notebooks' tests (they run with cwd nbs/: `sys.path` gets ../tests).

A stand-in is a local operator like a real network, so tiling, rescaling, peaks and counting are exercised exactly,
independent of training."""
import numpy as np
from scipy import ndimage as ndi
from cellnet.predict import ModelConfig

class DiscModel:
    "A stand-in for a trained model: blurred input divided by the disc area, so each disc integrates to one cell."
    config = ModelConfig(model=dict(in_channels=1), sigma=1.5, normalize=dict(low=1.0, high=99.8), cell_diameter=4.0,
                         tile=dict(size=128, overlap=16), peaks=dict(min_distance=3, radius=3, threshold=0.3))
    version = None   # not a release
    def predict(self, x): return ndi.gaussian_filter(x, (0, 0, 1.5, 1.5), mode='mirror', truncate=4) / 13.0

def disc_image(centres, shape=(200, 300), r2=4.5) -> np.ndarray:
    "Bright discs (210) of radius² `r2` at Label Studio points `centres` on a background of 10: the stand-in's cells."
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    img = np.full(shape, 10, np.float32)
    for x, y in centres: img[(xx + .5 - x) ** 2 + (yy + .5 - y) ** 2 <= r2] = 210.0
    return img

def spread_centres(n: int = 40, shape=(200, 300), min_gap: float = 8, seed: int = 1) -> np.ndarray:
    "Up to `n` random pixel-centre points inside `shape`, 10 px from its edges, none closer than `min_gap` to another."
    rng = np.random.default_rng(seed)
    c = np.c_[rng.uniform(10, shape[1] - 10, n), rng.uniform(10, shape[0] - 10, n)].round() + .5
    gaps = np.linalg.norm(c[:, None] - c[None], axis=-1).min(1, initial=99, where=~np.eye(n, dtype=bool))
    return c[gaps > min_gap]
