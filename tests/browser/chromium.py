"""What both halves of `make browser-test` share: Debian's chromium with the offline flags, and
the folder the screenshots go to."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "browser-test-output"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]  # fmt: skip
sys.path.insert(0, str(ROOT / "tests"))  # build_site, build_slides
