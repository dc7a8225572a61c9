#!/usr/bin/env bash
# The test command (README and CI): from a clean checkout, make the venv,
# install the project with its test tools, lint, and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
# The HTML review report is checked in headless Chromium (Debian's package).
if [[ "${CI:-}" == true && ! -x /usr/bin/chromium ]] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
    >/dev/null 2>&1 || echo "scripts/test.sh: could not install chromium; its test will skip" >&2
fi
# The query-log store's contract tests also run against a real PostgreSQL server.
if [[ "${CI:-}" == true || -n "${FACTS_WITH_POSTGRES:-}" ]]; then
  FACTS_TEST_POSTGRES_URL=$(bash scripts/postgres-for-tests.sh)
  export FACTS_TEST_POSTGRES_URL FACTS_TEST_POSTGRES_REQUIRED=1
fi
# pytest's closing line stays last (CI reads it); just above it, tests/conftest.py
# prints how many tests were skipped and why (e.g. no PostgreSQL, no Chromium).
.venv/bin/pytest -q "$@"
