"""Real-browser checks of the notebooks as a student runs them (`make browser-test`): `make lab`
serves a copy of the notebooks on a free local port, and headless Chromium opens each one, runs
Kernel → Restart Kernel and Run All Cells, and checks what nbval cannot see:

- every code cell ran, in order, from a fresh kernel, and no output is an error;
- every widget the notebook shows is drawn by the JupyterLab widget manager;
- for each widget, moving one control of each kind it has (a slider, a dropdown, toggle
  buttons, a button) redraws its output, with no error in it and every figure drawn.

Screenshots go to `browser-test-output/lab_*.png`, with the server's log (`lab.log`); a failing
run leaves them behind. Planted notebooks (callbacks that raise, a redraw that comes out blank,
a cell that raises) show that the checks fail."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import build_site
import pytest
from chromium import ROOT, SHOTS

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STDERR = "application/vnd.jupyter.stderr"  # how JupyterLab shows both errors and stderr
PROMPTS = "() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
# JupyterLab's own settings for the test: every cell stays in the page (no virtual scrolling),
# and it neither fetches news nor checks for updates (there is no network).
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
# Uncaught rejections JupyterLab itself raises while a kernel restarts (its pending requests are
# cancelled); anything else the page throws is a failure.
RESTART_NOISE = "Canceled future for"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running `make lab`, serving `root` on 127.0.0.1:`port`."""

    def __init__(self, root: Path, port: int, token: str):
        self.root, self.token = root, token
        self.origin = f"http://127.0.0.1:{port}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"{self.origin}/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self):
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a free port, over a copy of notebooks/ (JupyterLab saves what it runs; the
    committed notebooks stay as they are) beside the benchmarks the notebooks read."""
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    (work / "benchmarks").symlink_to(ROOT / "benchmarks")
    for name, values in SETTINGS.items():
        path = work / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"))  # fmt: skip
    SHOTS.mkdir(exist_ok=True)
    log = open(SHOTS / "lab.log", "w")  # noqa: SIM115 (open while the server runs)
    command = ["make", "-s", "lab", f"LAB_DIR={work / 'notebooks'}", f"PORT={port}", "BROWSER=no",
               f"TOKEN={token}"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)  # fmt: skip
    lab = Lab(work / "notebooks", port, token)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                lab.api("api/status")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"make lab did not start; see {SHOTS / 'lab.log'}") from None
                time.sleep(0.5)
        yield lab
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def controls(widget) -> list[tuple[str, object]]:
    """The first control of each kind in a widget view, with how to move it."""
    found = []
    slider = widget.locator(".widget-slider .noUi-handle")
    if slider.count():
        handle = slider.first
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        found.append(("slider", lambda: handle.press("ArrowLeft" if at_max else "ArrowRight")))
    menu = widget.locator(".widget-dropdown select")
    if menu.count():
        select = menu.first
        others = select.evaluate(
            "s => Array.from(s.options).filter(o => !o.selected).map(o => o.value)"
        )
        found.append(("dropdown", lambda: select.select_option(others[0])))
    toggles = widget.locator(".widget-toggle-buttons button:not(.mod-active)")
    if toggles.count():
        found.append(("toggle buttons", toggles.first.click))
    buttons = widget.locator("button.widget-button")
    if buttons.count():
        found.append(("button", buttons.first.click))
    return found


def errors_in(locator) -> list[str]:
    return locator.locator(f"[data-mime-type='{STDERR}']").evaluate_all(
        "els => els.map(e => e.innerText.slice(0, 400))"
    )


def ink(locator) -> list[float]:
    """For each figure in `locator`, the fraction of its pixels that are drawn (neither white
    nor transparent): a figure whose axes failed to draw is a blank page, or a title on one."""
    return locator.evaluate(
        """e => Array.from(e.querySelectorAll('img')).map(i => {
            const c = document.createElement('canvas');
            [c.width, c.height] = [i.naturalWidth, i.naturalHeight];
            const g = c.getContext('2d');
            g.drawImage(i, 0, 0);
            const d = g.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let k = 0; k < d.length; k += 4)
                n += d[k + 3] > 0 && d[k] + d[k + 1] + d[k + 2] < 720;
            return n / (c.width * c.height);
        })"""
    )


def settle(locator, quiet_ms: int = 1000, timeout_s: float = 30) -> None:
    """Wait until `locator`'s content has not changed for `quiet_ms`."""
    deadline, html = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        html, previous = locator.inner_html(), html
        if html == previous:
            return
        locator.page.wait_for_timeout(quiet_ms)


def shown(locator) -> None:
    """Scroll `locator` into view and wait until its images are decoded: Chromium decodes an
    image only once it is on screen, and a screenshot taken before that shows it half drawn."""
    locator.scroll_into_view_if_needed()
    locator.evaluate("e => Promise.all(Array.from(e.querySelectorAll('img')).map(i => i.decode()))")
    locator.page.wait_for_timeout(200)


