"""domain.md R11 — highest single benefit: one person (same personal ID) is paid once, the highest."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def rank(benefit: np.ndarray, insurance: np.ndarray | None) -> np.ndarray:
    """R11 order of the rows of one person: the highest benefit; on equal amounts the row with
    health-insurance support (one card, not none); then the first row."""
    score = np.asarray(benefit).astype(np.int64) * 2
    return score if insurance is None else score + np.asarray(insurance, dtype=bool)


def kept_rows(keys: Sequence[str | None], benefit: np.ndarray, insurance: np.ndarray | None = None) -> np.ndarray:
    """For each row, the position of the row kept for its ID: the highest benefit, then the row
    with insurance support, then the first row (`rank`). Rows without an ID keep themselves."""
    n = len(keys)
    frame = pd.DataFrame({"key": pd.Series(list(keys), dtype=object), "benefit": rank(benefit, insurance),
                          "pos": np.arange(n)})
    frame = frame[frame["key"].notna()]
    kept = np.arange(n)
    if frame.empty:
        return kept
    ordered = frame.sort_values(["key", "benefit", "pos"], ascending=[True, False, True], kind="stable")
    first = ordered.groupby("key", sort=False)["pos"].transform("first")
    kept[ordered["pos"].to_numpy()] = first.to_numpy()
    return kept


def suppressed_by_month(keys: Sequence[str | None], benefit: np.ndarray, insurance: np.ndarray) -> np.ndarray:
    """R11 for every month of (months, rows) arrays at once: per month and ID the row kept is the
    highest benefit, then the one with insurance, then the first (as `kept_rows`); returns the rows *not* kept that had a
    benefit or insurance that month (they are paid nothing, as in `compute_book`)."""
    out = np.zeros(benefit.shape, dtype=bool)
    series = pd.Series(list(keys), dtype=object)
    cols = np.flatnonzero((series.notna() & series.duplicated(keep=False)).to_numpy())
    if not len(cols) or not benefit.shape[0]:
        return out
    sub = pd.DataFrame(rank(benefit[:, cols], insurance[:, cols]).T, index=cols)
    kept = sub.groupby(series.to_numpy()[cols], sort=False).transform("idxmax").to_numpy() == cols[:, None]
    out[:, cols] = ~kept.T & ((benefit[:, cols] > 0) | insurance[:, cols])
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
