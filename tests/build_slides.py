"""Lecture slides (`make slides`): every notebook as a reveal.js slide show, from its executed
outputs, that runs in a browser with no network (reveal.js, require.js and jQuery are vendored
in `vendor/`, MathJax comes from the pinned `jupyter_server_mathjax`).

    python tests/build_slides.py [--out slides] [NOTEBOOK ...]

Slide boundaries live in each cell's metadata (`slideshow.slide_type`): every heading cell
starts a slide, every other Markdown cell a sub-slide below it, and a code cell and its output
stay on the slide of the text before it. `--mark` writes that rule into the notebooks.
Present: open `slides/NN_topic.slides.html`, arrows or space to move, `s` for speaker view,
`f` for full screen.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import nbformat
from build_site import MATHJAX, MATHJAX_URL, ROOT, _notebook, course_notebooks
from nbconvert import SlidesExporter

VENDOR = ROOT / "vendor"
REVEAL, REQUIRE = VENDOR / "reveal.js-4.0.2", VENDOR / "require.js-2.1.10" / "require.js"
JQUERY = VENDOR / "jquery-2.2.4" / "jquery.min.js"
MERMAID = re.compile(r'<script type="module">\s*import mermaid from [^<]*</script>\s*')


def slide_type(cell, first: bool) -> str:
    """The rule: a heading (or the first cell) starts a slide, other text a sub-slide, code
    stays with the text before it."""
    if first or (cell.cell_type == "markdown" and cell.source.lstrip().startswith("#")):
        return "slide"
    return "subslide" if cell.cell_type == "markdown" else "-"


def mark(path: Path) -> bool:
    """Write the rule into a notebook's cell metadata; True if anything changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for i, cell in enumerate(nb.cells):
        kind = slide_type(cell, i == 0)
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


def build(out: Path, notebooks: list[Path] | None = None) -> list[Path]:
    """Write every notebook's slides and the files they need to `out`; return the slides."""
    notebooks = notebooks or course_notebooks()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(MATHJAX, out / "mathjax")
    shutil.copytree(REVEAL, out / "reveal.js")
    shutil.copy(REQUIRE, out / "require.js")
    shutil.copy(JQUERY, out / "jquery.min.js")
    exporter = SlidesExporter(
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_scroll=True,  # a slide taller than the screen scrolls
        require_js_url="require.js",
        jquery_url="jquery.min.js",
        mathjax_url=MATHJAX_URL.format(root=""),
    )
    written = []
    for path in notebooks:
        body, _ = exporter.from_notebook_node(_notebook(path))
        body = MERMAID.sub("", body)  # the template loads mermaid from a CDN; no notebook uses it
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "slides")
    parser.add_argument(
        "--mark", action="store_true", help="write the slide rule into the notebooks"
    )
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or None
    if args.mark:
        for p in paths or course_notebooks():
            print(f"{p.name}: {'marked' if mark(p) else 'already marked'}")
    else:
        written = build(args.out, paths)
        print(f"{len(written)} slide shows in {args.out}; open {written[0]}")
