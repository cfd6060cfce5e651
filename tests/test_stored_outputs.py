"""The docs show the tutorials' stored outputs, and `nbdev_test` runs the tutorials without saving what they print. So a
cell that prints the library's own settings would keep showing old ones after they change (the training tutorial's
listing of the registry did). Here such cells are run again and must print what the notebook shows; after changing
what they print, execute the tutorial again (CONTRIBUTING.md)."""
import contextlib, io, json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = 'import json\nfrom cellnet.learner import DEFAULTS, EXPERIMENTS, experiment_configs'
CELLS = [('tutorials/train.ipynb', 'print(json.dumps(DEFAULTS'),          # (notebook, how the cell's source begins)
         ('tutorials/train.ipynb', 'for name, changes in EXPERIMENTS.items()'),
         ('tutorials/train.ipynb', "for recipe in experiment_configs('sigma')"),
         ('tutorials/count.ipynb', '!cellnet count --help')]              # a shell line: run with this environment's cellnet


def stored_cell(nb: str, start: str) -> tuple[str, str]:
    "The source and the stored stdout of the one code cell of `nb` whose source begins with `start`."
    cells = [c for c in json.loads((ROOT / 'nbs' / nb).read_text())['cells']
             if c['cell_type'] == 'code' and ''.join(c['source']).startswith(start)]
    assert len(cells) == 1, f'{nb}: {len(cells)} code cells begin with {start!r} (expected one): update {__file__}'
    out = ''.join(''.join(o['text']) for o in cells[0].get('outputs', []) if o.get('name') == 'stdout')
    return ''.join(cells[0]['source']), out


@pytest.mark.parametrize('nb,start', CELLS, ids=[s for _, s in CELLS])
def test_stored_output_is_current(nb, start):
    src, stored = stored_cell(nb, start)
    if src.startswith('!'):   # IPython ran it in a terminal 80 columns wide, with CRLF line ends
        exe = Path(sys.executable).with_name(src[1:].split()[0])
        now = subprocess.run([str(exe), *src[1:].split()[1:]], capture_output=True, text=True, check=True,
                             env={**os.environ, 'COLUMNS': '80'}).stdout
        stored = stored.replace('\r\n', '\n')
    else:
        buf, ns = io.StringIO(), {}
        exec(SETUP, ns)
        with contextlib.redirect_stdout(buf): exec(src, ns)
        now = buf.getvalue()
    assert now == stored, (f'{nb}: the cell beginning {start!r} now prints\n{now}\nbut the notebook shows\n{stored}\n'
                           f'execute it again: jupyter nbconvert --to notebook --execute --inplace nbs/{nb}, then nbdev_clean')
