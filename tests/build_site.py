"""The static course site (`make site`): every notebook, its solutions and the glossary as HTML
pages in course order, with an index, navigation between the pages, the stored figures and
outputs, and math rendered by a local copy of MathJax, so that the site reads with no network.

    python tests/build_site.py [--out site] [NOTEBOOK ...]

Pages are built from the executed notebooks as committed (`make notebooks` refreshes them); no
code runs. Links between notebooks (`03_nade.ipynb`, `solutions/…ipynb#Exercise-1:-XOR`,
`glossary.md#…`) become links between pages; heading anchors are the ones JupyterLab uses.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import jupyter_server_mathjax
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_URL = "{root}mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
LINK = re.compile(r'href="(?!https?:|#|mailto:)([^"#]+?)\.(ipynb|md)(#[^"]*)?"')
NAV_STYLE = (
    "<style>nav.course{font:14px sans-serif;margin:1em auto;max-width:1000px;display:flex;"
    "gap:1.5em;flex-wrap:wrap}nav.course a{text-decoration:none}</style>"
)


def course_notebooks() -> list[Path]:
    """The ten notebooks, in course order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def solution_notebooks() -> list[Path]:
    """The worked solutions, one per notebook, in course order."""
    return sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))


def pages(notebooks: list[Path]) -> list[tuple[Path, str]]:
    """(source, page path relative to the site) in course order: each notebook, then its
    solutions; the glossary last."""
    out = []
    for nb in notebooks:
        out.append((nb, f"{nb.stem}.html"))
        solution = NOTEBOOKS / "solutions" / f"{nb.stem}_solutions.ipynb"
        if solution.exists():
            out.append((solution, f"solutions/{solution.stem}.html"))
    out.append((NOTEBOOKS / "glossary.md", "glossary.html"))
    return out


@cache
def title(source: Path) -> str:
    """The first heading of a notebook or Markdown file, without its `#` marks."""
    if source.suffix == ".md":
        text = source.read_text()
    else:
        text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match.group(1).strip().replace("`", "") if match else source.stem


def _notebook(source: Path):
    if source.suffix == ".md":  # the glossary: one Markdown cell, rendered like a notebook's
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source.read_text())])
    nb = nbformat.read(source, as_version=4)
    nb.metadata.pop("widgets", None)  # live widgets need a kernel; the static figures stay
    return nb


def _relink(body: str) -> str:
    """Links to notebooks and Markdown files point to their pages."""
    return LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(3) or ""}"', body)


def _nav(index: int, site: list[tuple[Path, str]], page: str) -> str:
    root = "../" if "/" in page else ""
    links = [f'<a href="{root}index.html">course index</a>']
    if index > 0:
        prev_source, prev_page = site[index - 1]
        links.append(f'<a href="{root}{prev_page}">← {html.escape(title(prev_source))}</a>')
    if index + 1 < len(site):
        next_source, next_page = site[index + 1]
        links.append(f'<a href="{root}{next_page}">{html.escape(title(next_source))} →</a>')
    return f'<nav class="course">{"".join(links)}</nav>'


def render(source: Path, page: str, nav: str) -> str:
    """One page: the notebook as nbconvert's lab template draws it, with local MathJax, no
    remote scripts, links between pages, and the navigation at its top and bottom."""
    root = "../" if "/" in page else ""
    exporter = HTMLExporter(mathjax_url=MATHJAX_URL.format(root=root), require_js_url="")
    body, _ = exporter.from_notebook_node(_notebook(source))
    body = re.sub(r'<script src=""></script>\s*', "", body)
    body = _relink(body)
    body = body.replace("</head>", f"{NAV_STYLE}</head>", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav, body, count=1)
    return body.replace("</body>", f"{nav}</body>", 1)


def index_page(site: list[tuple[Path, str]]) -> str:
    items, extra = [], []
    for source, page in site:
        link = f'<a href="{page}">{html.escape(title(source))}</a>'
        if page.startswith("solutions/"):
            items[-1] += f' · <a href="{page}">worked solutions</a>'
        elif source.suffix == ".md":
            extra.append(
                f"<p>{link}: the notes' terms in English and in armini, and their errata.</p>"
            )
        else:
            items.append(link)
    rows = "".join(f"<li>{item}</li>" for item in items)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>armini: the course</title>'
        "<style>body{font:16px/1.5 sans-serif;max-width:46em;margin:2em auto}</style></head>"
        "<body><h1>armini: autoregressive models, one notebook at a time</h1>"
        "<p>Every notebook of the course, in order, with its executed outputs, and the answers "
        "to its exercises. To run the notebooks, clone the repository and type "
        "<code>make lab</code>.</p>"
        f"<ol start='0'>{rows}</ol>{''.join(extra)}</body></html>"
    )


def dead_links(out: Path) -> list[str]:
    """Every `page: href` of the site whose target page or `#anchor` does not exist."""
    dead, ids = [], {}
    for page in sorted(out.rglob("*.html")):
        for href in re.findall(r'href="([^"]+)"', page.read_text()):
            if re.match(r"https?:|mailto:", href) or href.startswith("#") and len(href) == 1:
                continue
            path, _, anchor = href.partition("#")
            target = (page.parent / path).resolve() if path else page.resolve()
            if not target.exists():
                dead.append(f"{page.relative_to(out)}: {href}")
                continue
            if anchor and target.suffix == ".html":
                if target not in ids:
                    found = re.findall(r'id="([^"]+)"', target.read_text())
                    ids[target] = {unquote(html.unescape(i)) for i in found}
                if unquote(anchor) not in ids[target]:
                    dead.append(f"{page.relative_to(out)}: {href}")
    return dead


def build(out: Path, notebooks: list[Path] | None = None) -> list[Path]:
    """Write the site to `out` (replacing it) and return its pages."""
    site = pages(notebooks or course_notebooks())
    if out.exists():
        shutil.rmtree(out)
    (out / "solutions").mkdir(parents=True)
    shutil.copytree(MATHJAX, out / "mathjax")
    written = []
    for i, (source, page) in enumerate(site):
        path = out / page
        path.write_text(render(source, page, _nav(i, site, page)), encoding="utf-8")
        written.append(path)
    (out / "index.html").write_text(index_page(site), encoding="utf-8")
    dead = dead_links(out)
    if dead:
        raise SystemExit("dead links in the site:\n" + "\n".join(dead))
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    written = build(args.out, [p.resolve() for p in args.notebooks] or None)
    print(f"{len(written)} pages and index.html in {args.out}; open {args.out / 'index.html'}")
