"""`cellnet submit` against a REAL single-node Slurm on localhost, started (and stopped) by slurm/local-cluster.sh.

Each test makes a tiny git repository holding slurm/*.sbatch and a notebook with train.ipynb's parameters
(tests/fixtures/tiny_train.ipynb), submits it with the `cellnet` console script, and checks the run folder, the
element states (status.json) and what Slurm reports (`local-cluster.sh wait`). The cluster is shared by the tests
of all pytest processes (xdist workers, or other sessions) through a lock file and a user list; it is stopped by
the last user, and only if a test started it. Needs root (the harness installs Debian's slurm packages when
missing); the `--local` tests need neither.
"""
import fcntl, json, os, re, shutil, subprocess, sys, time
from pathlib import Path
import pytest
from debian import apt_install

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / 'slurm/local-cluster.sh'
NOTEBOOK = ROOT / 'tests/fixtures/tiny_train.ipynb'
CELLNET = str(Path(sys.executable).with_name('cellnet'))
STATE = Path(os.environ.get('SLURM_LOCAL_DIR', '/tmp/cellnet-slurm'))
SLURM_CONF = STATE / 'etc/slurm.conf'
LOCK, USERS = Path(f'{STATE}.tests.lock'), Path(f'{STATE}.tests.json')
SBATCH_ARGS = '--cpus-per-task=1 --mem=400M --time=00:10:00'  # the defaults (8 CPUs, 32G) do not fit a CI node


def _no_cluster_reason():
    if os.geteuid() != 0: return 'needs root: slurm/local-cluster.sh installs packages and runs slurmctld/slurmd as root'
    if not shutil.which('sbatch') and not shutil.which('apt-get'): return 'Slurm is not installed and there is no apt-get to install it'
    return None


def _harness(*args, timeout=300):
    return subprocess.run(['bash', str(HARNESS), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, 'SLURM_LOCAL_DIR': str(STATE)})


def _alive(pid):
    try: os.kill(pid, 0); return True
    except ProcessLookupError: return False


@pytest.fixture(scope='module')
def cluster():
    "Start the local cluster unless it runs; the last user stops it, and only if a test had started it."
    if reason := _no_cluster_reason(): pytest.skip(reason)
    with open(LOCK, 'w') as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        book = json.loads(USERS.read_text()) if USERS.exists() else {'ours': None, 'users': []}
        book['users'] = [p for p in book['users'] if _alive(p)]
        if book['ours'] is None: book['ours'] = _harness('status').returncode != 0  # running already: not ours to stop
        r = _harness('start')
        if r.returncode: pytest.fail(f'local-cluster.sh start failed:\n{r.stdout}\n{r.stderr[-4000:]}')
        book['users'].append(os.getpid()); USERS.write_text(json.dumps(book))
    yield {**os.environ, 'SLURM_CONF': str(SLURM_CONF), 'SBATCH_ARGS': SBATCH_ARGS}
    with open(LOCK, 'w') as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        book = json.loads(USERS.read_text())
        book['users'] = [p for p in book['users'] if p != os.getpid() and _alive(p)]
        if book['users']: USERS.write_text(json.dumps(book))
        else:
            USERS.unlink()
            if book['ours']: assert _harness('stop').returncode == 0


