#!/usr/bin/env bash
# Run the main job on the shipped sample data: four sample ward workbooks, the first validated,
# computed, summarised, exported, and the four consolidated, written to demo-output/ (a folder
# demo makes and marks; it refuses a folder it did not make). Needs only Python 3.11+: no root,
# no system packages (scripts/venv.sh makes .venv). Arguments go to the demo, e.g. --out-dir DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/venv.sh
exec .venv/bin/python -m xl_support demo "$@" </dev/null
