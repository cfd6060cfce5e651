#!/usr/bin/env python
"""Build the cellnet docs site offline: `python tools/build_docs.py` writes `_docs/`.

The input is the one `nbdev_docs` gives Quarto: nbdev's own notebook processing writes `_proc/` (show_doc cells
run, `#| hide` and `#| export` sources dropped, backtick doclinks turned into links, `# Title` / `> summary`
turned into front matter). Each processed notebook then becomes one page through pandoc (from
`pypandoc-binary`), with the sidebar that `nbs/sidebar.yml` gives Quarto, a table of contents and a
client-side search index. Nothing is fetched from the network: the site works from a folder. Results markers in
markdown (`<!-- results -->`, `<!-- results: hela -->`) become tables of the benchmark result files (tools/results.py).
Why this engine, and what it does with each cell option: nbs/explanations/docs.ipynb.
"""
from __future__ import annotations
import argparse, base64, configparser, fnmatch, html, json, multiprocessing, os, posixpath, re, shutil
import subprocess, sys, tempfile, time, unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from results import expand as expand_results

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / 'docs'
READER = 'commonmark_x-gfm_auto_identifiers'  # Jupyter's markdown; heading ids are made here, Quarto's way


class DocsBuildError(Exception):
    "The docs cannot be built: a notebook fails nbdev's processing, pandoc fails, or a config file is wrong."


# ---------------------------------------------------------------- notebooks in, processed notebooks out
def source_notebooks(nbs: Path) -> list[Path]:
    "Notebooks under `nbs` that nbdev renders (it skips files and folders starting with `_` or `.`), sorted."
    return sorted(p for p in nbs.rglob('*.ipynb')
                  if not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts))


def _process_one(src: str, dst: str):
    "Run nbdev's docs processing on one notebook, in its own folder as `nbdev_test` runs it (in a fresh process)."
    os.chdir(Path(src).parent)
    import warnings  # nbdev's advice about import cells, once per cell: noise in a build log
    warnings.filterwarnings('ignore', message='Found cells containing imports')
    from nbdev.processors import FilterDefaults
    from nbdev.serve_drv import main
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    main((Path(src), Path(dst), FilterDefaults))


def _cause(e: BaseException) -> str:
    "What went wrong in a worker: nbdev's message (notebook, cell, source) and the root error under it."
    tb = str(e.__cause__ or '')  # a worker's traceback arrives as the text of a _RemoteTraceback
    first = tb.split('The above exception was the direct cause')[0].strip().strip('"').strip().splitlines()
    root = next((l for l in reversed(first) if l.strip() and not l.startswith(' ')), '')
    return f'{str(e).strip()}\n  caused by: {root}' if root and root not in str(e) else str(e).strip()


def process_notebooks(nbs: Path, proc: Path, jobs: int = 2) -> dict[str, str]:
    """nbdev's processing of every notebook into `proc` (emptied first), one fresh process per notebook.
    Returns {notebook: error} for the notebooks that failed; the others are processed all the same."""
    if proc.exists(): shutil.rmtree(proc)
    proc.mkdir(parents=True)
    errors = {}
    ctx = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, max_tasks_per_child=1) as ex:
        futs = {str(p.relative_to(nbs)): ex.submit(_process_one, str(p), str(proc / p.relative_to(nbs)))
                for p in source_notebooks(nbs)}
        for rel, f in futs.items():
            try: f.result()
            except Exception as e: errors[rel] = _cause(e)
    return errors


# ---------------------------------------------------------------- cells to markdown
_DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')
_ANSI = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')


def split_options(source: str) -> tuple[dict, str]:
    "Quarto cell options (`#| key: value` lines at the top of a code cell) and the code without them."
    lines, opts = source.splitlines(), {}
    while lines and _DIRECTIVE.match(lines[0]):
        k, v = _DIRECTIVE.match(lines.pop(0)).groups()
        try: opts[k] = yaml.safe_load(v) if v else True
        except yaml.YAMLError: opts[k] = v
    return opts, '\n'.join(lines).strip('\n')


