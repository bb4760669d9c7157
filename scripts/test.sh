#!/usr/bin/env bash
# The README's test command: set up .venv, then lint, type-check, build the manual strictly
# (into a temporary directory) and run the whole test suite.
# Extra arguments go to pytest (e.g. ./scripts/test.sh -k writer).
set -euo pipefail
cd "$(dirname "$0")/.."
HUT_AVAILABILITY_NO_DOTENV=1 ./scripts/bootstrap.sh  # the tests need no ./.env (nor the real home's server)
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy hut_availability_pipeline
site_dir=$(mktemp -d)
trap 'rm -rf "$site_dir"' EXIT
# not --quiet: with it, mkdocs 1.6 does not count warnings and --strict passes anything
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir "$site_dir"
set +e
.venv/bin/pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
