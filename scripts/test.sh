#!/usr/bin/env bash
# The README's test command: set up .venv, then lint, type-check and run the whole test suite.
# Extra arguments go to pytest (e.g. ./scripts/test.sh -k writer).
set -euo pipefail
cd "$(dirname "$0")/.."
HUT_AVAILABILITY_NO_DOTENV=1 ./scripts/bootstrap.sh  # the tests need no ./.env (nor the real home's server)
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy hut_availability_pipeline
set +e
.venv/bin/pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
