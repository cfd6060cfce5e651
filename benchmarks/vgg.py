"""VGG synthetic cells in the Lempitsky protocol: per draw, a model trained on N = 32 random images of the pool of
100 counts the other 68; count MAE (the integral) as mean ± std over the draws, with and without flips averaged.

    python benchmarks/vgg.py --experiment overlapping --draws 5 --threads 1   # the recipe for overlapping cells (1,200 steps a draw)
    python benchmarks/vgg.py --draws 5 --steps 600                            # the default recipe
    python benchmarks/vgg.py --experiment overlapping --draws 2 --first-draw 3   # draws 3 and 4 only (split a run in two)

The tuned LoG baseline on the same protocol is benchmarks/log_baseline.py's. Time: one training a draw
(train_speed.py measures its speed); each run records its own in meta.seconds."""
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, cfg_for, samples, train, result_name, write_result
from cellnet.learner import load_train_images, evaluate_model

N_TRAIN = 32

def draw_maes(ss, d, a) -> tuple[float, float]:
    "Count MAE on the held-out images of draw `d`, plain and with flips averaged."
    idx = np.random.default_rng(d).permutation(len(ss))
    cfg = cfg_for(['vgg-cells'], a, cell_diameter=12.0)
    tr = train(cfg, load_train_images([ss[i] for i in idx[:N_TRAIN]], cfg, 'vgg-cells'), a, f'draw{d}')
    te = load_train_images([ss[i] for i in idx[N_TRAIN:]], cfg, 'vgg-cells')
    p = tr.predictor
    return evaluate_model(p, te)['summary']['count_mae'], evaluate_model(p, te, tta=True)['summary']['count_mae']

if __name__ == '__main__':
    ap = parser(__doc__)
    ap.add_argument('--draws', type=int, default=5)
    ap.add_argument('--first-draw', type=int, default=0, help='the first draw (to split the draws between two runs)')
    a = ap.parse_args()
    t0 = time.time()
    ss = samples('vgg-cells')
    maes, tta_maes = [], []
    for d in range(a.first_draw, a.first_draw + a.draws):
        mae, tta_mae = draw_maes(ss, d, a)
        maes.append(mae)
        tta_maes.append(tta_mae)
        print(f'  draw {d}: count MAE {mae:.2f} (flips averaged: {tta_mae:.2f})', flush=True)
    rows = {name: dict(mean=float(np.mean(m)), std=float(np.std(m)), draws=m)
            for name, m in (('cellnet count MAE', maes), ('cellnet count MAE, flips averaged', tta_maes))}
    print(f"\nVGG cells, N = {N_TRAIN}, {a.draws} draws from {a.first_draw}, evaluated on the other {len(ss) - N_TRAIN} of the pool: "
          f"count MAE {np.mean(maes):.2f} ± {np.std(maes):.2f} (flips averaged: {np.mean(tta_maes):.2f} ± {np.std(tta_maes):.2f})")
    write_result(result_name(__file__, a, ap), rows, t0)
