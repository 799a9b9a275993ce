"""domain.md R11 — highest single benefit: one person (same personal ID) is paid once, the highest."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np


def rank(benefit: np.ndarray, insurance: np.ndarray | None) -> np.ndarray:
    """R11 order of the rows of one person: the highest benefit; on equal amounts the row with
    health-insurance support (one card, not none); then the first row."""
    score = np.asarray(benefit).astype(np.int64) * 2
    return score if insurance is None else score + np.asarray(insurance, dtype=bool)


def factorize(keys: Sequence) -> np.ndarray:
    """Per row, the number of its key in order of first appearance; −1 where the key is None."""
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    codes = np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))
    if None in index:                   # no key: −1, and the keys after it move down one
        none = index[None]
        codes[codes == none] = -1
        codes[codes > none] -= 1
    return codes


def repeated(keys: Sequence) -> np.ndarray:
    """Rows whose key (not None) appears on another row too (one count of the keys in C)."""
    twice = {k for k, c in Counter(keys).items() if c > 1 and k is not None}
    if not twice:
        return np.zeros(len(keys), dtype=bool)
    return np.fromiter(map(twice.__contains__, keys), dtype=bool, count=len(keys))


#: `id_numbers`: a key of at most this many digits is one int64 (length × 10^17 + value < 2^63).
ID_NUMBER_DIGITS = 17
NO_ID, LONG_ID = -1, -2


def id_numbers(keys: Sequence[str | None]) -> np.ndarray:
    """Each ID key (a text of ASCII digits, `text.id_key`) as an int64 equal exactly when the keys
    are equal — its length × 10^17 + its value, so `012` and `12` differ; NO_ID where there is no
    key, LONG_ID for a key of more than 17 digits (compared as text by `repeated_ids`). The digits
    are read in C: the keys joined as bytes, one row of digits per key."""
    if isinstance(keys, np.ndarray):
        keys = keys.tolist()                            # a list iterates several times faster
    n = len(keys)
    out = np.full(n, NO_ID, dtype=np.int64)
    try:
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)     # TypeError: a key is None
        where, filled = None, keys
    except TypeError:
        where = np.flatnonzero(np.fromiter((k is not None for k in keys), dtype=bool, count=n))
        filled = [k for k in keys if k is not None]
        lengths = np.fromiter(map(len, filled), dtype=np.int64, count=len(filled))
    if not len(filled):
        return out
    text = "".join(filled)
    data = text.encode() if text.isascii() else b""
    if not data.isdigit() or lengths.min() < 1:        # not keys of `id_key`: one by one
        return np.fromiter((_id_number(k) for k in keys), dtype=np.int64, count=n)
    short = lengths <= ID_NUMBER_DIGITS
    width = int(lengths.max())
    if width == lengths.min():                          # the usual column: keys of one length
        digits = np.frombuffer(data, dtype=np.uint8).reshape(-1, width)
        values = (digits - 48).astype(np.int64) @ 10 ** np.arange(width - 1, -1, -1, dtype=np.int64) \
            if width <= ID_NUMBER_DIGITS else None
    else:                                               # keys left-aligned in 17 bytes, NUL-padded
        padded = np.array([k if len(k) <= ID_NUMBER_DIGITS else "" for k in filled], dtype=f"S{ID_NUMBER_DIGITS}")
        digits = padded.view(np.uint8).reshape(-1, ID_NUMBER_DIGITS).astype(np.int64)
        aligned = np.where(digits > 0, digits - 48, 0) @ 10 ** np.arange(ID_NUMBER_DIGITS - 1, -1, -1, dtype=np.int64)
        values = aligned // 10 ** np.maximum(ID_NUMBER_DIGITS - lengths, 0)
    numbers = (np.where(short, lengths * 10 ** ID_NUMBER_DIGITS + values, LONG_ID) if values is not None
               else np.full(len(filled), LONG_ID, dtype=np.int64))
    if where is None:
        return numbers
    out[where] = numbers
    return out


def _id_number(k: str | None) -> int:
    """`id_numbers` of one key."""
    scale = 10 ** ID_NUMBER_DIGITS
    return NO_ID if k is None else len(k) * scale + int(k) if len(k) <= ID_NUMBER_DIGITS else LONG_ID


def id_keys_of(numbers: np.ndarray, long_keys: Sequence[str | None]) -> np.ndarray:
    """`id_numbers` back to the ID keys (object array; None for NO_ID); a LONG_ID row's key is
    taken from `long_keys` (aligned with `numbers`)."""
    scale = 10 ** ID_NUMBER_DIGITS
    keys = [None if n == NO_ID else long if n == LONG_ID else str(n % scale).zfill(n // scale)
            for n, long in zip(np.asarray(numbers).tolist(), long_keys)]
    return np.fromiter(keys, dtype=object, count=len(keys))


def repeated_ids(numbers: np.ndarray, keys: Sequence[str | None]) -> np.ndarray:
    """`repeated(keys)` from the keys' `id_numbers` (an int64 sort, not one dict entry per row):
    the long keys, rare, are compared as texts."""
    out = np.zeros(len(numbers), dtype=bool)
    ordered = np.sort(numbers[numbers >= 0])
    twice = ordered[1:][ordered[1:] == ordered[:-1]]          # each repeated number, once or more, sorted
    if len(twice):
        at = np.minimum(np.searchsorted(twice, numbers), len(twice) - 1)
        out = twice[at] == numbers
    long = np.flatnonzero(numbers == LONG_ID)
    if len(long):
        out[long] = repeated([keys[i] for i in long])
    return out


def _repeated_codes(code: np.ndarray) -> np.ndarray:
    """`repeated` on the keys' `factorize` codes."""
    has = code >= 0
    counts = np.bincount(code[has]) if has.any() else np.zeros(0, np.int64)
    out = np.zeros(len(code), dtype=bool)
    out[has] = counts[code[has]] > 1
    return out


