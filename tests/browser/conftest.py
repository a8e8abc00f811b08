import pytest
from chromium import CHROMIUM, FLAGS, SHOTS


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, not a downloaded one), started by Playwright."""
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium (apt install chromium)")
    SHOTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()
