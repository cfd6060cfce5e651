"""The review notebook in a real browser: serve nbs/tutorials/review.ipynb with Voilà on localhost, drive it with
Playwright (npm `playwright-core`, in tests/browser/) in Debian's Chromium, and check what reached `data_quality.csv`:
the first image's mask marked BAD with its button, the second image's annotation marked `fully` with the keyboard,
every other cell unchanged. The screenshot goes to .ci/artifacts/widgets/review.png.

The widget callbacks themselves are tested headless in nbs/17_widgets.ipynb; this test covers what only a browser
shows: that the widgets render in the app, that a click and a key press reach the kernel, and that the file changes.
What it needs (chromium, node, npm, the npm package) is installed here when missing; without root or apt-get it
skips, saying so."""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import pytest
from debian import apt_install

ROOT = Path(__file__).resolve().parents[1]
APP, JS = ROOT / 'nbs' / 'tutorials' / 'review.ipynb', ROOT / 'tests' / 'browser'
SHOTS = ROOT / '.ci' / 'artifacts' / 'widgets'
NEEDS = {'chromium': 'chromium', 'node': 'nodejs', 'npm': 'npm'}   # executable: Debian package


def _run(cmd, timeout, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f'{" ".join(map(str, cmd))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}'
    return r.stdout


def tools():
    "chromium, node and npm, installed with apt-get where missing; the test skips only when that is impossible."
    missing = [pkg for exe, pkg in NEEDS.items() if not shutil.which(exe)]
    if missing and not apt_install(*missing):
        pytest.skip(f'needs {", ".join(missing)} (apt-get install {" ".join(missing)}): not root or no apt-get here')
    if not (JS / 'node_modules' / 'playwright-core').is_dir():
        _run(['npm', 'ci', '--no-audit', '--no-fund'], 600, cwd=JS)
    return shutil.which('chromium')


def app_notebook(dest: Path, **params) -> Path:
    "A copy of review.ipynb with `params` set in a cell after its `parameters` cell (as papermill injects them)."
    nb = json.loads(APP.read_text())
    i = next(i for i, c in enumerate(nb['cells']) if 'parameters' in c.get('metadata', {}).get('tags', []))
    src = ''.join(f'{k} = {v!r}\n' for k, v in params.items())
    nb['cells'].insert(i + 1, {'cell_type': 'code', 'execution_count': None, 'id': 'injected-parameters',
                               'metadata': {'tags': ['injected-parameters']}, 'outputs': [], 'source': src})
    dest.write_text(json.dumps(nb))
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def wait_http(url: str, proc, log: Path, timeout: float = 90):
    t0 = time.time()
    while time.time() - t0 < timeout:
        assert proc.poll() is None, f'voila exited ({proc.returncode}):\n{log.read_text()[-3000:]}'
        try:
            with urllib.request.urlopen(url, timeout=5): return
        except OSError: time.sleep(0.5)
    raise AssertionError(f'voila did not answer on {url} within {timeout} s:\n{log.read_text()[-3000:]}')


def test_review_app_marks_bad_in_browser():
    exe = tools()
    sys.path.insert(0, str(ROOT))
    from cellnet.prepare import prepare
    from cellnet.quality import read_quality
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='cellnet-widgets-browser-') as d:
        d = Path(d); data = d / 'data'
        shutil.copytree(ROOT / 'data' / 'fixtures', data)
        prepare(data)
        q = data / 'data_quality.csv'
        before = read_quality(q)
        nb = app_notebook(d / 'review.ipynb', data_dir=str(data), count_folder=str(ROOT / 'data' / 'demo'))
        port, log = free_port(), d / 'voila.log'
        with open(log, 'w') as lf:
            voila = subprocess.Popen([sys.executable, '-m', 'voila', str(nb), '--no-browser', f'--port={port}',
                                      '--Voila.ip=127.0.0.1', '--show_tracebacks=True'],
                                     cwd=d, stdout=lf, stderr=subprocess.STDOUT, env={**os.environ, 'MPLBACKEND': 'Agg'})
        try:
            url = f'http://127.0.0.1:{port}/'
            wait_http(url, voila, log)
            shot = SHOTS / 'review.png'
            out = _run(['node', str(JS / 'review.mjs'), url, str(shot)], 150,
                       cwd=JS, env={**os.environ, 'CHROMIUM': exe})
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f'the browser script timed out:\n{e.stdout}\n{e.stderr}\nvoila:\n{log.read_text()[-3000:]}')
        finally:
            voila.terminate()
            try: voila.wait(20)
            except subprocess.TimeoutExpired: voila.kill()
        assert json.loads(out.strip().splitlines()[-1]) == {'errors': []}, out
        after = read_quality(q)
        first, second = 'hela-im01-crop.png', 'usiigaci-set1-crop.tif'
        assert after[first] == {**before[first], 'fgmask_status': 'BAD'}
        assert after[second] == {**before[second], 'annotation_status': 'fully'}
        assert {k: v for k, v in after.items() if k not in (first, second)} == \
               {k: v for k, v in before.items() if k not in (first, second)}
        assert shot.stat().st_size > 10_000
