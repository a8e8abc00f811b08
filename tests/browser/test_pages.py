"""Real-browser checks (`make browser-test`): the static site and the slides, opened offline in
headless Chromium (Debian's `chromium`, driven by Playwright), must render their math (MathJax
typesets every formula, no raw TeX left), load every figure, and request nothing from the
network. Screenshots of every page checked go to `browser-test-output/`, which a failing run
leaves behind."""

import re
from pathlib import Path

import build_site
import build_slides
import pytest
from chromium import SHOTS

RAW_TEX = re.compile(r"\$\$|\\(frac|mathbf|sum|sigma|alpha)\b|\$[^$\s][^$]{0,40}\\")


def prose(page) -> str:
    """The text of the rendered Markdown (code cells may hold TeX in strings), or the body."""
    texts = page.eval_on_selector_all(".jp-RenderedMarkdown", "els => els.map(e => e.innerText)")
    return "\n".join(texts) if texts else page.inner_text("body")


def render(browser, path: Path, shot: str, wait_for_reveal: bool = False) -> dict:
    """Open `path` offline; return what a reader would see: formulas typeset, raw TeX left in
    the text, figures loaded and not, requests beyond the local files, page errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    if wait_for_reveal:
        page.wait_for_selector(".reveal.ready", timeout=30000)
    page.wait_for_function(  # MathJax started, and its queue of typesetting is empty
        "() => !document.querySelector('script[src*=\"MathJax.js\"]') || (window.MathJax"
        " && MathJax.isReady && MathJax.Hub.queue.pending === 0"
        " && MathJax.Hub.queue.running === 0)",
        timeout=60000,
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=not wait_for_reveal)
    seen = {
        "math": page.locator(".MathJax, .MathJax_Display").count(),
        "raw_tex": RAW_TEX.findall(prose(page)),
        "broken": page.evaluate(
            "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth)).length"
        ),
        "remote": [u for u in requests if not u.startswith(("file:", "data:"))],
        "errors": errors,
    }
    page.close()
    return seen


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    build_site.build(out)
    return out


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    build_slides.build(out)
    return out


NOTEBOOKS = build_site.course_notebooks()


@pytest.mark.parametrize("name", [page for _, page in build_site.pages(NOTEBOOKS)])
def test_every_site_page_renders_its_math_and_figures_offline(browser, site, name):
    seen = render(browser, site / name, "site_" + name.replace("/", "_"))
    assert seen["math"] > 0 and seen["raw_tex"] == [], seen["raw_tex"][:5]
    assert seen["broken"] == 0 and seen["remote"] == [] and seen["errors"] == []


@pytest.mark.parametrize("stem", [p.stem for p in NOTEBOOKS])
def test_every_slide_show_starts_offline_with_its_math(browser, slides, stem):
    seen = render(browser, slides / f"{stem}.slides.html", f"slides_{stem}", wait_for_reveal=True)
    assert seen["math"] > 0 and seen["remote"] == [] and seen["errors"] == [], seen


def test_a_page_whose_math_did_not_render_fails(browser, tmp_path):
    # a planted page with no MathJax and a missing figure: raw TeX is left, and the checks see it
    page = tmp_path / "broken.html"
    html = "<html><body><p>The chain rule: $$p(\\mathbf{x}) = \\prod_i p(x_i)$$</p>"
    html += '<img src="missing.png"></body></html>'
    page.write_text(html)
    seen = render(browser, page, "broken_probe")
    assert seen["math"] == 0 and seen["raw_tex"] and seen["broken"] == 1
