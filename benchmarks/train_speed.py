"""Training speed of the default recipe: crops per second on HeLa and Usiigaci, after three warm-up steps.

    python benchmarks/train_speed.py              # 30 timed steps (--steps) after 3 warm-up steps
    python benchmarks/train_speed.py --threads 1  # one thread, so that two runs can share the 2-core machine"""
import dataclasses, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, cfg_for, samples, result_name, write_result
from cellnet.learner import load_train_images, Trainer

WARM_UP = 3

if __name__ == '__main__':
    ap = parser(__doc__)
    a = ap.parse_args()
    t0 = time.time()
    cfg = cfg_for(['hela-phc', 'usiigaci'], a)
    ims = sum((load_train_images(samples(n), cfg, n) for n in cfg.data), [])
    tr = Trainer(dataclasses.replace(cfg, steps=10_000), ims, tempfile.mkdtemp())
    tr.fit(until=WARM_UP)
    steps = a.steps or 30
    t = time.time()
    tr.fit(until=WARM_UP + steps)
    dt = time.time() - t
    row = dict(crops_per_s=steps * cfg.batch / dt, step_s=dt / steps, crop=cfg.crop, batch=cfg.batch, threads=cfg.threads)
    print(f"{a.experiment} recipe: {row['crops_per_s']:.1f} crops/s ({cfg.crop}², batch {cfg.batch}, "
          f"{row['step_s']:.2f} s/step, {cfg.threads} threads)")
    write_result(result_name(__file__, a, ap, unscored={'run_dir'}), {f'{a.experiment} recipe, {cfg.threads} threads': row}, t0)