def make_repo(d: Path, version='committed') -> Path:
    "A git repository with slurm/*.sbatch and nbs/tiny_train.ipynb (its VERSION line set to `version`) committed."
    (d / 'nbs').mkdir(parents=True); (d / 'slurm').mkdir()
    for f in ('job.sbatch', 'collect.sbatch'): shutil.copy(ROOT / 'slurm' / f, d / 'slurm' / f)
    set_version(d, version); (d / '.gitignore').write_text('results/\n')
    g = lambda *a: subprocess.run(['git', '-C', str(d), *a], check=True, capture_output=True)
    g('init', '-q', '-b', 'main'); g('add', '.'); g('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'tiny')
    return d


def set_version(repo: Path, version: str):
    src = NOTEBOOK.read_text()
    assert "VERSION = 'committed'" in src
    (repo / 'nbs/tiny_train.ipynb').write_text(src.replace("VERSION = 'committed'", f'VERSION = {version!r}'))


def submit(repo, *args, env=None, input=None):
    "`cellnet submit nbs/tiny_train.ipynb --experiment t --mode draft ARGS` in `repo`: (result, record, run folder)."
    r = subprocess.run([CELLNET, 'submit', 'nbs/tiny_train.ipynb', '--experiment', 't', '--mode', 'draft', *args],
                       cwd=repo, env=env, capture_output=True, text=True, timeout=600, input=input)
    runs = sorted((repo / 'results/train').glob('*-t-draft*'), key=lambda p: p.stat().st_mtime)
    assert runs, f'no run folder: {r.stdout}\n{r.stderr}'
    return r, json.loads((runs[-1] / 'submit.json').read_text()), runs[-1]


def wait(job_id, env, timeout=240):
    "Wait for a job (all array tasks) to end: (exit status of local-cluster.sh wait, {id: (state, exit code)})."
    r = subprocess.run(['bash', str(HARNESS), 'wait', str(job_id), str(timeout)], capture_output=True, text=True, env=env)
    states = {m[0]: (m[1], m[2]) for m in re.findall(r'^(\S+) (\S+) (\S+)$', r.stdout, flags=re.M)}
    return r.returncode, states


def status(d: Path) -> dict: return json.loads((d / 'status.json').read_text())


def wait_for(cond, timeout=120, what=''):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout: pytest.fail(f'timed out after {timeout} s waiting for {what}')
        time.sleep(0.25)


def step(run: Path) -> int:
    try: return json.loads((run / 'checkpoint.json').read_text())['step']
    except (FileNotFoundError, json.JSONDecodeError): return 0


def test_single_run_uses_snapshot(cluster, tmp_path):
    repo = make_repo(tmp_path / 'repo')
    set_version(repo, 'uncommitted'); (repo / 'nbs/new.txt').write_text('new file\n')
    git_state = lambda: (subprocess.run(['git', '-C', str(repo), 'status', '--porcelain'], capture_output=True, text=True).stdout,
                         (repo / '.git/index').read_bytes())
    before = git_state()
    r, rec, run = submit(repo, '--smoke', '--sbatch-args=--time=00:09:00', env=cluster)
    assert r.returncode == 0, r.stderr
    assert git_state() == before                       # working tree and index untouched
    set_version(repo, 'edited-after-submit')           # must not reach the queued job
    assert f"job {rec['job_id']}" in r.stdout and str(run) in r.stdout
    rc, states = wait(rec['job_id'], cluster)
    assert rc == 0 and states == {rec['job_id']: ('COMPLETED', '0:0')}, states
    job = subprocess.run(['scontrol', 'show', 'job', '-o', rec['job_id']], env=cluster, capture_output=True, text=True).stdout
    for kv in ('JobName=cellnet-t-draft', 'NumCPUs=1', 'MinMemoryNode=400M', 'Requeue=1', 'TimeLimit=00:09:00'):
        assert kv in job.split(), (kv, job)            # #SBATCH defaults < $SBATCH_ARGS < --sbatch-args
    st = status(run)
    assert (st['state'], st['exit_code'], st['job_id']) == ('COMPLETED', 0, rec['job_id'])
    m = json.loads((run / 'metrics.json').read_text())
    assert (m['version'], m['smoke'], m['fold'], m['mode'], m['cwd']) == ('uncommitted', True, -1, 'draft', str(repo / 'nbs'))
    snap = json.loads((run / 'snapshot.json').read_text())
    assert snap['dirty'] and sorted(snap['changed']) == ['nbs/new.txt', 'nbs/tiny_train.ipynb']
    assert (run / 'code/nbs/new.txt').exists() and not (run / 'code/.git').exists()
    assert "VERSION = 'uncommitted'" in (run / 'tiny_train.ipynb').read_text()   # the executed notebook is kept
    assert 'notebook exited with 0' in (run / f"slurm-{rec['job_id']}.log").read_text()


def test_array_of_two_and_summary(cluster, tmp_path):
    repo = make_repo(tmp_path / 'repo')
    r, rec, run = submit(repo, '--array', '0-1', '--smoke', env=cluster)
    assert r.returncode == 0, r.stderr
    aid = rec['job_id']
    rc, states = wait(aid, cluster)
    assert rc == 0 and states == {f'{aid}_0': ('COMPLETED', '0:0'), f'{aid}_1': ('COMPLETED', '0:0')}, states
    for i in (0, 1):
        d = run / f'fold-{i}'
        assert status(d)['state'] == 'COMPLETED' and status(d)['array_task'] == str(i)
        assert json.loads((d / 'metrics.json').read_text())['fold'] == i
        assert 'notebook exited with 0' in (d / f'slurm-{aid}_{i}.log').read_text()
    rc, states = wait(rec['collect_job_id'], cluster)   # the summary job, queued afterany:<array>
    assert rc == 0, states
    lines = (run / 'summary.csv').read_text().splitlines()
    assert lines[0].startswith('element,state,exit_code,') and len(lines) == 3
    assert [l.split(',')[:3] for l in lines[1:]] == [['fold-0', 'COMPLETED', '0'], ['fold-1', 'COMPLETED', '0']]
    assert (run / 'summary.png').read_bytes()[:4] == b'\x89PNG'


def test_failing_job(cluster, tmp_path):
    repo = make_repo(tmp_path / 'repo')
    r, rec, run = submit(repo, '-p', 'fail=true', env=cluster)
    assert r.returncode == 0, r.stderr
    rc, states = wait(rec['job_id'], cluster)
    assert rc == 1 and states == {rec['job_id']: ('FAILED', '1:0')}, states
    assert (status(run)['state'], status(run)['exit_code']) == ('FAILED', 1)
    assert 'failing on purpose' in (run / f"slurm-{rec['job_id']}.log").read_text()
    assert not (run / 'metrics.json').exists()
    c = subprocess.run([CELLNET, 'submit', '--collect', str(run)], capture_output=True, text=True)
    assert c.returncode == 1 and c.stdout.splitlines()[1].split()[:3] == [run.name, 'FAILED', '1']


def test_cancel_leaves_no_half_written_files(cluster, tmp_path):
    repo = make_repo(tmp_path / 'repo')
    r, rec, run = submit(repo, '-p', 'sleep=120', '-p', 'steps=240', env=cluster)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: step(run) >= 1, what='the notebook to start writing checkpoints')
    subprocess.run(['scancel', rec['job_id']], env=cluster, check=True)
    rc, states = wait(rec['job_id'], cluster)
    assert rc != 0 and states[rec['job_id']][0] == 'CANCELLED', states
    assert (status(run)['state'], status(run)['exit_code']) == ('CANCELLED', 143)
    assert not list(run.rglob('.*.tmp')) and not (run / 'metrics.json').exists()
    assert step(run) >= 1                                  # the checkpoint is whole (valid JSON)
    assert 'SIGTERM received' in (run / f"slurm-{rec['job_id']}.log").read_text()


