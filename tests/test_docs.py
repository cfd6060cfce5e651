"""The docs site, as a reader gets it: build it (`python tools/build_docs.py`), serve `_docs/` on localhost and
load every page in headless Debian Chromium. Each page must load without console errors or failed requests,
request nothing from outside localhost, have every internal link (and its #anchor) resolve and every image
decoded; the search box must find an API symbol. Screenshots go to .ci/artifacts/docs/.

Chromium is driven over the DevTools protocol from Python (`--remote-debugging-pipe`, stdlib only): no npm
tree, no second language, no port to pick. Why: nbs/explanations/docs.ipynb."""
import base64, fcntl, functools, http.server, json, os, queue, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path
from urllib.parse import unquote, urlsplit
import pytest
from debian import apt_install

ROOT = Path(__file__).resolve().parents[1]
DOCS, SHOTS = ROOT / '_docs', ROOT / '.ci' / 'artifacts' / 'docs'
# Flags from the machine notes: without the background-networking ones Chromium keeps dialling out.
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars']


def chromium() -> str:
    "Debian's chromium, installed with apt-get when it is missing and we are root."
    if not shutil.which('chromium') and not apt_install('chromium'):
        pytest.fail('Debian chromium is not installed (apt-get install chromium): the docs cannot be checked')
    return shutil.which('chromium')


def _above(fd: int, low: int) -> int:
    "A copy of `fd` numbered `low` or more (the original is closed)."
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)
    os.close(fd)
    return new


class Browser:
    "Chrome DevTools Protocol over a pipe: Chromium reads commands on fd 3 and answers on fd 4, NUL-separated JSON."
    def __init__(self, exe: str, profile: Path, log: Path):
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        cmd_r, out_w = (_above(fd, 10) for fd in (cmd_r, out_w))  # so that moving them to 3 and 4 clobbers neither
        shell = f'exec "$0" "$@" 3<&{cmd_r} 4>&{out_w} {cmd_r}<&- {out_w}>&-'
        self._log = open(log, 'w')
        self.proc = subprocess.Popen(['/bin/bash', '-c', shell, exe, *FLAGS, f'--user-data-dir={profile}',
                                      '--remote-debugging-pipe', 'about:blank'], pass_fds=(cmd_r, out_w),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        os.close(cmd_r); os.close(out_w)
        self._q, self._id, self.events = queue.Queue(), 0, []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b''
        while chunk := os.read(self._out_r, 1 << 16):
            buf += chunk
            *msgs, buf = buf.split(b'\0')
            for m in msgs: self._q.put(json.loads(m))
        self._q.put(None)

    def _next(self, deadline):
        try: m = self._q.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty: raise TimeoutError('Chromium did not answer in time') from None
        if m is None: raise RuntimeError(f'Chromium exited (log: {self._log.name})')
        return m

    def send(self, method, params=None, session=None, timeout=60):
        self._id += 1
        msg = {'id': self._id, 'method': method, 'params': params or {}}
        if session: msg['sessionId'] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b'\0')
        deadline = time.time() + timeout
        while True:
            m = self._next(deadline)
            if m.get('id') == self._id:
                if 'error' in m: raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})
            self.events.append(m)

    def wait_for(self, method, session, timeout=60):
        deadline = time.time() + timeout
        while not any(e.get('method') == method and e.get('sessionId') == session for e in self.events):
            self.events.append(self._next(deadline))

    def close(self):
        try: self.send('Browser.close', timeout=10)
        except Exception: pass
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()
        os.close(self._cmd_w); self._log.close()


PAGE_INFO = """(() => ({
  height: Math.ceil(document.documentElement.scrollHeight),
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  imgs: Array.from(document.images, i => ({src: i.currentSrc || i.src, w: i.naturalWidth})),
  sidebar: Array.from(document.querySelectorAll('.sidebar-section'), h => h.textContent),
}))()"""

SEARCH = """(() => { const i = document.getElementById('search-input'); i.value = %s;
  i.dispatchEvent(new Event('input')); return Array.from(document.querySelectorAll('#search-results a'), a => a.href); })()"""


