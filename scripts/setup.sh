#!/usr/bin/env bash
# Idempotent setup of a fresh Debian/Ubuntu machine (also CI): the system tools the
# "real spreadsheet application" tests need (LibreOffice headless, python3-uno,
# poppler, fonts), a Python 3.11 venv in .venv, and this project installed editable
# with its test extras. Safe to run again: every step is skipped when already done.
# Works without stdin and with CI=true.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        log "need root (or sudo) to run: $*"
        return 1
    fi
}

# --- system packages --------------------------------------------------------
APT_PACKAGES=(libreoffice-calc-nogui python3-uno poppler-utils fonts-dejavu-core fonts-liberation)
missing=0
command -v soffice >/dev/null 2>&1 || missing=1
command -v pdftoppm >/dev/null 2>&1 || missing=1
command -v pdftotext >/dev/null 2>&1 || missing=1
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 || missing=1

PY="$(command -v python3.11 || command -v python3 || true)"
need_venv_pkg=0
if [ ! -x .venv/bin/python ]; then
    if [ -z "$PY" ] || ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        need_venv_pkg=1
    fi
fi

if [ "$missing" -eq 1 ] || [ "$need_venv_pkg" -eq 1 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        log "apt-get not found: install ${APT_PACKAGES[*]} (or equivalents) by hand"
        exit 1
    fi
    pkgs=("${APT_PACKAGES[@]}")
    [ "$need_venv_pkg" -eq 1 ] && pkgs+=(python3 python3-venv)
    log "installing ${pkgs[*]}"
    as_root apt-get update -qq </dev/null
    as_root apt-get install -y -qq "${pkgs[@]}" </dev/null
    PY="$(command -v python3.11 || command -v python3)"
else
    log "system packages present"
fi

# --- virtual environment ------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        log "Python >= 3.11 needed, found $("$PY" --version 2>&1)"; exit 1; }
    log "creating .venv with $("$PY" --version 2>&1)"
    "$PY" -m venv .venv
fi

# --- project, editable, with test extras -------------------------------------
# Reinstall only when pyproject.toml changed or the packages are not importable.
stamp=.venv/.hp-setup-stamp
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] \
    || ! .venv/bin/python -c 'import xl_support, udfs, macros, pytest' >/dev/null 2>&1; then
    log "pip install -e .[test]"
    .venv/bin/python -m pip install -q -e '.[test]' </dev/null
    echo "$want" > "$stamp"
else
    log "project already installed"
fi
