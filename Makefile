# Rammeaftale: the two commands are `make run` and `make test` (see README).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench security sbom screenshots clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/rammeaftale demo
	$(BIN)/rammeaftale serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

screenshots: $(STAMP)
	RAMMEAFTALE_UPDATE_SCREENSHOTS=1 RAMMEAFTALE_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/e2e/test_browser_cycle.py tests/e2e/test_browser_account.py tests/e2e/test_browser_accounts.py tests/e2e/test_browser_billing.py tests/e2e/test_browser_financing.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The long security runs (schemathesis 1000 cases per operation and role, hostile corpus, tenancy matrix,
# concurrency, CPR scan) and their figures in bench/security.json; see docs/security.md.
security: $(STAMP)
	$(BIN)/python benchmarks/security.py

# CycloneDX 1.5 SBOM of the installed runtime dependencies, from local metadata (downloads nothing);
# see docs/operations.md, "Dependencies and vulnerabilities".
sbom: $(STAMP)
	$(BIN)/python tools/sbom.py bench/sbom.cdx.json

clean:
	rm -rf $(VENV) var bench/results.json
