"""The static course site (`make site`): every page in course order, navigation, links between
pages that resolve, figures embedded, and nothing fetched from the network (MathJax is local)."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import build_site  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return out, build_site.build(out)  # raises if any link of the site is dead


def test_every_notebook_its_solutions_and_the_glossary_have_a_page_in_course_order(site):
    out, pages = site
    names = [p.relative_to(out).as_posix() for p in pages]
    notebooks = [p.stem for p in build_site.course_notebooks()]
    expected = [
        page for nb in notebooks for page in (f"{nb}.html", f"solutions/{nb}_solutions.html")
    ]
    assert names == expected + ["glossary.html"]
    index = (out / "index.html").read_text()
    positions = [index.index(f'href="{nb}.html"') for nb in notebooks]
    assert positions == sorted(positions)
    assert index.count(">worked solutions</a>") == len(notebooks)
    assert 'href="glossary.html"' in index


def test_each_page_links_to_the_index_and_its_neighbours(site):
    out, pages = site
    for before, page, after in zip(pages, pages[1:], pages[2:], strict=False):
        text = page.read_text()
        root = "../" if page.parent != out else ""
        assert text.count(f'href="{root}index.html"') == 2  # at the top and at the bottom
        for neighbour in (before, after):
            assert f'href="{root}{neighbour.relative_to(out).as_posix()}"' in text


def test_the_site_reads_offline_with_its_figures_and_links(site):
    out, pages = site
    assert (out / "mathjax" / "MathJax.js").exists()
    for page in pages:
        text = page.read_text()
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', text)
        assert remote == [] and "unpkg.com" not in text, page.name  # (mermaid loads only if used)
        assert re.search(r'<script[^>]+src="(\.\./)?mathjax/MathJax\.js', text), page.name
        assert not re.search(r'href="[^"]+\.(ipynb|md)(#[^"]*)?"', text), page.name
    assert "data:image/png;base64" in (out / "03_nade.html").read_text()  # the stored figures
    nade = (out / "03_nade.html").read_text()
    assert 'href="solutions/03_nade_solutions.html#Exercise-1:-XOR"' in nade
    assert 'href="glossary.html#Errata-of-the-notes"' in nade


def test_a_dead_link_or_anchor_is_found(tmp_path):
    (tmp_path / "a.html").write_text('<h2 id="Here">x</h2><a href="b.html">b</a>')
    (tmp_path / "b.html").write_text('<a href="a.html#Here">ok</a> <a href="a.html#Gone">no</a>')
    (tmp_path / "c.html").write_text('<a href="missing.html">no</a> <a href="#Here">no</a>')
    assert build_site.dead_links(tmp_path) == [
        "b.html: a.html#Gone",
        "c.html: missing.html",
        "c.html: #Here",
    ]
