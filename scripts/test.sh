#!/usr/bin/env bash
# Set the machine up if needed (scripts/setup.sh), then run the tests.
# Arguments go to pytest, e.g. scripts/test.sh -k harness -x
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@" </dev/null