def _text(x) -> str: return ''.join(x) if isinstance(x, list) else (x or '')


def fence(body: str, attrs: str, char='`') -> str:
    "A fenced block around `body`, its fence longer than any run of `char` inside."
    n = max([3] + [len(m) + 1 for m in re.findall(f'{re.escape(char)}{{3,}}', body)])
    return f'{char * n}{attrs}\n{body}\n{char * n}'


_IMAGE_EXT = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/svg+xml': 'svg'}
_WIDGET = 'application/vnd.jupyter.widget-view+json'


@dataclass
class CellRenderer:
    "Turns processed notebook cells into pandoc markdown; figures are written under `files_dir`."
    files_dir: Path  # absolute folder for this page's figures
    files_url: str   # the same folder, relative to the page
    written: list = field(default_factory=list)

    def _save(self, name: str, data: bytes) -> str:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        (self.files_dir / name).write_bytes(data)
        self.written.append(self.files_dir / name)
        return f'{self.files_url}/{name}'

    def output(self, o: dict, name: str, opts: dict) -> str:
        "Markdown for one output (`name` names its figure file)."
        kind = o.get('output_type')
        if kind == 'stream':
            if o.get('name') == 'stderr' and opts.get('warning') is False: return ''
            txt = _ANSI.sub('', _text(o.get('text'))).rstrip('\n')
            return fence(txt, f' {{.cell-output .cell-output-{o.get("name", "stdout")}}}') if txt else ''
        if kind == 'error':
            tb = _ANSI.sub('', '\n'.join(o.get('traceback') or [f"{o.get('ename')}: {o.get('evalue')}"]))
            return fence(tb, ' {.cell-output .cell-output-error}')
        data = o.get('data', {})
        if _WIDGET in data:
            return ('::: {.cell-output .widget-note}\nAn interactive widget: run the notebook in Jupyter '
                    'to use it.\n:::')
        if 'text/markdown' in data:
            md = _text(data['text/markdown'])
            return md if opts.get('output') == 'asis' else fence(md, ' {.cell-output .cell-output-markdown}', ':')
        if 'text/html' in data:
            return fence(fence(_text(data['text/html']), '{=html}'), ' {.cell-output .cell-output-html}', ':')
        for mime, ext in _IMAGE_EXT.items():
            if mime in data:
                raw = _text(data[mime])
                blob = raw.encode() if mime == 'image/svg+xml' else base64.b64decode(raw)
                url = self._save(f'{name}.{ext}', blob)
                alt = str(opts.get('fig-alt') or opts.get('fig-cap') or 'figure').replace(']', r'\]')
                w = (o.get('metadata', {}).get(mime) or {}).get('width')
                img = f'![{alt}]({url})' + (f'{{width={w}}}' if w else '')
                cap = f'\n\n{opts["fig-cap"]}' if opts.get('fig-cap') else ''
                return fence(img + cap, ' {.cell-output .cell-output-display}', ':')
        if 'text/latex' in data and 'text/plain' not in data:
            return f'$${_text(data["text/latex"]).strip().strip("$")}$$'
        if 'text/plain' in data:
            return fence(_text(data['text/plain']).rstrip('\n'), ' {.cell-output .cell-output-stdout}')
        return ''

    def attachments(self, cell: dict, idx: int) -> str:
        "Markdown cell source with its `attachment:` images written as files."
        src = _text(cell.get('source'))
        for i, (nm, bundle) in enumerate((cell.get('attachments') or {}).items()):
            mime = next((m for m in _IMAGE_EXT if m in bundle), None)
            if not mime: continue
            raw = _text(bundle[mime])
            url = self._save(f'cell-{idx}-attachment-{i}.{_IMAGE_EXT[mime]}',
                             raw.encode() if mime == 'image/svg+xml' else base64.b64decode(raw))
            src = src.replace(f'attachment:{nm}', url)
        return src

    def cell(self, cell: dict, idx: int) -> str:
        "Markdown for one cell, honouring Quarto's `echo`, `output`, `include`, `warning` and `code-fold` options."
        ct = cell.get('cell_type')
        if ct == 'markdown': return self.attachments(cell, idx)
        if ct == 'raw': return _text(cell.get('source'))
        opts, code = split_options(_text(cell.get('source')))
        if opts.get('include') is False: return ''
        parts = []
        if code and opts.get('echo', True) is not False:
            lang = cell.get('metadata', {}).get('language', 'python')
            block = fence(code, f' {{.{lang} .cell-code}}')
            fold = opts.get('code-fold')
            if fold in (True, 'show'):
                summary = html.escape(str(opts.get('code-summary', 'Code')))
                block = (f'<details class="code-fold"{" open" if fold == "show" else ""}>'
                         f'<summary>{summary}</summary>\n\n{block}\n\n</details>')
            parts.append(block)
        if opts.get('output', True) is not False:
            outs = [self.output(o, f'cell-{idx}-output-{j}', opts) for j, o in enumerate(cell.get('outputs', []))]
            parts += [o for o in outs if o]
        if not parts: return ''
        return fence('\n\n'.join(parts), ' {.cell}', ':') if opts.get('output') != 'asis' else '\n\n'.join(parts)