def test_requeue_resumes_from_checkpoint(cluster, tmp_path):
    repo = make_repo(tmp_path / 'repo')
    r, rec, run = submit(repo, '-p', 'sleep=12', '-p', 'steps=6', env=cluster)
    jid = rec['job_id']
    wait_for(lambda: step(run) >= 2, what='two training steps')
    subprocess.run(['scontrol', 'requeue', jid], env=cluster, check=True)
    # A requeued job waits ~2 min (Reason=BeginTime) before it may start again; let it start sooner. Not at
    # once: slurmd refuses a launch in the same second as the revocation ("Job credential revoked", FAILED 1:0).
    show = lambda: subprocess.run(['scontrol', 'show', 'job', '-o', jid], env=cluster, capture_output=True, text=True).stdout
    wait_for(lambda: 'JobState=PENDING' in show(), timeout=60, what='the requeued job to be pending')
    time.sleep(3)
    subprocess.run(['scontrol', 'update', f'JobId={jid}', 'StartTime=now'], env=cluster, check=True)
    rc, states = wait(jid, cluster)
    assert rc == 0 and states == {jid: ('COMPLETED', '0:0')}, states
    m = json.loads((run / 'metrics.json').read_text())
    assert (m['starts'], m['steps']) == (2, 6)             # second start resumed from the checkpoint
    assert status(run)['restarts'] == 1
    log = (run / f'slurm-{jid}.log').read_text()                  # both attempts in one log
    assert f'cellnet job {jid} task \'\' restart 0' in log and 'SIGTERM received' in log and 'restart 1 on' in log


