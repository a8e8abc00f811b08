"""Lecture slides (`make slides`): slide boundaries marked in every notebook by one rule, and
slide shows that load nothing from the network."""

import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import build_slides  # noqa: E402

NOTEBOOKS = build_slides.course_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_cell_carries_its_slide_boundary(path):
    nb = nbformat.read(path, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    expected = [build_slides.slide_type(c, i == 0) for i, c in enumerate(nb.cells)]
    assert kinds == expected, f"run `python tests/build_slides.py --mark` for {path.name}"


def test_the_rule_starts_a_slide_at_every_heading():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [md("# Title"), md("text"), code("x = 1"), md("## Section"), code("y")]
    kinds = [build_slides.slide_type(c, i == 0) for i, c in enumerate(cells)]
    assert kinds == ["slide", "subslide", "-", "slide", "-"]


def test_slides_show_offline(tmp_path):
    written = build_slides.build(tmp_path, NOTEBOOKS[1:2])
    text = written[0].read_text()
    assert text.count("<section") > 10  # one per slide and sub-slide
    remote = re.findall(
        r'(?:src|href)="(https?://[^"]+)"|import [^;]*from \'(https?://[^\']+)\'', text
    )
    assert remote == []
    for needed in ("reveal.js/dist/reveal.js", "require.js", "jquery.min.js", "mathjax/MathJax.js"):
        assert needed in text and (tmp_path / needed).exists(), needed