def kept_rows(keys: Sequence[str | None], benefit: np.ndarray, insurance: np.ndarray | None = None) -> np.ndarray:
    """For each row, the position of the row kept for its ID: the highest benefit, then the row
    with insurance support, then the first row (`rank`). Rows without an ID keep themselves."""
    code = factorize(keys)
    kept = np.arange(len(code))
    has = np.flatnonzero(code >= 0)
    if not len(has):
        return kept
    score = rank(benefit, insurance)[has]
    order = has[np.lexsort((has, -score, code[has]))]      # by ID, best first, then first row
    starts = np.r_[True, code[order][1:] != code[order][:-1]]
    winner = order[starts]                                  # winner[c]: the kept row of ID number c
    kept[has] = winner[code[has]]
    return kept


def suppressed_by_month(keys: Sequence[str | None], benefit: np.ndarray, insurance: np.ndarray) -> np.ndarray:
    """R11 for every month of (months, rows) arrays at once: per month and ID the row kept is the
    highest benefit, then the one with insurance, then the first (as `kept_rows`); returns the rows *not* kept that had a
    benefit or insurance that month (they are paid nothing, as in `compute_book`)."""
    out = np.zeros(benefit.shape, dtype=bool)
    codes = factorize(keys)
    cols = np.flatnonzero(_repeated_codes(codes))
    if not len(cols) or not benefit.shape[0]:
        return out
    by_id = np.argsort(codes[cols], kind="stable")
    order = cols[by_id]                                     # the rows of one ID together, first row first
    sorted_code = codes[cols][by_id]
    new_id = np.r_[True, sorted_code[1:] != sorted_code[:-1]]
    starts = np.flatnonzero(new_id)
    group = np.cumsum(new_id) - 1
    score = rank(benefit[:, order], insurance[:, order])
    best = np.maximum.reduceat(score, starts, axis=1)[:, group]
    is_best = score == best
    seen = np.cumsum(is_best, axis=1)
    before = np.where(starts > 0, seen[:, np.maximum(starts - 1, 0)], 0)[:, group]
    kept = is_best & (seen - before == 1)                   # the first best row of its ID, per month
    out[:, order] = ~kept & ((benefit[:, order] > 0) | insurance[:, order])
    return out


def same_name_birth(name_keys: Sequence[str | None], births: Sequence, id_keys: Sequence[str | None]) -> np.ndarray:
    """R11 (a warning, never a silent merge): per row, the position of an earlier row with the
    same normalised name and birth date where one of the two has no ID; else -1."""
    out = np.full(len(name_keys), -1)
    first_seen: dict = {}
    for i, (name, birth, key) in enumerate(zip(name_keys, births, id_keys)):
        if not name or birth is None or birth != birth:   # NaT/NaN compare unequal
            continue
        j = first_seen.setdefault((name, birth), i)
        if j != i and (key is None or id_keys[j] is None):
            out[i] = j
    return out
