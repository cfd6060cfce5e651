"""The shipped model's recipe (`release`) on images it has not seen: k-fold over the HeLa and Usiigaci training images
together (each fold holds part of each set), F1 of the centres at each set's tolerance (8 / 19 px) and count errors,
against the LoG detector tuned per set on the same training images.

    python benchmarks/release_kfold.py --folds 2 --threads 1   # trains 2 models of 3,000 steps (224² crops) on one core

Time: training dominates (train_speed.py measures it); each run records its own in meta.seconds.
Writes results/bench/release_kfold-folds=2.json."""
import sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, cfg_for, kfold_scores, show, result_name, write_result

SETS = ['hela-phc', 'usiigaci']

if __name__ == '__main__':
    ap = parser(__doc__)
    ap.add_argument('--folds', type=int, default=3)
    ap.set_defaults(experiment='release')
    a = ap.parse_args()
    t0 = time.time()
    cfg = cfg_for(SETS, a)
    rows = kfold_scores(SETS, cfg, a.folds, a)
    show(f'Release recipe ({cfg.steps} steps), {a.folds}-fold over HeLa + Usiigaci, held-out images', rows)
    write_result(result_name(__file__, a, ap), rows, t0)
