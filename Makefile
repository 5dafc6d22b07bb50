# learningcity: the two commands of the README are `make report` and `make test`.
# Each sets up .venv (package installed editable + a Jupyter kernel) the first
# time, and reuses it afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The main job, for the current year in today's units: city reports for the cities Yên Bái
# and Nghĩa Lộ (sets of wards, data/units/cities.csv) and the overview of their province,
# Lào Cai (Yên Bái province went into it on 1 July 2025), in Vietnamese, into
# reports/YYYY-MM-DD/.
UNITS    ?= "Yên Bái" "Nghĩa Lộ"
PROVINCE ?= "Tỉnh Lào Cai"
YEAR     ?= $(shell date +%Y)
LANG_    ?= vi
JOBS     ?= 2

.PHONY: help setup report test lint lab bench messages clean

help:
	@echo "make report   run the main job: dated reports under reports/"
	@echo "make test     run the test suite"
	@echo "make lab      open JupyterLab on notebooks/ with the project's kernel"
	@echo "make lint     ruff check and format check"
	@echo "make bench    run the benchmarks"
	@echo "make messages extract report text into the catalogs a translator edits"
	@echo "make clean    remove .venv and caches (reports/ is kept)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "learningcity needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name learningcity --display-name "Python (learningcity)"
	@touch $(STAMP)

setup: $(STAMP)

report: $(STAMP)
	$(BIN)/learningcity report $(UNITS) --year $(YEAR) --lang $(LANG_) --jobs $(JOBS)
	$(BIN)/learningcity report $(PROVINCE) --template overview --year $(YEAR) --lang $(LANG_)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# JupyterLab refuses to run as root (as in many containers) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Report text: the code's English messages -> learningcity.pot -> each language's .po
# (see learningcity.i18n). Locations are left out so the catalogs change only with the text.
LOCALE := src/learningcity/i18n/locale

messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --add-comments=TRANSLATORS: \
		--project=learningcity --version=1 --copyright-holder="learningcity developers" \
		--msgid-bugs-address="" -o $(LOCALE)/learningcity.pot .
	$(BIN)/pybabel update -i $(LOCALE)/learningcity.pot -d $(LOCALE) -D learningcity

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .benchmarks
