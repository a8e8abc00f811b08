"""The benchmark scripts run end to end (on tiny sizes), so that they cannot rot."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_speed_benchmark_runs_and_prints_its_tables():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--quick", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = result.stdout
    for title in ("NADE forward", "NADE training step", "Sampling: 100 samples"):
        assert title in out
    assert "| 8 | 16 | 4 |" in out  # d, n, B of the one forward row
    assert "| NADE (d=32) | 8 |" in out and "| MADE (256) | 8 |" in out
