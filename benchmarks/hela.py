"""HeLa k-fold: the default recipe trained on part of the 11 HeLa training images and scored on the rest, F1 of the
centres at the published 8 px tolerance and count errors, against the LoG detector tuned on the same training images.

    python benchmarks/hela.py --folds 2 --threads 1      # trains 2 models of 2,000 steps on one core
    python benchmarks/hela.py --folds 2 --steps 800      # a shorter recipe

Time: training dominates (train_speed.py measures it); each run records its own in meta.seconds.
Rows per set: plain, with the peak threshold relative to each image, with the density averaged over flips or over
all eight symmetries (D4), and with the centres at the peak pixels. Writes results/bench/hela-folds=2.json."""
import sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, cfg_for, kfold_scores, show, result_name, write_result

if __name__ == '__main__':
    ap = parser(__doc__)
    ap.add_argument('--folds', type=int, default=3)
    a = ap.parse_args()
    t0 = time.time()
    cfg = cfg_for(['hela-phc'], a)
    rows = kfold_scores(['hela-phc'], cfg, a.folds, a)
    show(f'HeLa, {a.folds}-fold, tol 8 px ({cfg.steps} steps per fold)', rows)
    write_result(result_name(__file__, a, ap), rows, t0)
