"""Markdown tables from the benchmark result files, so that the docs render their figures instead of typing them.

A benchmark script (`benchmarks/*.py`) writes `results/bench/<name>.json` = {"meta": {command, commit, date, seconds,
cores}, "rows": {row name: {metric: value}}}. Markdown in the notebooks holds markers that `tools/readme.py` and
`tools/build_docs.py` replace with tables from those files:

- `<!-- results -->`: the summary (one row per claim in `SUMMARY`: what, command, figure, goal);
- `<!-- results: KEY -->`: every row of the benchmark `KEY` of `BENCHMARKS`, with how it was measured.

A file is found by the command that wrote it (its `meta.command`), so a figure always comes from the documented
command; where none has, the table says so and gives the command. Standard library only: the docs build without cellnet.

    python tools/results.py            # print the summary
    python tools/results.py hela       # print one benchmark's table"""
from __future__ import annotations
import json, re, shlex, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / 'results' / 'bench'

BENCHMARKS = {  # key → the command whose result file backs the docs' figures
    'hela': 'python benchmarks/hela.py --folds 2 --threads 1',
    'release_kfold': 'python benchmarks/release_kfold.py --folds 2 --threads 1',
    'usiigaci_sparse': 'python benchmarks/usiigaci_sparse.py --steps 2400 --threads 1 --cell-size per-image',
    'usiigaci_sparse_masks_fitted': 'python benchmarks/usiigaci_sparse.py --steps 1200 --threads 1 --cell-size per-image --masks fitted',
    'usiigaci_sparse_masks_none': 'python benchmarks/usiigaci_sparse.py --steps 1200 --threads 1 --cell-size per-image --masks none',
    'usiigaci_sparse_masks_reference': 'python benchmarks/usiigaci_sparse.py --steps 1200 --threads 1 --cell-size per-image --masks reference',
    'cross': 'python benchmarks/cross.py --experiment unseen_microscope --cell-size per-image --threads 1',
    'vgg': 'python benchmarks/vgg.py --experiment overlapping --draws 5 --threads 1',
    'log_baseline': 'python benchmarks/log_baseline.py',
    'default_model': 'python benchmarks/default_model.py',
    'peer_nuclephaser': 'python benchmarks/peer_nuclephaser.py --threads 1',
    'count_speed': 'python benchmarks/count_speed.py',
    'train_speed': 'python benchmarks/train_speed.py',
    'fgmask': 'python benchmarks/fgmask.py',
    'fgmask_bounds': 'python benchmarks/fgmask_bounds.py',
    'cell_size': 'python benchmarks/cell_size.py',
    'adapt': 'python benchmarks/adapt.py --directions hela-phc:usiigaci --images 1 2 --fractions 0.3 --threads 1',
    'adapt_reverse': 'python benchmarks/adapt.py --directions usiigaci:hela-phc --images 1 --fractions 0.3 --threads 1',
    'adapt_four': 'python benchmarks/adapt.py --directions hela-phc:usiigaci --images 4 --fractions 0.3 --threads 1',
    'prepare_microscopes': 'python benchmarks/prepare_microscopes.py',
    'adapt_fractions': 'python benchmarks/adapt.py --directions hela-phc:usiigaci --images 1 --fractions 0.1 --threads 1',
    # the next default (not shipped yet): the release recipe with a decoder of half the width, trained on all images
    'light_kfold': "python benchmarks/release_kfold.py --folds 2 --threads 1 --set 'model.decoder_channels=[64,32,16,16,8]'",
    'light_default_model': 'python benchmarks/default_model.py --model /work/benchruns/light/261208-033820-release-release/model',
    'light_peer': 'python benchmarks/peer_nuclephaser.py --model /work/benchruns/light/261208-033820-release-release/model --no-peer',
    'light_count_speed': 'python benchmarks/count_speed.py --model /work/benchruns/light/261208-033820-release-release/model',
}

