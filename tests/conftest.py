"""Test-wide setup: xlwings' remote engine (tests only) needs its licence key before import."""
import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
