#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install the project (with test and manual tools) into it.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "bootstrap: need Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python=$(find_python)
  echo "bootstrap: creating .venv with $($python --version)" >&2
  "$python" -m venv .venv
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing the project and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test,docs]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# ./.env for Dagster's own commands (dagster dev, dg dev, dg check defs, dagster definitions validate,
# dagster job launch), which load it from the project root: DAGSTER_HOME, DAGSTER_POSTGRES_URL and
# DAGSTER_EVENT_BATCH_SIZE of the embedded default home, the environment `hut-availability dev`
# starts Dagster with (starts the embedded server).
# Not in CI, not for scripts/test.sh (HUT_AVAILABILITY_NO_DOTENV), and not when a home or database of
# its own is configured.
if [ ! -f .env ] && [ -z "${CI:-}${HUT_AVAILABILITY_NO_DOTENV:-}" ] &&
   [ -z "${HUT_AVAILABILITY_HOME:-}${DATABASE_URL:-}${DAGSTER_HOME:-}${DAGSTER_POSTGRES_URL:-}" ]; then
  .venv/bin/hut-availability deploy env --write >&2 || echo "bootstrap: could not write .env (see above)" >&2
fi