# The README's claims: (what, benchmark, figure template, goal). In a template, {ROW|METRIC:FORMAT} is that row's metric.
SUMMARY = [
    ('HeLa, held-out images (2-fold): F1 of the centres at 8 px', 'hela',
     '{cellnet on hela-phc|f1:.3f} (tuned LoG {LoG on hela-phc (mean of folds)|f1:.3f})', '≥ 0.97'),
    ('Usiigaci, the shipped recipe on held-out images (2-fold): F1 at 19 px, centres count error', 'release_kfold',
     '{cellnet on usiigaci|f1:.3f}, {cellnet on usiigaci|peaks_rel:.1%} (tuned LoG {LoG on usiigaci (mean of folds)|f1:.3f}, '
     '{LoG on usiigaci (mean of folds)|count_rel:.1%})', 'above the tuned LoG'),
    ('Sparse clicks: Usiigaci trained on half of the centroids, jittered by 3 px; F1 at 19 px, centres count error '
     '(flips averaged)', 'usiigaci_sparse',
     '{cellnet, flips averaged @ 19.0 px|f1:.3f}, {cellnet, flips averaged @ 19.0 px|peaks_rel:.1%}', '≥ 0.85, ≤ 10 %'),
    ('Unseen microscope: HeLa → Usiigaci, Usiigaci → HeLa; F1 (relative threshold, eight symmetries averaged)', 'cross',
     '{hela-phc → usiigaci, each image at its own cell size, relative threshold, D4 averaged|f1:.3f}, '
     '{usiigaci → hela-phc, relative threshold, D4 averaged|f1:.3f}', '≥ 0.80'),
    ('VGG synthetic cells, N = 32: count MAE over 5 draws', 'vgg',
     '{cellnet count MAE|mean:.2f} ± {cellnet count MAE|std:.2f}', '≤ 2.9 (stretch ≤ 2.3)'),
    ('Speed: `cellnet count` with its defaults (cell size estimated once per folder, plots), end to end, process start '
     'included: 20 frames 2048×1536, 24 and 96 frames 400×400, one 8000×8000 image (in brackets: its time over the bare '
     'network forward on the pixels it sees, one image after another or one per core at once, the faster); peak memory '
     'on a 10k×10k image', 'count_speed',
     '{defaults: cellnet count, 20 frames 2048×1536|mp_s:.1f} ({defaults: cellnet count, 20 frames 2048×1536|overhead:.1f}×), '
     '{defaults: cellnet count, 24 HeLa frames 400×400|mp_s:.1f} ({defaults: cellnet count, 24 HeLa frames 400×400|overhead:.1f}×), '
     '{defaults: cellnet count, 96 HeLa frames 400×400|mp_s:.1f} ({defaults: cellnet count, 96 HeLa frames 400×400|overhead:.1f}×), '
     '{defaults: cellnet count, one 8000×8000 image|mp_s:.1f} MP/s ({defaults: cellnet count, one 8000×8000 image|overhead:.1f}×); '
     '{defaults: cellnet count, 10k×10k|peak_gb:.2f} GB',
     '≥ 3 MP/s (≤ 1.3×); ≤ 4 GB'),
]

# Benchmarks whose rows on other microscopes, 'TOOL on SET/VARIANT …', are many: below the table of their other rows,
# those are one line per SET/VARIANT …, with a column per tool and metric (these metrics)
WIDE = {'peer_nuclephaser': ('f1', 'count_rel'), 'light_peer': ('f1', 'count_rel')}

HEADERS = {'f1': 'F1', 'precision': 'P', 'recall': 'R', 'count_mae': 'count MAE', 'count_rel': 'count error',
           'peaks_mae': 'centres MAE', 'peaks_rel': 'centres error', 'mp_s': 'MP/s', 'peak_gb': 'peak GB', 's_per_mp': 's/MP',
           'f1_at_size': "F1 at the set's size", 'count_rel_at_size': "count error at the set's size"}

def spec(column: str) -> str:
    "The format of a table column: scores to 3 decimals, errors in cells to 2, relative errors as percentages."
    if column in ('f1', 'precision', 'recall', 'iou') or column.endswith('_f1') or column.startswith('f1_'): return '.3f'
    if column == 'rel' or column.endswith('_rel') or column.startswith('count_rel_'): return '.1%'
    if column in ('mae', 'mean', 'std', 'draws', 'mp_s', 'peak_gb') or column.endswith(('_mae', '_s', '_mp')): return '.2f'
    return '.3g'

FIELD = re.compile(r'\{([^{}|]+)\|(\w+)(?::([^{}]*))?\}')
MARKER = re.compile(r'^[ \t]*<!--\s*results(?::\s*([\w-]+))?\s*-->[ \t]*$', re.M)


KEPT_ONLY = ('--run-dir',)   # options that say where trained models are kept, not what is measured


def words(command: str) -> list[str]:
    "A command line's words (quoting and spacing aside), without the options of `KEPT_ONLY` and their values."
    try: w = shlex.split(command)
    except ValueError: w = command.split()
    out, skip = [], False
    for x in w:
        if skip: skip = False
        elif x in KEPT_ONLY: skip = True
        elif not x.startswith(tuple(f'{k}=' for k in KEPT_ONLY)): out.append(x)
    return out


def same_command(a: str, b: str) -> bool:
    "Whether two command lines measure the same thing: the same words, where the models were kept aside."
    return words(a) == words(b)


def find(command: str, bench: Path = BENCH) -> dict | None:
    "The newest result file in `bench` written by `command` (its `meta.command`), or None."
    found = []
    for f in sorted(bench.glob('*.json')):
        try: res = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError): continue
        meta = res.get('meta') if isinstance(res, dict) else None
        if isinstance(meta, dict) and same_command(str(meta.get('command', '')), command): found.append(res)
    return max(found, key=lambda r: str(r['meta'].get('date', ''))) if found else None