def with_results(cells: list, bench: Path) -> list:
    "The cells with the results markers of their markdown replaced by tables from the result files in `bench`."
    return [dict(c, source=expand_results(_text(c.get('source')), bench)) if c.get('cell_type') == 'markdown' else c
            for c in cells]


def front_matter(nb: dict) -> tuple[dict, list]:
    "The YAML front matter nbdev put in the first raw cell, and the remaining cells."
    cells = nb.get('cells', [])
    if cells and cells[0].get('cell_type') == 'raw':
        m = re.match(r'^\s*---\s*\n(.*?)\n---\s*$', _text(cells[0].get('source')), flags=re.S)
        if m: return (yaml.safe_load(m.group(1)) or {}), cells[1:]
    return {}, cells


# ---------------------------------------------------------------- the site map: pages and the sidebar
@dataclass
class Page:
    src: str          # notebook path relative to nbs/, posix ('tutorials/count.ipynb')
    url: str          # output path relative to the site root ('tutorials/count.html')
    title: str
    description: str = ''
    cells: list = field(default_factory=list)
    ast: dict = field(default_factory=dict)     # pandoc's AST of the page
    heads: list = field(default_factory=list)   # [(level, id, text)]
    ids: set = field(default_factory=set)       # every id on the page


def page_url(src: str, fm: dict) -> str:
    "Where Quarto writes a notebook: its folder plus nbdev's `output-file`, else the notebook name as .html."
    d = posixpath.dirname(src)
    return posixpath.join(d, fm.get('output-file') or posixpath.basename(src)[:-len('.ipynb')] + '.html')


def _glob_match(rel: str, pattern: str) -> bool:
    "Quarto's sidebar globs, the subset used here: `/` anchors at nbs/, else the pattern matches at any depth."
    parts, pat = rel.split('/'), pattern.lstrip('/').split('/')
    if pattern.startswith('/') and len(parts) != len(pat): return False
    if len(parts) < len(pat): return False
    return all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts[-len(pat):], pat))


def sidebar_entries(sidebar_yml: Path, sources: list[str]) -> list[tuple[str | None, list[str]]]:
    """The sidebar of `sidebar.yml` as [(section title or None, [notebook, ...])], globs expanded against
    `sources` (notebook paths relative to nbs/) in sorted order, like Quarto."""
    try: contents = yaml.safe_load(sidebar_yml.read_text())['website']['sidebar']['contents']
    except Exception as e: raise DocsBuildError(f'{sidebar_yml.name}: no website.sidebar.contents ({e})') from e

    def expand(items):
        out = []
        for it in items if isinstance(items, list) else [items]:
            if isinstance(it, dict) and 'href' in it: it = it['href']
            if not isinstance(it, str): raise DocsBuildError(f'{sidebar_yml.name}: cannot read sidebar item {it!r}')
            if any(c in it for c in '*?['): out += [s for s in sorted(sources) if _glob_match(s, it)]
            elif it.lstrip('/') in sources: out.append(it.lstrip('/'))
        return out

    res = []
    for it in contents:
        if isinstance(it, dict) and 'section' in it: res.append((it['section'], expand(it.get('contents', []))))
        else: res.append((None, expand(it)))
    return res


