"""`cellnet count` interrupted for real: a child process stopped with SIGINT (Ctrl-C) mid-run keeps every image it
finished, consistent in every output, leaves no temporary file, exits 130, and the same command run again continues and
ends with the outputs of a run that was never interrupted."""
import csv, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELLNET = [sys.executable, '-c', 'import sys; from cellnet.cli import main; sys.exit(main())', 'count']

def _default_sigint():
    # A job started in the background of a non-interactive shell (as CI may be) ignores SIGINT, and a child inherits
    # that: Python then installs no Ctrl-C handler. Restore the default, as a terminal has it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def run(*args, **kw):
    return subprocess.Popen([*CELLNET, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, 'TQDM_DISABLE': '1'}, preexec_fn=_default_sigint, **kw)

def outputs(out):
    return {n: (out/n).read_text() for n in ('counts.json', 'counts.csv', 'points.csv')}

def test_interrupted_run_keeps_its_images_and_continues(tmp_path):
    images = tmp_path/'images'
    images.mkdir()
    for i in range(24):   # the two demo frames, twelve times each
        shutil.copy(ROOT/'data/demo'/('hela-im03.png', 'hela-im08.png')[i % 2], images/f'frame{i:02d}.png')
    out = tmp_path/'out'
    p = run(images, '--out', out)
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None:   # until three images are counted
        if (out/'counts.csv').exists() and len((out/'counts.csv').read_text().splitlines()) >= 4: break
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert 'interrupted' in err and 'Traceback' not in err, err
    assert [f.name for f in out.rglob('*') if f.name.startswith('.')] == []       # no temporary files
    counts = json.loads((out/'counts.json').read_text())
    rows = list(csv.DictReader(open(out/'counts.csv')))
    assert 3 <= len(counts) < 24 and list(counts) == [r['image'] for r in rows]
    assert {r['image'] for r in csv.DictReader(open(out/'points.csv'))} == set(counts)
    assert sorted(f.name for f in (out/'plots').iterdir()) == sorted(f'{k}.png' for k in counts)
    assert json.loads((out/'run.json').read_text())['status'] == 'interrupted'
    again = run(images, '--out', out)                                               # the same command
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert f'{len(counts)} image(s) counted before, kept' in err, err
    whole = run(images, '--out', tmp_path/'whole')                                   # never interrupted
    _, err = whole.communicate(timeout=600)
    assert whole.returncode == 0, err
    assert outputs(out) == outputs(tmp_path/'whole')
    assert len(list((out/'plots').iterdir())) == 24
