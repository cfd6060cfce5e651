"""Write README.md from nbs/index.ipynb (the docs' home page), as nbdev_readme does where Quarto exists.

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is out of date

Markdown cells are copied, code cells become ```python blocks (cells marked `#| hide` are left out), links relative
to nbs/ are rewritten relative to the repository root, and the `<!-- results -->` marker becomes the summary of the
benchmark result files (tools/results.py), as on the docs' home page."""
import json, re, sys
from pathlib import Path
from results import expand

ROOT = Path(__file__).resolve().parents[1]

def render(nb_path: Path = ROOT / 'nbs/index.ipynb') -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or c['cell_type'] == 'raw': continue
        if c['cell_type'] == 'code':
            if re.search(r'^#\|\s*(hide|include:\s*false)', src, re.M): continue
            src = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
            if src: parts.append(f'```python\n{src}\n```')
        else:
            # links and images relative to nbs/ → relative to the root (absolute URLs and anchors untouched)
            src = re.sub(r'(\]\()(?!https?:|#|/)([^)]+\))', r'\1nbs/\2', src)
            parts.append(expand(src))
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == text
        print('README.md is up to date' if ok else 'README.md differs from nbs/index.ipynb: run python tools/readme.py')
        sys.exit(0 if ok else 1)
    readme.write_text(text); print(f'wrote {readme}')
