"""Text normalisation shared by header matching, code parsing and duplicate detection."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case ASCII fold of Vietnamese text: diacritics dropped, `đ` → `d`."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


@lru_cache(maxsize=1 << 12)
def header_key(text: str) -> str:
    """Key for matching a header: folded, punctuation collapsed to single spaces."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


def name_key(name: str) -> str:
    """domain.md R11 — names compared without case, diacritics or extra spaces (warning only)."""
    return " ".join(fold(name).split())


def id_key(value: object) -> str | None:
    """Personal ID as its digits (a 12-digit ID typed as a number loses leading zeros)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = re.sub(r"\D", "", str(value))
    if not digits:
        return None
    return digits.zfill(12) if len(digits) < 12 and isinstance(value, int) else digits


def natural_key(text: str) -> tuple:
    """'Tổ dân phố 2' before 'Tổ dân phố 10'; case and diacritics folded."""
    parts = re.split(r"(\d+)", fold(text or ""))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p != "")
