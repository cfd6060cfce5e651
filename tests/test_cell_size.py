"""The cell-size benchmark's scoring (benchmarks/cell_size.py): how a row sums up an estimate against the truth, and
which Usiigaci images it takes (half of each culture)."""
import sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'benchmarks')]
import cell_size


def test_row():
    r = cell_size.row([(10.0, 10.0), (10.0, 15.0), (20.0, 10.0), (10.0, None)])
    assert r['images'] == 4 and r['no_estimate'] == 1
    assert r['off_1_4x'] == 3                        # 1.5× too large, 2× too small, and no estimate
    assert r['median_rel'] == pytest.approx(0.5)     # |ratio − 1| of 1, 1.5, 0.5
    assert r['worst_ratio'] == pytest.approx(2.0)
    assert r['truth_px'] == 10.0 and r['estimate_px'] == 10.0


def test_row_without_estimates():
    r = cell_size.row([(10.0, None)])
    assert (r['off_1_4x'], r['median_rel'], r['worst_ratio']) == (1, None, None)


@pytest.mark.skipif(not (cell_size.SHARED / 'usiigaci').is_dir(), reason='shared data not here')
def test_usiigaci_cultures():
    large, small = cell_size.chosen('usiigaci', 5)
    assert large == ['set1.tif', 'set2.tif', 'set3.tif'] and small == ['set13.tif', 'set14.tif']
