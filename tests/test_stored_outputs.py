"""The docs show the tutorials' stored outputs, and `nbdev_test` runs the tutorials without saving what they print. So a
cell that prints the library's own settings would keep showing old ones after they change (the training tutorial's
listing of the registry did). Here such cells are run again and must print what the notebook shows; after changing
what they print, execute the tutorial again (CONTRIBUTING.md)."""
import contextlib, io, json
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = 'import json\nfrom cellnet.learner import DEFAULTS, EXPERIMENTS, experiment_configs'
CELLS = [('tutorials/train.ipynb', 'print(json.dumps(DEFAULTS'),          # (notebook, how the cell's source begins)
         ('tutorials/train.ipynb', 'for name, changes in EXPERIMENTS.items()'),
         ('tutorials/train.ipynb', "for cfg in experiment_configs('sigma')")]


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
    buf, ns = io.StringIO(), {}
    exec(SETUP, ns)
    with contextlib.redirect_stdout(buf): exec(src, ns)
    assert buf.getvalue() == stored, (f'{nb}: the cell beginning {start!r} now prints\n{buf.getvalue()}\nbut the notebook '
                                      f'shows\n{stored}\nexecute it again: jupyter nbconvert --to notebook --execute '
                                      f'--inplace nbs/{nb}, then nbdev_clean')
