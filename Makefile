# Two commands for a new user on Debian: `make demo` and `make test`. Both install what is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd fonts-freefont-ttf fonts-noto-mono
# Models of the real typewritten test and benchmark pages (Czech, Danish, German), and French and Russian,
# which Vietnamese archives also hold (--lang takes any installed model)
OCR_LANG_PACKAGES := tesseract-ocr-ces tesseract-ocr-dan tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-rus
# Debian's Chromium drives the review page's browser tests (Playwright, no browser download);
# qpdf and poppler-utils (pdftoppm) check the exported searchable PDFs
TEST_APT_PACKAGES := chromium qpdf poppler-utils $(OCR_LANG_PACKAGES)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system test-system demo test lint bench samples clean-demo

setup: system $(VENV)/.installed

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

test-system:
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	$(VENV)/bin/archive-ingest server prepare  # Prefect's database migrated once: a fast first command
	touch $@

demo: setup
	$(VENV)/bin/archive-ingest ingest --manifest examples/manifest.csv
	$(VENV)/bin/archive-ingest status

# Lint (ruff: rules and import order), types (mypy) and the import layers (import-linter), over the code
lint: setup
	$(VENV)/bin/ruff check flows ingest qa storage
	$(VENV)/bin/mypy flows ingest qa storage
	$(VENV)/bin/lint-imports

test: setup test-system
	$(VENV)/bin/pytest -q

bench: setup
	@missing=""; for p in unpaper ghostscript $(OCR_LANG_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi
	# OCRmyPDF, the baseline, lives in its own virtualenv: it pins pdfminer/pikepdf versions of its own
	[ -x .venv-ocrmypdf/bin/ocrmypdf ] || (python3 -m venv .venv-ocrmypdf && .venv-ocrmypdf/bin/pip install -q ocrmypdf)
	$(PY) -m bench.samples
	$(PY) -m bench.real_bench
	$(PY) -m bench.ocr_bench
	$(PY) -m bench.align_bench
	$(PY) -m bench.flags_bench
	$(PY) -m bench.scale

samples: setup
	$(VENV)/bin/pip install -q -e '.[samples]'
	$(PY) examples/make_samples.py

clean-demo:
	rm -rf archive.db archive.db-wal archive.db-shm archive-files
