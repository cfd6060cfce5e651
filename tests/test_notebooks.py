"""Each notebook in nbs/ is a test: run it as `nbdev_test` does (flagged slow cells skipped), one process each.

pytest gives the counted summary CI reads; `nbdev_test` itself only prints `Success.`"""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT / 'nbs').parts))

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT / 'nbs')) for p in NBS])
def test_notebook(nb):
    exe = Path(sys.executable).with_name('nbdev_test')
    r = subprocess.run([str(exe), '--path', str(nb)], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, 'HF_HUB_OFFLINE': '1'}, timeout=1800)
    assert r.returncode == 0, f'{nb.name} failed:\n{r.stdout[-4000:]}\n{r.stderr[-8000:]}'