# ---------------------------------------------------------------- pandoc
def pandoc_path() -> str:
    try: import pypandoc
    except ImportError as e: raise DocsBuildError('pandoc not found: pip install pypandoc-binary') from e
    return pypandoc.get_pandoc_path()


def pandoc(args: list[str], text: str) -> str:
    r = subprocess.run([pandoc_path(), *args], input=text, capture_output=True, text=True)
    if r.returncode: raise DocsBuildError(f'pandoc {" ".join(args)} failed: {r.stderr.strip()}')
    return r.stdout


def slugify(text: str, seen: dict) -> str:
    "Pandoc's `auto_identifiers` (which Quarto and nbdev's doclinks use): unique within a page."
    s = unicodedata.normalize('NFKD', text).lower()
    s = re.sub(r'[^\w\s.-]', '', s)
    s = re.sub(r'\s+', '-', s.strip())
    s = re.sub(r'^[^a-z]+', '', s) or 'section'
    n = seen.get(s, 0); seen[s] = n + 1
    return s if n == 0 else f'{s}-{n}'


def stringify(x) -> str:
    "Plain text of a pandoc AST fragment."
    if isinstance(x, list): return ''.join(stringify(i) for i in x)
    if not isinstance(x, dict): return ''
    t, c = x.get('t'), x.get('c')
    if t == 'Str': return c
    if t in ('Space', 'SoftBreak', 'LineBreak'): return ' '
    if t in ('Code', 'Math'): return c[-1]
    if t in ('CodeBlock', 'RawBlock', 'RawInline'): return (c[-1] if t == 'CodeBlock' else '') + ' '
    if t in ('Para', 'Plain', 'Header', 'BlockQuote', 'BulletList', 'OrderedList', 'Div', 'Emph', 'Strong',
             'Span', 'Link', 'Quoted', 'Strikeout', 'Underline', 'SmallCaps', 'Superscript', 'Subscript',
             'Cite', 'Figure', 'Table', 'TableBody', 'TableHead', 'Row', 'Cell', 'LineBlock', 'DefinitionList'):
        return stringify(c) + (' ' if t in ('Para', 'Plain', 'Header', 'CodeBlock') else '')
    return stringify(c) if isinstance(c, list) else ''


