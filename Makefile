# xaibook: `make book` builds the book, `make test` runs the tests.
# Both set up the pinned environment in .venv first if needed.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
# Use the dataset mirror beside the project when there is one (CI and offline
# machines); otherwise the loader downloads from the canonical locations.
XAIBOOK_DATA_MIRROR ?= $(if $(wildcard ../shared/datasets/SHA256SUMS),$(abspath ../shared/datasets))
export XAIBOOK_DATA_MIRROR
export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: setup data book test slides check-site check-binder check-slides bench clean-book clean

$(BIN)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; the pinned environment needs Python 3.11 (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/.installed

data: setup  ## fetch and verify every dataset (cache: ~/.cache/xaibook)
	$(BIN)/xaibook data fetch

book: data  ## execute the chapters and build the HTML site in _build/html
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/xaibook notebooks --site _build/html
	$(BIN)/xaibook slides talk --out _build/html/_slides  # the talk decks the intro links to

slides: setup  ## the talk (es, en) and every chapter as offline reveal.js decks in _build/slides (after make book)
	$(BIN)/xaibook slides
	if [ -d _build/html ]; then rm -rf _build/html/slides && cp -r _build/slides _build/html/slides; fi

check-site:  ## browser test of the built site, network off (after make book)
	scripts/check_site.sh _build/html -- --strict

check-binder: setup  ## run binder/postBuild in a fresh venv, execute chapters as notebooks
	bash scripts/check_binder.sh

check-slides: setup  ## build decks, print one, open them in headless Chromium offline
	bash scripts/check_slides.sh

bench: setup  ## build benchmark: prints the README's table
	$(BIN)/python benchmarks/build_benchmark.py

test: setup  ## the test suite (needs the datasets for tests marked slow)
	$(BIN)/python -m pytest -p no:cacheprovider

clean-book:
	rm -rf _build/html _build/.doctrees _build/jupyter_execute

clean: clean-book
	rm -rf _build
