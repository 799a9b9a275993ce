#!/usr/bin/env bash
# The project's Python environment, needing only Python 3.11+ (no root, no apt): .venv with the
# project installed editable, plus the extras named in $1 (e.g. `test`). Safe to run again: skipped
# when pyproject.toml/setup.py and the extras are unchanged. Used by scripts/demo.sh (no extras)
# and scripts/setup.sh (test extras). One line per step; pip's output goes to .venv/setup.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

EXTRAS="${1:-}"
log() { printf 'setup: %s\n' "$*" >&2; }

find_python() {
    for c in "${PYTHON:-}" python3.13 python3.12 python3.11 python3 python; do
        [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
        if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            command -v "$c"; return 0
        fi
    done
    return 1
}

if [ ! -x .venv/bin/python ]; then
    PY="$(find_python)" || { log "Python 3.11 or later is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
    log "creating .venv with $("$PY" --version 2>&1)"
    if ! "$PY" -m venv .venv >/dev/null 2>&1; then
        # Debian without python3-venv has no ensurepip: a venv without pip, filled by the system's pip.
        rm -rf .venv
        "$PY" -m venv --without-pip .venv
    fi
fi
PIP=(.venv/bin/python -m pip)
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    PY="$(find_python)" || { log "Python 3.11 or later is needed"; exit 1; }
    "$PY" -m pip --version >/dev/null 2>&1 || {
        log "neither venv's pip (Debian package python3-venv) nor pip is available for $PY: install one"; exit 1; }
    PIP=("$PY" -m pip --python .venv/bin/python)
fi

# Byte-code compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI images), every command would
# otherwise compile our modules again at each start (design.md: start-up ≤ 0.3 s of imports).
compile_project() { .venv/bin/python -m compileall -q -j 0 xl_support udfs macros >/dev/null 2>&1 || true; }

stamp=.venv/.hp-setup-stamp
want="$(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1) ${EXTRAS}"
have="$(cat "$stamp" 2>/dev/null || true)"
# A stamp with the test extras also serves a run without extras.
if [ "$have" = "$want" ] || { [ -z "$EXTRAS" ] && [ "${have% *}" = "${want% *}" ]; }; then
    if .venv/bin/python -c 'import xl_support, udfs, macros' >/dev/null 2>&1; then
        compile_project
        log "project already installed in .venv"
        exit 0
    fi
fi
target="."
[ -n "$EXTRAS" ] && target=".[${EXTRAS}]"
# compat: the checkout on sys.path by a plain .pth line; the default editable finder is imported at
# every interpreter start (~25 ms of the 0.3 s start-up budget, design.md "Performance").
log "installing the project into .venv (pip install -e '${target}'; log: .venv/setup.log)"
if ! "${PIP[@]}" install -q -e "$target" --config-settings editable_mode=compat </dev/null >.venv/setup.log 2>&1; then
    tail -n 20 .venv/setup.log >&2
    log "pip install failed"
    exit 1
fi
echo "$want" > "$stamp"
compile_project
log "project installed"
