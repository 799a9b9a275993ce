"""Compute the five columns of every register of a book for a month (design.md `compute`),
with the highest-single-benefit rule (R11) across rows and registers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xl_support.engine.basis import basis_texts
from xl_support.book.workbook import Book
from xl_support.engine.dedupe import kept_rows
from xl_support.engine.messages import cell_message
from xl_support.book.ports import DATE_FORMAT, MONEY_FORMAT, BookPort, read_port_book
from xl_support.book.register import COMPUTED_FIELDS, INPUT_FIELDS, Register
from xl_support.engine.rules import Eligibility, MonthResult, People, Status, eligibility, month_result, people_arrays


@dataclass
class RegisterResult:
    """One register's month: typed arrays, the R11 decision and the basis texts."""
    register: Register
    people: People
    elig: Eligibility
    res: MonthResult
    kept_at: list[tuple[str, int] | None]   # R11: (sheet, row) of the row paid instead, else None
    basis: list[str]

    @property
    def suppressed(self) -> np.ndarray:
        return np.array([k is not None for k in self.kept_at], dtype=bool)

    def cells(self) -> dict[str, list]:
        """The five computed columns as cell values (design.md computed columns)."""
        codes = self.register.frame["group"].tolist() if "group" in self.register.frame else [None] * len(self.people)
        row_messages = _short_bad_cell_messages(self.register)
        benefit, topup, insurance, end_date = [], [], [], []
        ends = (pd.to_datetime(self.elig.end.astype("M8[D]")) + pd.offsets.MonthEnd(0)).date   # datetime.date each
        for i in range(len(self.people)):
            status = int(self.elig.status[i])
            if status in (Status.OK, Status.PENDING, Status.NEVER_PAYABLE):
                benefit.append(int(self.res.benefit[i]))
                topup.append(int(self.res.topup[i]))
                insurance.append("Có" if self.res.insurance[i] else "Không")
                end_date.append(ends[i])
            else:   # the same short message in every value column, as the worksheet functions show
                message = row_messages[i] or cell_message(status, codes[i])
                for column in (benefit, topup, insurance, end_date):
                    column.append(message)
        return {"benefit": benefit, "topup": topup, "insurance": insurance, "end_date": end_date,
                "basis": self.basis}


def _short_bad_cell_messages(register: Register) -> list[str | None]:
    """For rows with unreadable cells: the short message the worksheet functions show."""
    from dataclasses import replace
    from xl_support.book.excel_args import bad_cell_messages
    position = {r: i for i, r in enumerate(register.frame["row"])}
    issues = [replace(i, row=position[i.row]) for i in register.issues if i.row in position]
    return bad_cell_messages(issues, len(position), [f.name for f in INPUT_FIELDS])


def _row_messages(register: Register) -> list[str | None]:
    """For rows with unreadable cells: the first cell message, shown in `Căn cứ`."""
    by_row: dict[int, str] = {}
    for issue in register.issues:
        by_row.setdefault(issue.row, f"Lỗi: {issue.message} (ô {issue.cell})")
    return [by_row.get(r) for r in register.frame["row"]]


def compute_book(book: Book, month: dt.date | None = None) -> list[RegisterResult]:
    """Every register of the book for `month` (default: the book's report month), R11 applied."""
    month = book.month(month)
    s = book.settings
    parts = []
    for reg in book.registers:
        people = people_arrays(reg.frame, s.groups, s.default_area)
        elig = eligibility(people, s.groups, s.params)
        parts.append((reg, people, elig, month_result(people, elig, month, s.groups, s.params)))
    if not parts:
        return []
    keys = [k for reg, *_ in parts for k in reg.frame["id_key"].tolist()]
    benefit = np.concatenate([res.benefit for *_, res in parts])
    kept = kept_rows(keys, benefit)
    where = [(reg.sheet, int(r)) for reg, *_ in parts for r in reg.frame["row"]]
    out, offset = [], 0
    for reg, people, elig, res in parts:
        n = len(reg.frame)
        kept_at = [None] * n
        for i in range(n):
            j = kept[offset + i]
            if j != offset + i and (res.benefit[i] > 0 or res.insurance[i]):
                kept_at[i] = where[j]
        suppressed = np.array([k is not None for k in kept_at], dtype=bool)
        res = MonthResult(res.month, res.payable & ~suppressed, np.where(suppressed, 0, res.benefit),
                          np.where(suppressed, 0, res.topup), res.insurance & ~suppressed,
                          res.poverty_line, res.standard)
        texts = basis_texts(people, elig, res, s.groups, s.params, _row_messages(reg))
        texts = [t if k is None else f"Không chi trả (hưởng một mức cao nhất – KH mục IV.1): người này được "
                 f"chi trả ở sheet «{k[0]}» dòng {k[1]}. {t}" for t, k in zip(texts, kept_at)]
        out.append(RegisterResult(reg, people, elig, res, kept_at, texts))
        offset += n
    return out


FORMATS = {"benefit": MONEY_FORMAT, "topup": MONEY_FORMAT, "end_date": DATE_FORMAT}


def write_computed(port: BookPort, result: RegisterResult) -> None:
    """Write the five columns (adding missing headers after the last column); nothing else."""
    reg = result.register
    cells = result.cells()
    rows = reg.frame["row"].tolist()
    next_col = max([reg.width, *reg.columns.values()]) + 1
    for f in COMPUTED_FIELDS:
        col = reg.columns.get(f.name)
        if col is None:
            col = reg.columns[f.name] = next_col
            next_col += 1
            port.write_block(reg.sheet, reg.header_row, col, [[f.header]])
        if not rows:
            continue
        block: list[list] = [[None] for _ in range(rows[-1] - rows[0] + 1)]
        for r, value in zip(rows, cells[f.name]):
            block[r - rows[0]][0] = value
        port.write_block(reg.sheet, rows[0], col, block, FORMATS.get(f.name))


def compute(port: BookPort, month: dt.date | None = None) -> list[RegisterResult]:
    """The `compute` operation over a port (CLI and the *Tính lại* button)."""
    port.progress("Đang đọc sổ…")
    book = read_port_book(port)
    results = compute_book(book, month)
    for r in results:
        port.progress(f"Đang ghi kết quả sheet «{r.register.sheet}» ({len(r.register.frame)} dòng)…")
        write_computed(port, r)
    return results