# ---------------------------------------------------------------- the site
@dataclass
class Site:
    nbs: Path
    out: Path
    title: str
    description: str
    site_url: str      # doc_host + doc_baseurl + '/': nbdev's doclinks point there
    git_url: str
    pages: dict = field(default_factory=dict)       # url -> Page
    by_src: dict = field(default_factory=dict)      # notebook -> url
    search: list = field(default_factory=list)      # [page title, heading, url, text]
    warnings: list = field(default_factory=list)

    def rel(self, target: str, cur: str) -> str:
        "`target` (site-root relative, may carry #frag) as a link from page `cur`."
        path, _, frag = target.partition('#')
        r = posixpath.relpath(path, posixpath.dirname(cur) or '.') if path else ''
        return r + (f'#{frag}' if frag else '')

    def _asset(self, url: str, cur_src: str) -> str | None:
        "A relative file link from a notebook: the site-root path of that file, copied into the site."
        path = posixpath.normpath(posixpath.join(posixpath.dirname(cur_src), url.partition('#')[0]))
        if path.startswith('..') or not (self.nbs / path).is_file(): return None
        (self.out / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.nbs / path, self.out / path)
        return path

    def link(self, url: str, page: Page, content: list) -> str | None | list:
        "The new target of a link on `page`: a string, None (drop the link, keep its text) or [] (drop both)."
        if url.startswith(('mailto:', 'data:')): return url
        if url.startswith('#'):
            if url[1:] not in page.ids: self.warnings.append(f'{page.src}: link to a missing anchor {url!r}')
            return url
        if url.startswith(self.site_url):                      # nbdev doclink into this site
            path, _, frag = url[len(self.site_url):].partition('#')
            tgt = self.pages.get(path)
            if tgt is None or (frag and frag not in tgt.ids): return None  # a symbol without docs: plain code
            return self.rel(url[len(self.site_url):], page.url)
        if re.match(r'^[a-z][a-z0-9+.-]*:', url, flags=re.I):  # the outside world
            if self.git_url and url.startswith(self.git_url) and stringify(content) == 'source': return []
            if len(content) == 1 and content[0].get('t') == 'Code': return None  # doclink into another library
            return url
        path, _, frag = url.partition('#')
        tgt = posixpath.normpath(posixpath.join(posixpath.dirname(page.src), path))
        if tgt in self.by_src:
            if frag and frag not in self.pages[self.by_src[tgt]].ids:
                self.warnings.append(f'{page.src}: link to a missing anchor {url!r}')
            return self.rel(self.by_src[tgt] + (f'#{frag}' if frag else ''), page.url)
        if self._asset(url, page.src): return url
        self.warnings.append(f'{page.src}: link to {url!r}, which is neither a notebook nor a file in nbs/')
        return url

    def _walk(self, x, fn):
        "Call `fn(list, i)` on every element of every list in a pandoc AST; it returns how far to move."
        if isinstance(x, list):
            i = 0
            while i < len(x):
                step = fn(x, i) if isinstance(x[i], dict) and 't' in x[i] else 1
                if step: self._walk(x[i], fn)
                i += max(step, 0) or 0
        elif isinstance(x, dict) and isinstance(x.get('c'), list): self._walk(x['c'], fn)

    def parse(self, page: Page):
        "Pass 1: the page's cells as a pandoc AST, headers given Quarto's ids; records every id on the page."
        stem = posixpath.splitext(posixpath.basename(page.url))[0]
        files_rel = posixpath.join(posixpath.dirname(page.url), f'{stem}_files/figure-html')
        rd = CellRenderer(self.out / files_rel, f'{stem}_files/figure-html')
        md = '\n\n'.join(s for s in (rd.cell(c, i) for i, c in enumerate(page.cells)) if s.strip())
        page.ast, seen = json.loads(pandoc(['-f', READER, '-t', 'json'], md)), {}
        def ids(lst, i):
            el = lst[i]
            if el['t'] == 'Header':
                attr = el['c'][1]
                attr[0] = attr[0] or slugify(stringify(el['c'][2]), seen)
                page.heads.append((el['c'][0], attr[0], stringify(el['c'][2]).strip()))
            attr = el['c'][0] if el['t'] in ('Div', 'Span', 'CodeBlock', 'Link', 'Image', 'Code') else \
                   el['c'][1] if el['t'] == 'Header' else None
            if attr and attr[0]: page.ids.add(attr[0])
            return 1
        self._walk(page.ast['blocks'], ids)

    def rewrite(self, page: Page):
        "Pass 2, once every page's ids are known: links and images."
        def fix(lst, i):
            el = lst[i]
            if el['t'] == 'Link':
                attr, content, (url, _) = el['c']
                new = self.link(url, page, content)
                if new == []: lst[i:i + 1] = []; return 0
                if new is None: lst[i:i + 1] = content; return 0
                el['c'][2][0] = new
                if re.match(r'^https?:', new): attr[1].append('external')
            elif el['t'] == 'Image':
                url = el['c'][2][0]
                if not re.match(r'^[a-z][a-z0-9+.-]*:', url, flags=re.I) and not self._asset(url, page.src) \
                   and not (self.out / posixpath.join(posixpath.dirname(page.url), url)).exists():
                    self.warnings.append(f'{page.src}: image {url!r} not found')
            return 1
        self._walk(page.ast['blocks'], fix)

    def index_sections(self, page: Page):
        "Search entries: one per section of the page (its text up to the next header)."
        head, anchor, text = '', '', []
        def flush():
            t = re.sub(r'\s+', ' ', ' '.join(text)).strip()
            if head or t: self.search.append([page.title, head, page.url + (f'#{anchor}' if anchor else ''), t[:4000]])
        for b in page.ast['blocks']:
            if b.get('t') == 'Header' and b['c'][0] <= 3:
                flush(); head, anchor, text = stringify(b['c'][2]).strip(), b['c'][1][0], []
            else: text.append(stringify(b))
        flush()

    def write(self, page: Page, sidebar: str, template: str):
        "The page's HTML: pandoc's body in the site template."
        body = pandoc(['-f', 'json', '-t', 'html5', '--mathml', '--syntax-highlighting=pygments'], json.dumps(page.ast))
        toc = ''.join(f'<li class="toc-{lvl}"><a href="#{a}">{html.escape(t)}</a></li>'
                      for lvl, a, t in page.heads if lvl in (2, 3))
        root = posixpath.relpath('.', posixpath.dirname(page.url) or '.')
        root = '' if root == '.' else root + '/'
        desc = re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(page.description))  # the summary's inline code
        desc = f'<p class="description">{desc}</p>' if desc else ''
        fill = {'pagetitle': html.escape(f'{page.title} – {self.title}'), 'description-meta': html.escape(page.description),
                'root': root, 'sidebar': sidebar, 'title': html.escape(page.title), 'description': desc,
                'site-title': html.escape(self.title),
                'toc': f'<nav class="toc" aria-label="On this page"><h2>On this page</h2><ul>{toc}</ul></nav>' if toc else '',
                'body': body}
        out = re.sub(r'\$([a-z-]+)\$', lambda m: fill[m.group(1)], template)
        dest = self.out / page.url
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(out, encoding='utf-8')


