#!/usr/bin/env bash
# Make docs/lineage.png: the asset lineage of the running pipeline, taken with headless Chromium
# (Debian: apt-get install -y chromium). Starts the README's run command offline
# (`hut-availability dev --simulator`) on a free port with a temporary HUT_AVAILABILITY_HOME, lets
# the priority sensor load the catalog, runs the data checks and the trends once, takes the
# screenshot and stops everything again.   Usage: scripts/screenshot_lineage.sh [output.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-docs/lineage.png}")
chromium=$(command -v chromium || command -v chromium-browser) || {
  echo "screenshot_lineage: needs chromium (Debian: apt-get install -y chromium)" >&2
  exit 2
}
work=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

HUT_AVAILABILITY_HOME="$work/home" .venv/bin/hut-availability dev --simulator --port "$port" >"$work/dev.log" 2>&1 &
dev=$!
cleanup() {
  kill -TERM "$dev" 2>/dev/null || true
  wait "$dev" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

.venv/bin/python scripts/ui_smoke.py --port "$port" \
  --launch hut_availability_checks_job --launch hut_availability_trends_job || {
  tail -n 40 "$work/dev.log" >&2
  exit 1
}

# The page needs a few seconds of (virtual) time to load the graph and lay it out.
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/chromium" --window-size=1600,900 --hide-scrollbars \
  --virtual-time-budget=15000 --screenshot="$out" \
  "http://127.0.0.1:$port/locations/hut_availability_pipeline/asset-groups/availability" 2>/dev/null
echo "screenshot_lineage: wrote $out"