def test_remote_mode_over_fake_ssh(cluster, tmp_path):
    "--remote with an `ssh` that runs the command here: the login node's clone gets the commit plus our patch."
    repo = make_repo(tmp_path / 'laptop')
    remote = tmp_path / 'login-node'
    subprocess.run(['git', 'clone', '-q', str(repo), str(remote)], check=True)
    set_version(repo, 'laptop-edit')                       # uncommitted on the laptop only
    bin_ = tmp_path / 'bin'; bin_.mkdir()
    (bin_ / 'ssh').write_text('#!/bin/bash\nprintf "%s\\n" "$@" > "$FAKE_SSH_ARGS"\n'
                              'while [ "$1" = -o ]; do shift 2; done; shift; exec bash -c "$1"\n')
    (bin_ / 'ssh').chmod(0o755)
    env = {**cluster, 'PATH': f"{bin_}:{cluster['PATH']}", 'FAKE_SSH_ARGS': str(tmp_path / 'ssh-args'),
           'CELLNET_HPC_HOST': 'me@login', 'CELLNET_HPC_DIR': str(remote), 'CELLNET_HPC_CMD': CELLNET}
    r = subprocess.run([CELLNET, 'submit', 'nbs/tiny_train.ipynb', '--experiment', 't', '--mode', 'draft', '--remote', '--smoke'],
                       cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    args = (tmp_path / 'ssh-args').read_text().splitlines()
    assert args[:3] == ['-o', 'BatchMode=yes', 'me@login'] and args[3].startswith(f'cd {remote} && ')
    assert not (repo / 'results').exists()                  # nothing ran on the laptop
    run, = (remote / 'results/train').glob('*-t-draft')
    rec = json.loads((run / 'submit.json').read_text())
    rc, states = wait(rec['job_id'], cluster)
    assert rc == 0, states
    assert json.loads((run / 'metrics.json').read_text())['version'] == 'laptop-edit'
    assert json.loads((run / 'snapshot.json').read_text())['changed'] == ['nbs/tiny_train.ipynb']


def test_local_mode(tmp_path):
    "--local runs the same job script in this shell (no Slurm needed): an array of two, and a failure."
    repo = make_repo(tmp_path / 'repo')
    env = {k: v for k, v in os.environ.items() if k != 'SBATCH_ARGS'}
    r, rec, run = submit(repo, '--local', '--array', '0-1', '--smoke', env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [status(run / f'fold-{i}')['state'] for i in (0, 1)] == ['COMPLETED', 'COMPLETED']
    assert status(run / 'fold-0')['job_id'] == 'local' and 'notebook exited with 0' in (run / 'fold-1/slurm-local.log').read_text()
    assert len((run / 'summary.csv').read_text().splitlines()) == 3
    r, rec, run = submit(repo, '--local', '-p', 'fail=true', env=env)
    assert r.returncode == 1 and rec['exit_code'] == 1 and status(run)['state'] == 'FAILED'
    assert 'failing on purpose' in (run / 'slurm-local.log').read_text()


def _shellcheck():
    "Debian's shellcheck, installed where it is missing."
    if not shutil.which('shellcheck') and not apt_install('shellcheck'):
        pytest.skip('shellcheck is not installed and cannot be here (apt-get install shellcheck as root)')
    return shutil.which('shellcheck')


def test_scripts_pass_shellcheck():
    r = subprocess.run([_shellcheck(), '-S', 'warning', *map(str, sorted((ROOT / 'slurm').glob('*.s*')))], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_real_training_notebook(cluster, tmp_path):
    "The project's own nbs/train.ipynb, in its tiny smoke configuration, trained as a Slurm job from a snapshot."
    results = tmp_path / 'results'
    r = subprocess.run([CELLNET, 'submit', 'nbs/train.ipynb', '--experiment', 'default', '--mode', 'draft', '--smoke',
                        '--results-root', str(results)], cwd=ROOT, env=cluster, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    (run,) = results.glob('*-default-draft')
    rec = json.loads((run / 'submit.json').read_text())
    rc, states = wait(rec['job_id'], cluster, timeout=480)
    log = (run / f"slurm-{rec['job_id']}.log").read_text()
    assert rc == 0 and states == {rec['job_id']: ('COMPLETED', '0:0')}, (states, log[-3000:])
    assert status(run)['state'] == 'COMPLETED'
    m = json.loads((run / 'metrics.json').read_text())
    assert m['evaluated_on'] == 'validation' and 'f1' in m['summary'], m
    assert (run / 'summary.json').exists() and (run / 'plots/history.png').exists() and (run / 'checkpoint.pt').exists()
    assert (run / 'train.ipynb').exists()                       # the executed notebook is kept in the run folder


def test_count_shards_requeued_and_merged(cluster, tmp_path):
    "`cellnet count --slurm 3` over the demo images: a shard killed and requeued mid-run; merged outputs equal one machine's."
    images = tmp_path / 'images'
    (images / 'large-cells').mkdir(parents=True)
    for i in range(3):   # the large-cells demo image three times, the HeLa ones thirty: 21 images per shard, so that
        shutil.copy(ROOT / 'data/demo/large-cells/usiigaci-set5.tif', images / f'large-cells/{i}-usiigaci-set5.tif')
    for i in range(30):  # the requeue lands mid-shard (small frames count at about 20 a second)
        for f in ('hela-im03.png', 'hela-im08.png'): shutil.copy(ROOT / 'data/demo' / f, images / f'{i:02d}-{f}')
    env = {**cluster, 'TQDM_DISABLE': '1'}
    count = lambda *args: subprocess.run([CELLNET, 'count', str(images), '--recursive', *map(str, args)], cwd=ROOT, env=env,
                                         capture_output=True, text=True, timeout=600)
    one = count('--out', tmp_path / 'one')
    assert one.returncode == 0, one.stderr
    out = tmp_path / 'three'
    r = count('--out', out, '--slurm', 3, '--sbatch-args=--mem=1500M')
    assert r.returncode == 0, r.stderr
    rec = json.loads((out / 'submit.json').read_text())
    task = f"{rec['job_id']}_1"
    counted = lambda: len((out / 'shard-1/counts.csv').read_text().splitlines()) - 1 if (out / 'shard-1/counts.csv').exists() else 0
    wait_for(lambda: counted() >= 1, timeout=300, what='shard 1 to count its first image')
    subprocess.run(['scontrol', 'requeue', task], env=cluster, check=True)            # killed (SIGTERM) and queued again
    show = lambda: subprocess.run(['scontrol', 'show', 'job', '-o', task], env=cluster, capture_output=True, text=True).stdout
    wait_for(lambda: 'JobState=PENDING' in show(), timeout=60, what='the requeued shard to be pending')
    kept = counted()
    time.sleep(3)
    subprocess.run(['scontrol', 'update', f'JobId={task}', 'StartTime=now'], env=cluster, check=True)
    rc, states = wait(rec['job_id'], cluster, timeout=600)
    assert rc == 0 and all(s == ('COMPLETED', '0:0') for s in states.values()) and len(states) == 3, states
    rc, states = wait(rec['collect_job_id'], cluster)
    assert rc == 0, states
    for name in ('counts.json', 'counts.csv', 'points.csv'):
        assert (out / name).read_text() == (tmp_path / 'one' / name).read_text(), name
    assert sorted(p.name for p in (out / 'plots').iterdir()) == sorted(p.name for p in (tmp_path / 'one/plots').iterdir())
    assert json.loads((out / 'run.json').read_text())['status'] == 'done'
    assert status(out / 'shard-1')['restarts'] == 1
    log = next((out / 'shard-1').glob('slurm-*.log')).read_text()
    assert 'SIGTERM received' in log and f'{kept} image(s) counted before, kept' in log, log[-3000:]