def read_settings(root: Path) -> dict:
    cp = configparser.ConfigParser(interpolation=None)
    if not cp.read(root / 'settings.ini'): raise DocsBuildError(f'{root}/settings.ini: not found')
    return dict(cp['DEFAULT'])


def sidebar_html(site: Site, groups: list, page: Page) -> str:
    def item(url):
        p = site.pages[url]
        cls = ' class="active" aria-current="page"' if url == page.url else ''
        return f'<li><a href="{site.rel(url, page.url)}"{cls}>{html.escape(p.title)}</a></li>'
    out = []
    for title, urls in groups:
        if not urls: continue
        head = f'<h2 class="sidebar-section">{html.escape(title)}</h2>' if title else ''
        out.append(f'{head}<ul>{"".join(item(u) for u in urls)}</ul>')
    return '\n'.join(out)


def highlight_css() -> str:
    "Pandoc's CSS for its built-in highlighter (the `pygments` style)."
    with tempfile.TemporaryDirectory() as d:
        tpl = Path(d) / 't.html'; tpl.write_text('$highlighting-css$')
        return pandoc(['-f', READER, '-t', 'html5', '--standalone', f'--template={tpl}',
                       '--syntax-highlighting=pygments'], '```python\nx = 1\n```\n')


def home_cells(site: Site, groups: list) -> list:
    "A home page listing every page, for a project that has no nbs/index.ipynb yet."
    lines = [site.description, '']
    for title, urls in groups:
        if title and urls: lines += [f'## {title}', '']
        lines += [f'- [{site.pages[u].title}]({site.pages[u].src}): {site.pages[u].description}' for u in urls]
        lines.append('')
    return [{'cell_type': 'markdown', 'source': '\n'.join(lines)}]