def run_in_lab(browser, lab: Lab, notebook: Path, shot: str, redraw_timeout: float = 30) -> dict:
    """Open `notebook` in JupyterLab, Restart Kernel and Run All Cells, then move each widget's
    controls; return what a student would have seen."""
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    expected_widgets = sum(WIDGET_VIEW in o.get("data", {}) for c in cells for o in c["outputs"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    remote, page_errors = [], []
    page.on("request", lambda r: r.url.startswith(lab.origin) or remote.append(r.url))
    page.on("pageerror", lambda e: RESTART_NOISE in str(e) or page_errors.append(str(e)))
    seen = {"code_cells": len(cells), "expected_widgets": expected_widgets, "moves": []}
    try:
        path = notebook.relative_to(lab.root).as_posix()
        page.goto(f"{lab.origin}/lab/tree/{path}?reset&token={lab.token}")
        idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
        page.wait_for_selector(idle, timeout=90000)
        # let the new kernel's connection settle (kernel info, history, debugger state) before
        # restarting it: a restart in the middle of that handshake can leave the browser and
        # the server speaking two versions of the websocket protocol, and the run hangs
        page.wait_for_timeout(2000)
        page.wait_for_selector(idle, timeout=30000)
        page.click(".lm-MenuBar-itemLabel:text-is('Kernel')")
        page.click(".lm-Menu-itemLabel:text-is('Restart Kernel and Run All Cells…')")
        page.click(".jp-Dialog .jp-mod-accept")  # "Restart"
        page.wait_for_function(f"() => ({PROMPTS})().some(e => e.innerText.includes('*'))")
        page.wait_for_function(
            f"() => !({PROMPTS})().some(e => e.innerText.includes('*'))",
            timeout=600000,
            polling=500,
        )
        seen["prompts"] = page.evaluate(f"() => ({PROMPTS})().map(e => e.innerText)")
        seen["errors"] = errors_in(page.locator(".jp-Notebook"))
        page.screenshot(path=str(SHOTS / f"{shot}.png"))
        # the widget views a cell shows (not the outputs inside a widget's own Output)
        n_views = page.evaluate(
            """() => {
                const views = Array.from(document.querySelectorAll(
                    '.jp-Cell-outputArea .jp-OutputArea-output > .jupyter-widgets'))
                    .filter(e => !e.parentElement.closest('.jupyter-widgets'));
                views.forEach((e, i) => e.setAttribute('data-armini-view', i));
                return views.length;
            }"""
        )
        seen["widgets"] = n_views
        seen["drawn"] = 0
        for i in range(n_views):
            widget = page.locator(f"[data-armini-view='{i}']")
            output = widget.locator(".widget-output").first
            if not widget.locator(".widget-output").count():
                continue
            seen["drawn"] += 1
            for kind, move in controls(widget):
                shown(output)
                before, ink_before = output.inner_html(), ink(output)
                move()
                try:
                    page.wait_for_function(
                        "([o, before]) => o.innerHTML !== before",
                        arg=[output.element_handle(), before],
                        timeout=redraw_timeout * 1000,
                        polling=250,
                    )
                    changed = True
                except Exception:  # Playwright's TimeoutError: the output never changed
                    changed = False
                settle(output)  # the text comes before the figure: wait for the last of it
                shown(widget)
                widget.screenshot(
                    path=str(SHOTS / f"{shot}_widget{i}_{kind.replace(' ', '_')}.png")
                )
                seen["moves"].append({"widget": i, "control": kind, "changed": changed,
                                      "errors": errors_in(output), "ink_before": ink_before,
                                      "ink": ink(output)})  # fmt: skip
    finally:
        seen["remote"], seen["page_errors"] = remote, page_errors
        page.screenshot(path=str(SHOTS / f"{shot}_last.png"))
        page.close()
        lab.shut_down_kernels()
    return seen


def problems(seen: dict) -> list[str]:
    """What is wrong with a notebook run in JupyterLab, in words; [] when nothing is."""
    found = []
    ran = [f"[{k}]:" for k in range(1, seen["code_cells"] + 1)]
    if seen["prompts"] != ran:
        found.append(f"cells did not all run in order from a fresh kernel: {seen['prompts']}")
    found += [f"error output: {e}" for e in seen["errors"]]
    if seen["widgets"] != seen["expected_widgets"] or seen["drawn"] != seen["widgets"]:
        drawn, expected = seen["drawn"], seen["expected_widgets"]
        found.append(f"{drawn} of {expected} widget views drawn ({seen['widgets']} found)")
    for move in seen["moves"]:
        what = f"widget {move['widget']}, {move['control']}"
        if not move["changed"]:
            found.append(f"{what}: moving it did not change the output")
        found += [f"{what}: error output after moving it: {e}" for e in move["errors"]]
        before, after = move["ink_before"], move["ink"]
        if len(after) < len(before):
            found.append(f"{what}: {len(before)} figures before moving it, {len(after)} after")
        for j, (was, now) in enumerate(zip(before, after, strict=False)):
            if now < was / 2:  # the same figure, redrawn: about as much ink, not a blank page
                found.append(
                    f"{what}: figure {j} came out blank ({now:.1%} drawn, {was:.1%} before)"
                )
    if len({m["widget"] for m in seen["moves"]}) < seen["drawn"]:
        found.append("a widget has no control the test can move")
    found += [f"page error: {e}" for e in seen["page_errors"]]
    found += [f"network request: {u}" for u in seen["remote"]]
    return found


def test_jupyterlab_sends_widget_messages_to_the_main_shell(lab):
    # the setting `make setup` installs (jupyter/overrides.json): with comms over subshells, a
    # widget's redraw runs on another thread than the cells, and its figure can come out blank
    plugin = lab.api("lab/api/settings/@jupyterlab/apputils-extension:kernels-settings")
    default = plugin["schema"]["properties"]["commsOverSubshells"]["default"]  # overrides.d's
    assert plugin["settings"].get("commsOverSubshells", default) == "disabled"


NOTEBOOKS = build_site.course_notebooks()
SOLUTIONS = build_site.solution_notebooks()


@pytest.mark.parametrize(
    "name", [p.relative_to(ROOT / "notebooks").as_posix() for p in NOTEBOOKS + SOLUTIONS]
)
def test_every_notebook_runs_in_jupyterlab_with_working_widgets(browser, lab, name):
    shot = "lab_" + Path(name).stem
    seen = run_in_lab(browser, lab, lab.root / name, shot)
    assert problems(seen) == [], f"see {SHOTS / shot}*.png"


PLANTED = {
    "broken_widget.ipynb": [
        "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\n"
        "from IPython.display import clear_output, display",
        # a callback that raises while it draws: the error lands in the widget's output
        """slider, out = widgets.IntSlider(3), widgets.Output()
def redraw(change):
    with out:
        raise RuntimeError("planted: the redraw fails")
slider.observe(redraw, names="value")
widgets.VBox([slider, out])""",
        # a callback that raises before it draws: the output never changes
        """slider2, out2 = widgets.IntSlider(3), widgets.Output()
def redraw2(change):
    1 / 0
    with out2:
        print(change["new"])
slider2.observe(redraw2, names="value")
widgets.VBox([slider2, out2])""",
        # a callback that draws a figure with nothing on it, as a redraw that lost a race does
        """slider3, out3 = widgets.IntSlider(3), widgets.Output()
def redraw3(change=None):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_axis_off() if change else ax.fill_between([0, 1], [0, 1])
    with out3:
        clear_output(wait=True)
        display(fig)
    plt.close(fig)
redraw3()
slider3.observe(redraw3, names="value")
widgets.VBox([slider3, out3])""",
    ],
    "broken_cell.ipynb": ["x = 1", "raise ValueError('planted: a cell fails')", "y = 2"],
}


def plant(root: Path, name: str, sources: list[str]) -> Path:
    cells = [{"cell_type": "code", "id": f"planted-{k}", "metadata": {}, "source": s, "outputs": [],
              "execution_count": None} for k, s in enumerate(sources)]  # fmt: skip
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": kernel},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = root / name
    path.write_text(json.dumps(notebook))
    return path


def test_a_widget_whose_callback_raises_fails(browser, lab):
    path = plant(lab.root, "broken_widget.ipynb", PLANTED["broken_widget.ipynb"])
    seen = run_in_lab(browser, lab, path, "lab_planted_broken_widget", redraw_timeout=5)
    seen["expected_widgets"] = 3  # the planted notebook has never run, so it stores no views
    found = problems(seen)
    assert any(f.startswith("widget 0, slider: error output") and "planted" in f for f in found)
    assert "widget 1, slider: moving it did not change the output" in found
    assert any(f.startswith("widget 2, slider: figure 0 came out blank") for f in found)
    assert len(found) == 3, found  # the notebook itself ran, and every widget was drawn


def test_a_cell_that_raises_fails(browser, lab):
    path = plant(lab.root, "broken_cell.ipynb", PLANTED["broken_cell.ipynb"])
    found = problems(run_in_lab(browser, lab, path, "lab_planted_broken_cell"))
    assert found[0].startswith("cells did not all run in order") and "[ ]:" in found[0]
    assert any(f.startswith("error output") and "planted: a cell fails" in f for f in found)
