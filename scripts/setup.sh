#!/usr/bin/env bash
# Test setup of a fresh Debian/Ubuntu machine (also CI): the system tools the "real spreadsheet
# application" tests and build-bundle need (LibreOffice headless, python3-uno, poppler, fonts),
# then .venv with the project and its test extras (scripts/venv.sh). The demo needs none of the
# system tools (scripts/demo.sh). Idempotent; works without stdin and with CI=true. One line per
# step; apt's own output goes to a log file, shown only when a step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
log() { printf 'setup: %s\n' "$*" >&2; }
APT_LOG="${TMPDIR:-/tmp}/hp-support-apt.log"

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

quietly() {   # quietly "what" command…: one line, the command's output in $APT_LOG
    local what="$1"; shift
    log "$what"
    if ! "$@" </dev/null >>"$APT_LOG" 2>&1; then
        tail -n 30 "$APT_LOG" >&2
        log "failed: $what (full log: $APT_LOG)"
        exit 1
    fi
}

# --- system packages (tests only) ---------------------------------------------
APT_PACKAGES=(libreoffice-calc-nogui python3-uno poppler-utils fonts-dejavu-core fonts-liberation)
missing=0
command -v soffice >/dev/null 2>&1 || missing=1
command -v pdftoppm >/dev/null 2>&1 || missing=1
command -v pdftotext >/dev/null 2>&1 || missing=1
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 || missing=1
# A Python >= 3.11 that can make a venv (Debian: python3-venv), unless .venv exists already.
if [ ! -x .venv/bin/python ] && ! { command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }; then
    missing=1; APT_PACKAGES+=(python3 python3-venv)
fi

if [ "$missing" -eq 1 ]; then
    command -v apt-get >/dev/null 2>&1 || {
        log "apt-get not found: install ${APT_PACKAGES[*]} (or equivalents) by hand"; exit 1; }
    : >"$APT_LOG"
    quietly "apt-get update" as_root apt-get update -qq
    quietly "installing ${APT_PACKAGES[*]} (a few minutes the first time)" \
        as_root apt-get install -y -qq "${APT_PACKAGES[@]}"
    log "system packages installed"
else
    log "system packages present"
fi

# --- Python environment with the test extras --------------------------------------
bash scripts/venv.sh test