def visit(b: Browser, url: str, shot: Path, script: str = PAGE_INFO) -> tuple[dict, list[str]]:
    "Load `url` in a fresh tab; return what `script` reports and the problems seen (console, network)."
    tid = b.send('Target.createTarget', {'url': 'about:blank'})['targetId']
    sid = b.send('Target.attachToTarget', {'targetId': tid, 'flatten': True})['sessionId']
    for domain in ('Page', 'Runtime', 'Log', 'Network'): b.send(f'{domain}.enable', session=sid)
    b.send('Emulation.setDeviceMetricsOverride', {'width': 1280, 'height': 900, 'deviceScaleFactor': 1,
                                                  'mobile': False}, sid)
    b.send('Page.navigate', {'url': url}, sid)
    b.wait_for('Page.loadEventFired', sid)
    info = b.send('Runtime.evaluate', {'expression': script, 'returnByValue': True}, sid)['result'].get('value')
    if isinstance(info, dict) and 'height' in info:
        b.send('Emulation.setDeviceMetricsOverride', {'width': 1280, 'height': max(900, min(info["height"], 12000)),
                                                      'deviceScaleFactor': 1, 'mobile': False}, sid)
    png = b.send('Page.captureScreenshot', {'format': 'png'}, sid)['data']
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(base64.b64decode(png))
    origin = '{0.scheme}://{0.netloc}'.format(urlsplit(url))
    problems = []
    for e in [e for e in b.events if e.get('sessionId') == sid]:
        m, p = e.get('method'), e.get('params', {})
        if m == 'Runtime.consoleAPICalled' and p['type'] in ('error', 'assert'):
            problems.append('console error: ' + ' '.join(str(a.get('value', a.get('description', ''))) for a in p['args']))
        elif m == 'Runtime.exceptionThrown':
            d = p['exceptionDetails']
            problems.append(f"uncaught exception: {d.get('exception', {}).get('description', d.get('text'))}")
        elif m == 'Log.entryAdded' and p['entry']['level'] == 'error':
            problems.append(f"console error: {p['entry']['text']} {p['entry'].get('url', '')}")
        elif m == 'Network.requestWillBeSent' and not p['request']['url'].startswith((origin, 'data:')):
            problems.append(f"request outside the site: {p['request']['url']}")
        elif m == 'Network.responseReceived' and p['response']['status'] >= 400:
            problems.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
        elif m == 'Network.loadingFailed' and not p.get('canceled'):
            problems.append(f"request failed: {p.get('errorText')}")
    b.events = [e for e in b.events if e.get('sessionId') != sid]
    b.send('Target.closeTarget', {'targetId': tid})
    return info, problems


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


@pytest.fixture(scope='module')
def site():
    "Build the site with the one documented command, then serve it on localhost."
    r = subprocess.run([sys.executable, 'tools/build_docs.py'], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f'docs build failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}'
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(DOCS)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/', r.stdout
    srv.shutdown()


def test_docs_site_in_chromium(site, tmp_path):
    base, build_log = site
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob('*.html'))
    assert 'index.html' in pages and 'io.html' in pages, pages
    if SHOTS.exists(): shutil.rmtree(SHOTS)
    b = Browser(chromium(), tmp_path / 'profile', tmp_path / 'chromium.log')
    problems, seen = [], {}
    try:
        for pg in pages:
            info, errs = visit(b, base + pg, SHOTS / (pg.replace('/', '__')[:-5] + '.png'))
            problems += [f'{pg}: {e}' for e in errs]
            problems += [f'{pg}: image not decoded: {i["src"]}' for i in info['imgs'] if not i['w']]
            seen[pg] = info
        hits, errs = visit(b, base + 'index.html', SHOTS / 'search.png', SEARCH % json.dumps('load_image'))
        problems += [f'search: {e}' for e in errs]
    finally: b.close()
    for pg, info in seen.items():           # every link inside the site lands on a page and an anchor that exist
        for href in info['links']:
            u = urlsplit(href)
            if not href.startswith(base): continue
            path = unquote(u.path)[1:] or 'index.html'
            if path.endswith('/'): path += 'index.html'
            if not (DOCS / path).is_file(): problems.append(f'{pg}: broken link {href}')
            elif u.fragment and path in seen and unquote(u.fragment) not in seen[path]['ids']:
                problems.append(f'{pg}: link to a missing anchor {href}')
    assert not problems, '\n'.join(problems)
    assert any(h.endswith('io.html#load_image') for h in hits), f'search for load_image found {hits}'
    assert seen['index.html']['sidebar'][-1] == 'API', seen['index.html']['sidebar']
    print(build_log)
