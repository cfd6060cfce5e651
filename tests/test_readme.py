"""README.md is generated from nbs/index.ipynb and must not drift from it."""
import subprocess, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]

def test_readme_in_sync_with_index():
    r = subprocess.run([sys.executable, 'tools/readme.py', '--check'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