def fmt(v, number_format: str = '.3g') -> str:
    "A value for a table: a number in `number_format` (integers as they are), a list of numbers joined, text escaped."
    if v is None: return ''
    if isinstance(v, bool) or isinstance(v, int): return str(v)
    if isinstance(v, float): return format(v, number_format)
    if isinstance(v, list): return ', '.join(fmt(x, number_format) for x in v)
    return str(v).replace('|', '\\|')


def fill(template: str, rows: dict) -> str:
    "`template` with each {ROW|METRIC:FORMAT} replaced by that figure (a missing one is named, not guessed)."
    def one(m):
        row, metric, number_format = m.group(1), m.group(2), m.group(3)
        v = rows.get(row, {}).get(metric)
        return f'(no {metric} in row {row!r})' if v is None else fmt(v, number_format or spec(metric))
    return FIELD.sub(one, template)


def measured(meta: dict) -> str:
    "How a file was measured, in one line."
    return (f"`{meta.get('command')}` at commit `{meta.get('commit')}`, {str(meta.get('date', ''))[:10]}, "
            f"{meta.get('seconds')} s on {meta.get('cores')} core{'' if meta.get('cores') == 1 else 's'}")


def absent(key: str) -> str:
    return f'*Not measured at this version — run `{BENCHMARKS[key]}`.*'


def summary(bench: Path = BENCH) -> str:
    "The summary table: one row per claim of `SUMMARY`, from the files of their commands."
    lines = ['| | command | result | goal |', '|---|---|---|---|']
    for what, key, template, goal in SUMMARY:
        res = find(BENCHMARKS[key], bench)
        figure = f"{fill(template, res['rows'])} (commit `{res['meta'].get('commit')}`)" if res else \
            'not measured at this version'
        lines.append(f'| {what} | `{BENCHMARKS[key]}` | {figure} | {goal} |')
    return '\n'.join(lines)


def columns(rows: dict) -> list[str]:
    "The metrics a table shows: every number or list of numbers in the rows, in the order they first appear."
    cols = {}
    for r in rows.values():
        for k, v in r.items():
            numbers = isinstance(v, (int, float)) or (isinstance(v, list) and all(isinstance(x, (int, float)) for x in v))
            if numbers and not isinstance(v, bool): cols[k] = True
    return list(cols)


def flat_table(rows: dict) -> list[str]:
    "The lines of a table of `rows`: one line per row, a column per metric."
    cols = columns(rows)
    lines = ['| | ' + ' | '.join(HEADERS.get(c, c) for c in cols) + ' |', '|---' * (len(cols) + 1) + '|']
    for name, r in rows.items():
        cells = [fmt(r.get(c), spec(c)) for c in cols]
        lines.append(f'| {fmt(name)} | ' + ' | '.join(cells) + ' |')
    return lines


def tool_and_place(name: str) -> tuple[str, str]:
    "A row name 'TOOL on PLACE' as (TOOL, PLACE)."
    tool, _, place = name.partition(' on ')
    return tool, place


def wide_table(rows: dict, metrics) -> list[str]:
    "The lines of a table of rows 'TOOL on PLACE': one line per PLACE, a column per TOOL and metric of `metrics`."
    tools, places = {}, {}
    for name, r in rows.items():
        tool, place = tool_and_place(name)
        tools[tool] = True
        places.setdefault(place, {})[tool] = r
    heads = [f'{t}: {HEADERS.get(m, m)}' for t in tools for m in metrics]
    lines = ['| | ' + ' | '.join(heads) + ' |', '|---' * (len(heads) + 1) + '|']
    for place, by_tool in places.items():
        cells = [fmt(by_tool.get(t, {}).get(m), spec(m)) for t in tools for m in metrics]
        lines.append(f'| {fmt(place)} | ' + ' | '.join(cells) + ' |')
    return lines


def table(key: str, bench: Path = BENCH) -> str:
    """Every row of benchmark `key`'s result file as a markdown table, with how it was measured (the rows on other
    microscopes of a `WIDE` benchmark in a second table, one line per microscope)."""
    res = find(BENCHMARKS[key], bench)
    if res is None: return absent(key)
    wide = {n: r for n, r in res['rows'].items() if key in WIDE and '/' in tool_and_place(n)[1]}
    lines = flat_table({n: r for n, r in res['rows'].items() if n not in wide})
    if wide: lines += [''] + wide_table(wide, WIDE[key])
    return '\n'.join(lines) + f'\n\nMeasured by {measured(res["meta"])}.'


def expand(markdown: str, bench: Path = BENCH) -> str:
    "`markdown` with each results marker replaced by its table."
    def one(m):
        key = m.group(1)
        if key is None: return summary(bench)
        if key not in BENCHMARKS: raise KeyError(f'results marker names {key!r}, not a benchmark of tools/results.py')
        return table(key, bench)
    return MARKER.sub(one, markdown)


if __name__ == '__main__':
    print(table(sys.argv[1]) if len(sys.argv) > 1 else summary())
