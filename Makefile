# armini: two commands for a new user, `make lab` and `make test`.
# Everything lives in .venv, built from requirements.txt; nothing is installed by hand.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.armini-installed

# JupyterLab settings: `make lab HOST=0.0.0.0 PORT=9000 BROWSER=no TOKEN=secret`
# (LAB_DIR: the folder JupyterLab opens; the browser test points it at a copy of the notebooks)
LAB_DIR ?= notebooks
HOST    ?= 127.0.0.1
PORT    ?= 8888
BROWSER ?= yes
TOKEN   ?=

# Tests and notebooks run in parallel, one process per core, each notebook or test file whole
# in one process (`make test JOBS=1` runs them one after the other).
JOBS ?= auto
# The stored notebook outputs were made on the CPU; nbval compares against them there.
NBVAL_DEVICE ?= cpu
# The models are small: one thread per process is as fast on 2 cores and never oversubscribes.
export OMP_NUM_THREADS ?= 1
# On x86-64, PyTorch, MKL and oneDNN pick AVX2 or AVX-512 kernels by CPU, and the two round
# differently; a long training run amplifies that into other printed NLLs. Pinning them to AVX2
# (which every x86-64 CPU of the last decade has) makes the stored notebook outputs reproduce
# on any such machine.
ifeq ($(shell uname -m),x86_64)
export ATEN_CPU_CAPABILITY ?= avx2
export MKL_CBWR ?= AVX2
export ONEDNN_MAX_CPU_ISA ?= AVX2
endif

.PHONY: setup lab test lint unit nbval notebooks site slides browser-test format benchmark leaderboard clean

# JupyterLab defaults that the course needs, for every JupyterLab this .venv runs (`make lab`,
# the browser test): widget messages go to the kernel's main shell, not to a subshell thread,
# where a widget's matplotlib redraw races the main thread and can come out blank
# (jupyterlab/jupyterlab#19719).
OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/armini.json

setup: $(STAMP) $(OVERRIDES)

$(OVERRIDES): jupyter/overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp jupyter/overrides.json $@

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "armini needs Python 3.11 or newer, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab --notebook-dir=$(LAB_DIR) --ServerApp.ip=$(HOST) --ServerApp.port=$(PORT) \
		$(if $(filter no,$(BROWSER)),--no-browser,) $(if $(TOKEN),--IdentityProvider.token=$(TOKEN),) \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

test: setup lint unit nbval

lint: setup
	$(BIN)/ruff check armini tests notebooks benchmarks
	$(BIN)/ruff format --check armini tests notebooks benchmarks

unit: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests --ignore=tests/browser

nbval: setup
	ARMINI_DEVICE=$(NBVAL_DEVICE) $(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval notebooks \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

notebooks: setup
	ARMINI_DEVICE=$(NBVAL_DEVICE) $(BIN)/python tests/execute_notebooks.py notebooks/*.ipynb notebooks/solutions/*.ipynb

# The static course site: every notebook, its solutions and the glossary as HTML, with an index,
# navigation and a local MathJax; open site/index.html, no network needed.
site: setup
	$(BIN)/python tests/build_site.py --out site

# Lecture slides: every notebook as a reveal.js slide show in slides/, from its executed outputs;
# reveal.js, require.js and jQuery are vendored (vendor/), so the slides show with no network.
slides: setup
	$(BIN)/python tests/build_slides.py --out slides

# Real-browser checks, offline, in headless Chromium: the site and the slides render their math
# and figures and fetch nothing. Needs Debian's chromium (`apt install chromium`); Playwright is
# installed into .venv on first use (requirements-browser.txt). Screenshots: browser-test-output/.
browser-test: setup
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ echo "make browser-test needs Chromium: apt install chromium"; exit 1; }
	@$(BIN)/python -c "import playwright" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet -r requirements-browser.txt
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

# Re-run the benchmarks and record their tables (benchmarks/*.md, *.json); minutes, not seconds.
benchmark: setup
	$(BIN)/python benchmarks/models.py --save
	$(BIN)/python benchmarks/speed.py --save

# The leaderboard of notebook 09: every model, one protocol, three seeds (~1 h 40 min on one core).
leaderboard: setup
	$(BIN)/python -m armini.benchmark --data digits --save
	$(BIN)/python -m armini.benchmark --data mnist --save

format: setup
	$(BIN)/ruff format armini tests notebooks benchmarks
	$(BIN)/ruff check --fix armini tests notebooks benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache armini.egg-info site slides browser-test-output
