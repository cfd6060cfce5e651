"""The peer benchmark (benchmarks/peer_nuclephaser.py) without the peer: its points from boxes, its rows, the reuse of its
virtual environment, and that cellnet's side never loads ultralytics (AGPL-3.0)."""
import subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'tools'), str(ROOT / 'benchmarks')]
import results
import _peer_runner
import peer_nuclephaser


def test_box_centres():
    boxes = [{'bbox': [10.0, 20.0, 5.0, 7.0]}, {'bbox': [10.6, 20.2, 5.5, 7.9]}]   # COCO: x, y, width, height
    assert _peer_runner.box_centres(boxes) == [[12, 23], [12, 23]]                 # half sizes floored, then truncated
    assert _peer_runner.box_centres([]) == []


def test_scores():
    truth = [np.array([[10, 10, 1], [50, 50, 1], [90, 90, 2]]), np.array([[20, 20, 1]])]   # label 2: not a cell
    points = [[[12, 10], [80, 80]], [[20, 21], [60, 60]]]
    row = peer_nuclephaser.scores(['a', 'b'], points, truth, [2, 2], seconds=3.0, megapixels=2.0, tol=8)
    assert set(row) == {'f1', 'precision', 'recall', 'count_mae', 'count_rel', 's_per_mp'}
    assert row['precision'] == 0.5 and row['recall'] == pytest.approx(2 / 3)
    assert row['count_mae'] == 0.5 and row['count_rel'] == pytest.approx(1 / 3) and row['s_per_mp'] == 1.5


def test_venv_reused(tmp_path, monkeypatch):
    "A venv built with the same requirements is used as it is: nothing is installed."
    (tmp_path / 'cellnet-requirements.txt').write_text('\n'.join([*peer_nuclephaser.PEER_REQUIREMENTS, peer_nuclephaser.PEER]))
    monkeypatch.setattr(subprocess, 'run', lambda *a, **k: pytest.fail(f'ran {a}'))
    assert peer_nuclephaser.peer_python(tmp_path) == tmp_path / 'bin' / 'python'


def test_no_ultralytics():
    assert 'ultralytics' not in sys.modules and 'sahi' not in sys.modules
    assert 'ultralytics' not in (ROOT / 'pyproject.toml').read_text()
    assert results.BENCHMARKS['peer_nuclephaser'].split()[1] == 'benchmarks/peer_nuclephaser.py'


def test_variant_rows(tmp_path, monkeypatch):
    "A rescaled microscope: both tools scored against the points moved with the pixels, at the tolerance times the scale."
    from cellnet.microscopes import Frame, write_frames
    image = np.random.default_rng(0).random((40, 40)).astype(np.float32)
    write_frames(tmp_path / 'tiny', [Frame('a.png', image, np.array([[10.5, 10.5, 1], [30.5, 20.5, 1]]), 'fully')])
    monkeypatch.setattr(peer_nuclephaser, 'SHARED', tmp_path)
    monkeypatch.setattr(peer_nuclephaser, 'SETS', {'tiny': (8.0,)})
    monkeypatch.setattr(peer_nuclephaser, 'timed_counts', lambda model, images: (
        [dict(points=np.array([[5.0, 5.0]]), count=1.0)], 1.0))              # near the first point, halved
    def run_peer(python, model, paths, threads):
        assert [p.suffix for p in paths] == ['.png'] and all(p.exists() for p in paths)   # files a user's would be
        pts = [[5, 5], [15, 10]] if model == 'ND_v11n.pt' else [[10, 10], [30, 20]]   # where they are; where they were
        return {str(p): dict(points=pts, seconds=0.5) for p in paths}
    monkeypatch.setattr(peer_nuclephaser, 'run_peer', run_peer)
    rows = peer_nuclephaser.variant_rows('tiny', 'rescale-0.5', None, None, Path('peer-venv/bin/python'), 1)
    assert list(rows) == ['cellnet default on tiny/rescale-0.5 @ 8 px', 'napari-nuclephaser ND_v11n on tiny/rescale-0.5 @ 8 px',
                          'napari-nuclephaser ND_v11s on tiny/rescale-0.5 @ 8 px']
    alone = peer_nuclephaser.variant_rows('tiny', 'rescale-0.5', None, None, None, 1)   # --no-peer: no peer python
    assert list(alone) == ['cellnet default on tiny/rescale-0.5 @ 8 px'] and alone[list(alone)[0]] == rows[list(alone)[0]]
    assert {r['tol_px'] for r in rows.values()} == {4.0}
    cellnet, small, other = rows.values()
    assert cellnet['precision'] == 1 and cellnet['recall'] == 0.5 and cellnet['count_rel'] == 0.5
    assert small['f1'] == 1 and other['f1'] == 0 and small['s_per_mp'] == 0.5 / (20 * 20 / 1e6)
