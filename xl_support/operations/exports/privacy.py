"""Free text on a list others will see (public list, payroll signed by every recipient):
issue 12 / domain.md §4 "Sensitive data", by construction.

* `scrub` — ID-like digit runs are masked (9+ digits once spaces, dots and dashes are removed,
  and any 5+ digits in a row; any Unicode digits), `dd/mm/yyyy` dates are reduced to `mm/yyyy`.
* `mentions_sensitive` — a sensitive word is found whatever the form: precomposed or decomposed
  (Unikey "tổ hợp"), full-width, upper case, with dots or spaces between letters (`H.I.V`,
  `H I V`); text typed without any diacritics is compared without diacritics.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache

from xl_support.book.fileio import UserFacingError
from xl_support.book.text import ascii_digits, fold, nfkc

_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})\s*[/.\-]\s*([0-9]{1,2})\s*[/.\-]\s*([0-9]{4})(?![0-9])")
_DIGIT_RUN = re.compile(r"[0-9](?:[\s.\-]*[0-9]){8,}|[0-9]{5,}")
_TOKEN = re.compile(r"\w+")
_NOT_ALNUM = re.compile(r"[^a-z0-9\x00]+")
_SEPARATOR = re.compile("\x00")


class SensitiveText(UserFacingError):
    """A public cell would reveal a protected group: a data error, the export is refused (exit 1)."""

    exit_status = 1


def scrub(text):
    """Dates → month/year, then 9+ digit runs (separators ignored) and 5+ digits → '*' per digit.
    A value that is not text is returned unchanged."""
    if not isinstance(text, str):
        return text
    text = ascii_digits(nfkc(text))
    text = _DATE.sub(lambda m: f"{int(m[2]):02d}/{m[3]}", text)
    return _DIGIT_RUN.sub(lambda m: re.sub(r"[0-9]", "*", m[0]), text)


def _has_marks(text: str) -> bool:
    return any(unicodedata.category(c) == "Mn" for c in unicodedata.normalize("NFKD", text)) or "đ" in text.lower()


def tokens(text: str, plain: bool) -> list[str]:
    """Word tokens (lower case; without diacritics when `plain`); runs of single letters are
    joined (`H.I.V` → `hiv`)."""
    text = nfkc(str(text)).lower()
    words = _TOKEN.findall(fold(text) if plain else unicodedata.normalize("NFC", text))
    out: list[str] = []
    run = ""
    for w in words:
        if len(w) == 1 and w.isalpha():
            run += w
            continue
        if run:
            out.append(run)
            run = ""
        out.append(w)
    if run:
        out.append(run)
    return out


def mentions_sensitive(text: str, terms: list[str]) -> str | None:
    """The first sensitive term found in `text` as whole words, else None."""
    if not text:
        return None
    plain = not _has_marks(str(text))
    have = tokens(text, plain)
    joined = " " + " ".join(have) + " "
    for term in terms:
        want = _term_words(term, plain)
        if want and want in joined:
            return term
    return None


def _squeezed(text: str) -> str:
    """Letters and digits only, folded to lower-case ASCII (`H.I.V` → `hiv`, `Khuyết tật` →
    `khuyettat`), and the separators `\x00` kept; any other character is dropped."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return _NOT_ALNUM.sub("", text.encode("ascii", "ignore").decode().lower())


@lru_cache(maxsize=64)
def _squeezed_terms(terms: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in map(_squeezed, terms) if w)


def may_mention(texts: list, terms) -> set[int]:
    """Positions of the texts that may mention a sensitive term, all looked at in one pass in C
    (a list of 100,000 names, issue 18: exports ≤ 5 × a read). A term's letters in a row are in
    any text `mentions_sensitive` finds it in, so a text not given cannot mention one; those
    given are to be looked at by `mentions_sensitive` (`Hiệp` holds `hiep`: most are not)."""
    joined = _squeezed("\x00".join("" if t is None else str(t).replace("\x00", "") for t in texts))
    ends = [m.start() for m in _SEPARATOR.finditer(joined)]
    out: set[int] = set()
    for want in _squeezed_terms(tuple(terms)):
        at = joined.find(want)
        while at >= 0:
            out.add(bisect_right(ends, at))
            at = joined.find(want, at + 1)
    return out


@lru_cache(maxsize=512)
def _term_words(term: str, plain: bool) -> str:
    """A term's tokens as ` w1 w2 ` (each term is looked for in every cell of a list: made once)."""
    want = tokens(term, plain)
    return f" {' '.join(want)} " if want else ""
