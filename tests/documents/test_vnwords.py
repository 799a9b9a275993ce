"""Tests for xl_support.vnwords.amount_in_words (the "bằng chữ" line of payrolls)."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from xl_support.documents.vnwords import amount_in_words


@pytest.mark.parametrize(
    "n, words",
    [
        # the brief's examples
        (1_500_000, "Một triệu năm trăm nghìn đồng"),
        (2_105_000, "Hai triệu một trăm linh năm nghìn đồng"),
        (0, "Không đồng"),
        (21, "Hai mươi mốt đồng"),
        (15, "Mười lăm đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (114_025, "Một trăm mười bốn nghìn không trăm hai mươi lăm đồng"),
        # units
        (1, "Một đồng"),
        (4, "Bốn đồng"),
        (5, "Năm đồng"),
        (9, "Chín đồng"),
        # tens: mười / mươi, một vs mốt, năm vs lăm, bốn (not tư)
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (14, "Mười bốn đồng"),
        (20, "Hai mươi đồng"),
        (24, "Hai mươi bốn đồng"),
        (25, "Hai mươi lăm đồng"),
        (31, "Ba mươi mốt đồng"),
        (55, "Năm mươi lăm đồng"),
        (99, "Chín mươi chín đồng"),
        # hundreds and "linh"
        (100, "Một trăm đồng"),
        (101, "Một trăm linh một đồng"),
        (104, "Một trăm linh bốn đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (115, "Một trăm mười lăm đồng"),
        (121, "Một trăm hai mươi mốt đồng"),
        (500, "Năm trăm đồng"),
        # thousands: leading group short, following group full ("không trăm", "linh")
        (1_000, "Một nghìn đồng"),
        (1_001, "Một nghìn không trăm linh một đồng"),
        (1_010, "Một nghìn không trăm mười đồng"),
        (1_015, "Một nghìn không trăm mười lăm đồng"),
        (1_105, "Một nghìn một trăm linh năm đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        # millions, the amounts of NQ 55 / NQ 04
        (450_000, "Bốn trăm năm mươi nghìn đồng"),
        (750_000, "Bảy trăm năm mươi nghìn đồng"),
        (2_000_000, "Hai triệu đồng"),
        (2_800_000, "Hai triệu tám trăm nghìn đồng"),
        (1_150_000, "Một triệu một trăm năm mươi nghìn đồng"),
        (113_850, "Một trăm mười ba nghìn tám trăm năm mươi đồng"),
        # zero groups in the middle are skipped, the next group is read in full
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (1_000_050, "Một triệu không trăm năm mươi đồng"),
        (5_005_005, "Năm triệu không trăm linh năm nghìn không trăm linh năm đồng"),
        (10_000_000, "Mười triệu đồng"),
        (21_021_021, "Hai mươi mốt triệu không trăm hai mươi mốt nghìn không trăm hai mươi mốt đồng"),
        # billions
        (1_000_000_001, "Một tỷ không trăm linh một đồng"),
        (2_500_000_000, "Hai tỷ năm trăm triệu đồng"),
        (15_000_000_000, "Mười lăm tỷ đồng"),
        (
            123_456_789_012,
            "Một trăm hai mươi ba tỷ bốn trăm năm mươi sáu triệu bảy trăm tám mươi chín nghìn"
            " không trăm mười hai đồng",
        ),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
        (1_000_000_000_000_000_000, "Một tỷ tỷ đồng"),
        (1_500_000_000_000, "Một nghìn năm trăm tỷ đồng"),
        (1_000_005_000_000, "Một nghìn tỷ không trăm linh năm triệu đồng"),
    ],
)
def test_amount_in_words(n, words):
    assert amount_in_words(n) == words


def test_numpy_integers_are_accepted():
    assert amount_in_words(np.int64(2_340_000)) == "Hai triệu ba trăm bốn mươi nghìn đồng"


@pytest.mark.parametrize("bad", [1.5, 1_500_000.0, "1500000", None, True])
def test_non_int_is_refused(bad):
    with pytest.raises(TypeError):
        amount_in_words(bad)


def test_negative_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(-1)


_UNITS = {"một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "lăm": 5, "sáu": 6,
          "bảy": 7, "tám": 8, "chín": 9, "không": 0}


def _parse(text: str) -> int:
    """Independent reader of the words back into a number (checks round-trips)."""
    words = text.lower().split()
    assert words[-1] == "đồng"
    words = words[:-1]
    total, group, current = 0, 0, 0
    scale_stack = []  # value accumulated before each "tỷ"
    i = 0
    while i < len(words):
        w = words[i]
        if w in _UNITS:
            current = _UNITS[w]
        elif w == "mười":
            current = 10
            if i + 1 < len(words) and words[i + 1] in _UNITS and words[i + 1] not in ("không",):
                current += _UNITS[words[i + 1]]
                i += 1
        elif w == "mươi":
            current *= 10
            if i + 1 < len(words) and words[i + 1] in _UNITS and words[i + 1] != "không":
                current += _UNITS[words[i + 1]]
                i += 1
        elif w == "trăm":
            group += current * 100
            current = 0
        elif w == "linh":
            pass
        elif w == "nghìn":
            total += (group + current) * 1000
            group = current = 0
        elif w == "triệu":
            total += (group + current) * 1_000_000
            group = current = 0
        elif w == "tỷ":
            scale_stack.append(total + group + current)
            total = group = current = 0
        else:  # pragma: no cover - unexpected word fails the test
            raise AssertionError(f"unexpected word {w!r}")
        i += 1
    value = total + group + current
    for high in reversed(scale_stack):
        value += high * 1_000_000_000
        # nested "tỷ tỷ": each earlier element is multiplied once more
    return value


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_round_trip_and_form(n):
    text = amount_in_words(n)
    assert text[0].isupper() and text[1:] == text[1:].lower()
    assert text.endswith(" đồng") and "  " not in text
    assert "mươi một" not in text  # after 20..90 it is "mốt"
    assert "mười năm" not in text and "mươi năm" not in text  # after tens it is "lăm"
    assert " tư" not in text  # decision: "bốn"
    assert not text.lower().startswith(("không trăm", "linh"))
    assert _parse(text) == n
