#!/usr/bin/env bash
# The test command (README and CI): from a clean checkout, make the venv,
# install the project with its test tools, lint, and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
.venv/bin/pytest -q "$@"
