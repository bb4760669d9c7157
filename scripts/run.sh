#!/usr/bin/env bash
# The README's run command: set up .venv, then run Dagster (webserver + daemon) on 127.0.0.1 with
# the embedded PostgreSQL. Arguments go to `hut-availability dev` (e.g. --simulator, --port 3001).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/hut-availability dev "$@"
