"""Vietnamese words for whole VND amounts ("Bằng chữ: ..." on payrolls and receipts).

Conventions (northern usage, as in Hải Phòng documents and accounting software):

* groups of three digits named ``nghìn``, ``triệu``, ``tỷ``; above a thousand billion the
  group names repeat (``một nghìn tỷ``);
* a group that follows a higher non-zero group is read in full: ``không trăm`` for a missing
  hundreds digit and ``linh`` for a missing tens digit (114 025 → "... nghìn không trăm hai
  mươi lăm"; 2 105 000 → "... một trăm linh năm nghìn"); all-zero groups are skipped;
* ``mốt`` for a units 1 after a tens digit of 2–9 (21 → "hai mươi mốt"), ``một`` otherwise
  (11, 101);
* ``lăm`` for a units 5 after any tens digit (15, 25), ``năm`` otherwise (5, 105 "linh năm");
* units 4 is always ``bốn`` [decision]: "tư" (24 → "hai mươi tư") is also correct but is a
  regional/spoken variant; ``bốn`` is unambiguous and is what the Ministry of Finance forms'
  examples and common accounting software print;
* ``mười`` for a tens digit 1, ``X mươi`` for 2–9;
* the text starts with a capital letter and ends with ``đồng``; zero is "Không đồng".
"""

from __future__ import annotations

import operator

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUP_NAMES = ("", "nghìn", "triệu")  # the fourth group is "tỷ", handled by recursion
_BILLION = 1_000_000_000


def _read_triple(n: int, *, full: bool) -> list[str]:
    """Words for 0 < n < 1000. ``full`` = a higher group precedes (say "không trăm", "linh")."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
        return words
    words += ["mười"] if tens == 1 else [_DIGITS[tens], "mươi"]
    if units == 1:
        words.append("mốt" if tens >= 2 else "một")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _read_below_billion(n: int, *, full: bool) -> list[str]:
    """Words for 0 < n < 10^9; ``full`` as in :func:`_read_triple`."""
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            continue
        words += _read_triple(g, full=full or bool(words))
        if _GROUP_NAMES[index]:
            words.append(_GROUP_NAMES[index])
    return words


def _read(n: int, *, full: bool = False) -> list[str]:
    """Words for n > 0 of any size (recursion on "tỷ")."""
    high, low = divmod(n, _BILLION)
    words: list[str] = []
    if high:
        words += _read(high, full=full) + ["tỷ"]
    if low:
        words += _read_below_billion(low, full=full or bool(high))
    return words


def amount_in_words(n: int) -> str:
    """Vietnamese words for a whole, non-negative VND amount, e.g. 1_250_000 →
    "Một triệu hai trăm năm mươi nghìn đồng" (the "Số tiền bằng chữ" line of a payroll)."""
    if isinstance(n, bool):
        raise TypeError("amount_in_words expects an int amount, not a bool")
    try:
        n = operator.index(n)  # int and numpy integers; floats are refused (money is whole VND)
    except TypeError:
        raise TypeError(f"amount_in_words expects a whole VND int, got {type(n).__name__}") from None
    if n < 0:
        raise ValueError("amount_in_words expects a non-negative amount")
    words = _read(n) if n else ["không"]
    text = " ".join(words + ["đồng"])
    return text[0].upper() + text[1:]