def build(root: Path = ROOT, out: Path | None = None, jobs: int = 2, reuse_proc: bool = False, log=print) -> Site:
    "Process the notebooks of `root`/nbs and render the site into `out` (default `root`/_docs)."
    t0 = time.time()
    cfg, nbs = read_settings(root), root / 'nbs'
    out = out or root / cfg.get('doc_path', '_docs')
    proc = root / '_proc'
    if reuse_proc and not proc.exists(): raise DocsBuildError(f'{proc}: not there to reuse; build without --reuse-proc')
    errors = {p.relative_to(nbs).as_posix(): 'not in _proc/ (its processing failed, or it is new)'
              for p in source_notebooks(nbs) if not (proc / p.relative_to(nbs)).exists()} if reuse_proc \
        else process_notebooks(nbs, proc, jobs)
    if not reuse_proc:
        log(f'processed {len(source_notebooks(nbs)) - len(errors)} notebooks with nbdev ({time.time() - t0:.1f} s)')
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    site = Site(nbs, out, cfg.get('title', cfg.get('lib_name', 'docs')), cfg.get('description', ''),
                cfg.get('doc_host', '').rstrip('/') + '/' + cfg.get('doc_baseurl', '').strip('/') + '/',
                cfg.get('git_url', '').rstrip('/') + '/')
    for p in sorted(proc.rglob('*.ipynb')):
        src = p.relative_to(proc).as_posix()
        fm, cells = front_matter(json.loads(p.read_text(encoding='utf-8')))
        url = page_url(src, fm)
        site.pages[url] = Page(src, url, str(fm.get('title') or src), str(fm.get('description') or ''),
                               with_results(cells, root / 'results' / 'bench'))
        site.by_src[src] = url
    groups = [(t, [site.by_src[s] for s in srcs if s in site.by_src])
              for t, srcs in sidebar_entries(nbs / 'sidebar.yml', list(site.by_src))]
    if 'index.html' not in site.pages:
        site.pages['index.html'] = Page('index.ipynb', 'index.html', site.title, '', [])
        site.pages['index.html'].cells = home_cells(site, groups)
        site.by_src['index.ipynb'] = 'index.html'
        groups.insert(0, (None, ['index.html']))
    listed = {u for _, us in groups for u in us}
    site.warnings += [f'{site.pages[u].src}: not in nbs/sidebar.yml (built, but only reachable by link)'
                      for u in site.pages if u not in listed]
    template = (ASSETS / 'template.html').read_text()
    pages = list(site.pages.values())
    for page in pages:
        try: site.parse(page)
        except DocsBuildError as e: errors[page.src] = str(e); del site.pages[page.url]
    for page in site.pages.values():
        site.rewrite(page)
        site.index_sections(page)
        site.write(page, sidebar_html(site, groups, page), template)
    for f in ('site.css', 'search.js'): shutil.copy2(ASSETS / f, out / f)
    (out / 'styles.css').write_text((nbs / 'styles.css').read_text() if (nbs / 'styles.css').exists() else '')
    (out / 'highlight.css').write_text(highlight_css())
    (out / 'search-index.js').write_text('window.CELLNET_SEARCH = ' + json.dumps(site.search, ensure_ascii=False)
                                         + ';\n', encoding='utf-8')
    (out / '.nojekyll').write_text('')
    for w in site.warnings: log(f'warning: {w}')
    log(f'wrote {len(site.pages)} pages, {len(site.search)} search entries to {out} ({time.time() - t0:.1f} s)')
    if errors:
        raise DocsBuildError('these notebooks could not be rendered (the others were):\n' +
                             '\n'.join(f'- {k}: {v}' for k, v in errors.items()))
    return site


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description='Build the docs site offline (nbdev processing + pandoc).')
    ap.add_argument('--out', type=Path, help='output folder (default: doc_path of settings.ini, _docs)')
    ap.add_argument('--jobs', type=int, default=2, help='notebooks processed in parallel')
    ap.add_argument('--reuse-proc', action='store_true',
                    help='render the _proc/ of the last build again, without nbdev processing (for styling work)')
    a = ap.parse_args(argv)
    try: build(ROOT, a.out, a.jobs, a.reuse_proc)
    except DocsBuildError as e:
        print(f'error: {e}', file=sys.stderr); return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
