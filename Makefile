# Two commands a user needs (each sets itself up on a fresh clone):
#   make demo   - build the demo data (DVC) and run the whole study at demo scale
#   make test   - run the test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
SETUP  := $(VENV)/.asym-installed
CORES  ?= 2
export HF_HUB_OFFLINE := 1
export PYTHONUNBUFFERED := 1
# DVC stages and Snakemake jobs call `python`: make it the project's interpreter.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: demo test data setup clean-results

# A `make demo` killed midway leaves Snakemake's lock behind: it is released when no Snakemake
# runs here any more (asym/tools/unlock.py), and the profile's rerun-incomplete redoes the
# jobs that were cut off. So after a kill, `make demo` again simply completes.
demo: data
	python -m asym.tools.unlock --profile workflow/profiles/local
	snakemake --profile workflow/profiles/local --cores $(CORES)
	@echo "Report: report/build/report.html   Claims: results/analysis/claims.csv"

test: $(SETUP)
	python -m pytest -q

# Raw photographs: from the DVC remote when one is configured, else copied from the
# installed packages (same bytes, same hashes as data.dvc records); then `dvc repro`
# prepares the demo set. The pretrained demo generator (stage pretrain_demo) is versioned
# in git and not retrained here: a note says when its code, data or recipe changed since.
data: $(SETUP)
	@if [ -n "$$(dvc remote list)" ] && dvc pull data.dvc; then :; else \
	  echo "data/raw: copying the reference photographs from the installed packages"; \
	  python -m asym.data.collect --out data/raw && dvc commit -f -q data.dvc; fi
	@git diff --quiet -- data.dvc 2>/dev/null || echo "note: data/raw differs from the photographs data.dvc records (other package versions?)"
	dvc repro prepare_demo
	@if dvc status pretrain_demo | grep -q changed; then echo "note: the pretrained demo generator \
	(data/pretrained) predates changes to its code, data or recipe; \`dvc repro pretrain_demo\` \
	regenerates and checks it (minutes)"; fi

setup: $(SETUP)

$(SETUP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

clean-results:
	rm -rf results report/build .snakemake
