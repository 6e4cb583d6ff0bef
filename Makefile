# The two commands of the README: `make demo` and `make test`. Both set everything up first.
.PHONY: setup demo demo-headless test bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@.venv/bin/comptoir demo

demo-headless: setup
	@.venv/bin/comptoir demo --headless --out var/demo --sales 5

test: setup
	@.venv/bin/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	@.venv/bin/python -m bench

clean:
	rm -rf var .pytest_cache bench/results.json
