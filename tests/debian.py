"""Debian packages the browser and shell-script tests need, installed with apt-get where missing (a fresh CI machine
has none of them). Without root or apt-get nothing is installed and the caller decides: skip or fail, saying why."""
import os, shutil, subprocess


def apt_install(*packages: str, timeout: int = 900) -> bool:
    "Install `packages` with apt-get; False where that is impossible here (not root, no apt-get). A failing apt-get is an error."
    if os.geteuid() != 0 or not shutil.which('apt-get'): return False
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    for cmd in (['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', *packages]):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f'{" ".join(cmd)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}'
    return True
