"""The shipped default model on the phase-contrast sets it was trained on (HeLa and Usiigaci, training splits).

    python benchmarks/default_model.py        # about a minute on 2 cores
    python benchmarks/default_model.py --centre-radius 0   # centres at the peak pixels
    python benchmarks/default_model.py --model DIR         # a candidate default instead of the shipped one

These are its own training images, so the figures show what the model has learnt and guard against a broken release or
a regression in counting (tiling, peaks); they are not a held-out evaluation (hela.py, release_kfold.py are). Each image is
counted by `count_image` as a user would, once with the set's known cell diameter and once with the size estimated per
image (the default), and scored at the set's tolerance: F1 of the centres, and the count MAE of the model's count (its
centres) and of the density integral. Writes results/bench/default_model.json."""
import argparse, dataclasses, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_set, count_scores, result_name, write_result
from cellnet.learner import DATASETS
from cellnet.release import init_model

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--centre-radius', type=int, default=None, help="as cellnet count's (default: the model's)")
    ap.add_argument('--model', default=None, metavar='DIR', help='another model folder (a candidate default)')
    a = ap.parse_args()
    t0 = time.time()
    model = init_model(a.model)
    if a.centre_radius is not None:
        model.config = dataclasses.replace(model.config, peaks={**model.config.peaks, 'centre_radius': a.centre_radius})
    print(f'model {model.version} ({model.config.model["encoder"]}), count = {model.config.count}, '
          f'peak settings {model.config.peaks}')
    rows = {}
    for name in ('hela-phc', 'usiigaci'):
        names, images, points = load_set(name)
        print(f"{name}: {len(images)} images, tolerance {DATASETS[name]['tol']:g} px, cells about "
              f"{DATASETS[name]['cell_diameter']:g} px")
        for size in (DATASETS[name]['cell_diameter'], 'auto'):
            s = count_scores(model, names, images, points, DATASETS[name]['tol'], size)
            own, integral, d = s['errors']['count'], s['errors']['integral'], s['diameters']
            how = f'estimated (median {np.median(d):.1f} px, {min(d):.1f}–{max(d):.1f})' if size == 'auto' else 'given'
            print(f"  cell size {how:<38} F1 {s['f1']:.3f} (P {s['precision']:.3f} R {s['recall']:.3f}); "
                  f"count MAE {own['mae']:.2f} (rel {own['rel']:.3f}), integral MAE {integral['mae']:.2f}")
            rows[f"{name}, cell size {'estimated' if size == 'auto' else 'given'}"] = dict(
                f1=s['f1'], precision=s['precision'], recall=s['recall'], count_mae=own['mae'], count_rel=own['rel'],
                integral_mae=integral['mae'], diameter_median=float(np.median(d)))
    write_result(result_name(__file__, a, ap), rows, t0)

if __name__ == '__main__': main()
