#!/usr/bin/env bash
# Set the machine up if needed, then run the main job on the shipped sample data:
# a filled sample ward workbook, validated, computed, summarised, exported, and a few
# sample wards consolidated, all written to demo-output/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m xl_support demo "$@" </dev/null
