"""The set-up a new user relies on: pinned requirements, conda file in step, `make lab`."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    return dict(re.match(r"\s*-?\s*([A-Za-z0-9_.\-]+)==(\S+)", ln).groups() for ln in lines)


def test_every_requirement_is_pinned_and_torch_is_2_13():
    lines = [
        ln
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert all("==" in ln for ln in lines), [ln for ln in lines if "==" not in ln]
    assert pins(lines)["torch"] == "2.13.0"


def test_environment_yml_repeats_the_direct_pins():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    req = pins(ln for ln in lines if "==" in ln and not ln.startswith("#"))
    env_lines = (ROOT / "environment.yml").read_text().splitlines()
    env = pins(ln for ln in env_lines if "==" in ln)
    assert env and all(req.get(name) == version for name, version in env.items())
    assert "  - conda-forge" in env_lines and "  - nodefaults" in env_lines


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "jupyter").exists(), reason="run `make setup`")
def test_make_lab_serves_the_notebooks():
    port, token = free_port(), "armini-test"
    proc = subprocess.Popen(
        ["make", "-s", "lab", "BROWSER=no", f"PORT={port}", f"TOKEN={token}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": "/tmp/armini-test-runtime"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, contents = time.time() + 90, None
        while time.time() < deadline and contents is None:
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5) as r:
                    contents = json.load(r)
            except OSError:
                assert proc.poll() is None, "make lab exited early"
                time.sleep(1)
        assert contents is not None, "JupyterLab did not answer within 90 s"
        served = {item["name"] for item in contents["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= served
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as r:
            assert "JupyterLab" in r.read().decode()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
