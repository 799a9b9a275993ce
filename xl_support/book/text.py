"""Text normalisation shared by header matching, code parsing and duplicate detection."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from xl_support.book.lazy_re import Pattern

_NON_ALNUM = Pattern(r"[^0-9a-z]+")
_UNICODE_DIGIT = Pattern(r"\d")


def nfkc(value):
    """issue 12 — text as one form before any parsing: full-width and other compatibility forms
    become plain (`０１２` → `012`), decomposed Vietnamese (Unikey "tổ hợp") becomes precomposed.
    Other values are returned unchanged; ASCII text is already in this form."""
    if value.__class__ is str and not value.isascii():
        return unicodedata.normalize("NFKC", value)
    return value


def nfkc_cells(values: list) -> list:
    """`nfkc` over a column of cell values; the list itself when nothing would change (one
    check over the whole column: the usual column is already in this form)."""
    try:
        joined = "\x00".join(values)          # a column of texts: no pass in Python
    except TypeError:
        try:
            joined = "\x00".join(filter(None, values))     # texts and None (or other empty values)
        except TypeError:
            joined = "\x00".join([v for v in values if v.__class__ is str])
    if joined.isascii() or unicodedata.is_normalized("NFKC", joined):
        return values
    return [nfkc(v) for v in values]


def ascii_digits(text: str) -> str:
    """Any Unicode decimal digit (Arabic-Indic, Devanagari, …) as its ASCII digit."""
    return _UNICODE_DIGIT.sub(lambda m: str(unicodedata.decimal(m[0])), text)


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case ASCII fold of Vietnamese text: diacritics dropped, `đ` → `d`."""
    text = unicodedata.normalize("NFKD", str(text)).replace("đ", "d").replace("Đ", "D")
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
    digits = re.sub(r"[^0-9]", "", ascii_digits(nfkc(str(value))))
    if not digits:
        return None
    return digits.zfill(12) if len(digits) < 12 and isinstance(value, int) else digits


def natural_key(text: str) -> tuple:
    """'Tổ dân phố 2' before 'Tổ dân phố 10'; case and diacritics folded."""
    parts = re.split(r"([0-9]+)", ascii_digits(fold(text or "")))
    # a run of digits compares by its value without int() (a 5,000-digit "number" is still a key)
    return tuple((0, len(p.lstrip("0")), p.lstrip("0")) if p.isdigit() else (1, p) for p in parts if p != "")
