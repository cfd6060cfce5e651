"""The benchmark result files and their tables: a file written as the benchmark scripts write it (benchmarks/_common.py)
is found by its command and rendered by tools/results.py; an absent one says which command to run."""
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'tools'), str(ROOT / 'benchmarks')]
import results
import _common

HELA_ROWS = {'cellnet on hela-phc': dict(f1=0.9512, precision=0.96, recall=0.943, count_mae=3.25, count_rel=0.031,
                                         peaks_mae=1.5, peaks_rel=0.0123, counts={'im01': {'integral': 80.2}}),
             'LoG on hela-phc (mean of folds)': dict(f1=0.9, precision=0.9, recall=0.9, count_mae=6.0, count_rel=0.06)}


@pytest.fixture
def bench(tmp_path, monkeypatch):
    "A results folder holding one file, written by `write_result` as `python benchmarks/hela.py --folds 2 --threads 1` would."
    monkeypatch.setattr(sys, 'argv', [str(ROOT / 'benchmarks/hela.py'), '--folds', '2', '--threads', '1'])
    path = _common.write_result('hela-folds=2', HELA_ROWS, t0=0.0, out_dir=tmp_path)
    assert path == tmp_path / 'hela-folds=2.json'
    return tmp_path


def test_result_file(bench):
    res = json.loads((bench / 'hela-folds=2.json').read_text())
    assert set(res) == {'meta', 'rows'}
    assert set(res['meta']) == {'command', 'commit', 'date', 'seconds', 'cores'}
    assert res['meta']['command'] == results.BENCHMARKS['hela']   # as the docs give it
    assert res['meta']['commit'].split('-')[0] == subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
                                                                 capture_output=True, text=True).stdout.strip()
    assert res['rows']['cellnet on hela-phc']['f1'] == 0.9512


def test_result_name():
    ap = _common.parser('test')
    ap.add_argument('--folds', type=int, default=3)
    name = lambda *args: _common.result_name('benchmarks/hela.py', ap.parse_args(args), ap)
    assert name('--folds', '2', '--threads', '1') == 'hela-folds=2'   # threads change the speed, not the figures
    assert name() == 'hela'
    assert name('--steps', '800', '--set', 'normalize={"mad": [15, 45]}') == 'hela-steps=800-normalize=mad~15,45'
    assert _common.file_safe('hela-phc:usiigaci') == 'hela-phc~usiigaci'   # no colons: Windows cannot check them out


def test_table(bench):
    md = results.table('hela', bench)
    assert '| | F1 | P | R | count MAE | count error | centres MAE | centres error |' in md
    assert '| cellnet on hela-phc | 0.951 | 0.960 | 0.943 | 3.25 | 3.1% | 1.50 | 1.2% |' in md
    assert '| LoG on hela-phc (mean of folds) | 0.900 | 0.900 | 0.900 | 6.00 | 6.0% |  |  |' in md
    assert 'integral' not in md                      # nested figures (per-image counts) stay in the file
    assert f"Measured by `{results.BENCHMARKS['hela']}` at commit" in md


def test_absent(bench):
    assert results.table('vgg', bench) == f"*Not measured at this version — run `{results.BENCHMARKS['vgg']}`.*"
    assert results.find('python benchmarks/hela.py --folds 3', bench) is None   # another command is another result


def test_summary(bench):
    lines = results.summary(bench).splitlines()
    assert len(lines) == 2 + len(results.SUMMARY) <= 2 + 6    # the README keeps at most six result rows
    assert lines[2].startswith('| HeLa') and '| 0.951 (tuned LoG 0.900) (commit `' in lines[2] and lines[2].endswith('| ≥ 0.97 |')
    assert all('not measured at this version' in l for l in lines[3:])


def test_expand(bench):
    md = results.expand('Before.\n\n<!-- results: hela -->\n\nBetween.\n<!-- results -->\nAfter.', bench)
    assert md.startswith('Before.\n\n| | F1 |') and '| | command | result | goal |' in md and md.endswith('\nAfter.')
    assert results.expand('no marker here', bench) == 'no marker here'
    with pytest.raises(KeyError, match='nope'): results.expand('<!-- results: nope -->', bench)


def test_missing_figure(bench):
    rows = json.loads((bench / 'hela-folds=2.json').read_text())['rows']
    assert results.fill('{cellnet on hela-phc|f1:.2f}', rows) == '0.95'
    assert results.fill('{cellnet on hela-phc|nope}', rows) == "(no nope in row 'cellnet on hela-phc')"


def test_same_command_ignores_where_models_were_kept():
    documented = 'python benchmarks/hela.py --folds 2 --threads 1'
    assert results.same_command(documented, 'python benchmarks/hela.py --folds 2 --threads 1 --run-dir /tmp/x')
    assert results.same_command(documented, "python  benchmarks/hela.py --run-dir='/a b' --folds 2 --threads 1")
    assert not results.same_command(documented, 'python benchmarks/hela.py --folds 3 --threads 1')


def test_wide_table(tmp_path, monkeypatch):
    "A `WIDE` benchmark's rows on other microscopes ('TOOL on SET/VARIANT …') sit in a second table, a line per microscope."
    monkeypatch.setattr(sys, 'argv', [str(ROOT / 'benchmarks/peer_nuclephaser.py'), '--threads', '1'])
    row = lambda f1, rel, **kw: dict(f1=f1, precision=f1, recall=f1, count_mae=1.0, count_rel=rel, s_per_mp=2.0, **kw)
    _common.write_result('peer_nuclephaser', {
        'cellnet default on hela-phc @ 8 px': row(0.97, 0.02), 'peer on hela-phc @ 8 px': row(0.98, 0.01),
        'cellnet default on hela-phc/rescale-0.5 @ 8 px': row(0.9, 0.1, tol_px=4.0),
        'peer on hela-phc/rescale-0.5 @ 8 px': row(0.95, 0.05, tol_px=4.0),
        'cellnet default on hela-phc/inverted @ 8 px': row(0.5, 0.4, tol_px=8.0)}, t0=0.0, out_dir=tmp_path)
    md = results.table('peer_nuclephaser', tmp_path)
    flat, wide = md.split('\n\n')[:2]
    assert flat.splitlines()[0] == '| | F1 | P | R | count MAE | count error | s/MP |' and len(flat.splitlines()) == 4
    assert wide.splitlines() == ['| | cellnet default: F1 | cellnet default: count error | peer: F1 | peer: count error |',
                                 '|---|---|---|---|---|',
                                 '| hela-phc/rescale-0.5 @ 8 px | 0.900 | 10.0% | 0.950 | 5.0% |',
                                 '| hela-phc/inverted @ 8 px | 0.500 | 40.0% |  |  |']
    assert md.split('\n\n')[2].startswith('Measured by ') and results.WIDE.keys() <= results.BENCHMARKS.keys()
