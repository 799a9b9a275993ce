"""Compute the five columns of every register of a book for a month (design.md `compute`),
with the highest-single-benefit rule (R11) across rows and registers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import compress

import numpy as np

from xl_support.engine.basis import basis_texts
from xl_support.book.values import is_blank
from xl_support.book.workbook import Book
from xl_support.engine.dedupe import kept_rows
from xl_support.engine.messages import cell_marker, insurance_cells
from xl_support.book.ports import DATE_FORMAT, MONEY_FORMAT, BookPort, read_port_book
from xl_support.book.register import COMPUTED_FIELDS, Register
from xl_support.engine.rules import (Eligibility, MonthResult, People, Status, eligibility, month_end, month_result,
                                     people_arrays)


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
        benefit, topup = self.res.benefit.tolist(), self.res.topup.tolist()     # whole VND: ints
        insurance = insurance_cells(self.res.insurance, self.res.insurance_unconfirmed)
        end_date = month_end(self.elig.end).tolist()                          # datetime.date each
        status = self.elig.status
        marked = ~np.isin(status, (Status.OK, Status.PENDING, Status.NEVER_PAYABLE))
        for i in np.flatnonzero(marked).tolist():
            # the same short marker in every value column as the functions show; why: «Căn cứ»
            benefit[i] = topup[i] = insurance[i] = end_date[i] = cell_marker(int(status[i]))
        return {"benefit": benefit, "topup": topup, "insurance": insurance, "end_date": end_date,
                "basis": self.basis}


def _row_messages(register: Register) -> list[str | None]:
    """For rows with unreadable cells: the first cell message, shown in `Căn cứ`."""
    by_row: dict[int, str] = {}
    for issue in register.issues:
        by_row.setdefault(issue.row, f"Lỗi: {issue.message} (ô {issue.cell})")
    return [by_row.get(r) for r in register.table["row"]]


def compute_book(book: Book, month: dt.date | None = None) -> list[RegisterResult]:
    """Every register of the book for `month` (default: the book's report month), R11 applied."""
    month = book.month(month)
    s = book.settings
    parts = []
    for reg in book.registers:
        people = people_arrays(reg.table, s.groups, s.default_area)
        elig = eligibility(people, s.groups, s.params)
        parts.append((reg, people, elig, month_result(people, elig, month, s.groups, s.params)))
    if not parts:
        return []
    keys = [k for reg, *_ in parts for k in reg.table["id_key"].tolist()]
    benefit = np.concatenate([res.benefit for *_, res in parts])
    kept = kept_rows(keys, benefit, np.concatenate([res.insurance for *_, res in parts]))
    where = [(reg.sheet, int(r)) for reg, *_ in parts for r in reg.table["row"]]
    out, offset = [], 0
    for reg, people, elig, res in parts:
        n = len(reg.table)
        kept_at = [None] * n
        for i in range(n):
            j = kept[offset + i]
            if j != offset + i and (res.benefit[i] > 0 or res.insurance[i]):
                kept_at[i] = where[j]
        suppressed = np.array([k is not None for k in kept_at], dtype=bool)
        res = MonthResult(res.month, res.payable & ~suppressed, np.where(suppressed, 0, res.benefit),
                          np.where(suppressed, 0, res.topup), res.insurance & ~suppressed,
                          res.poverty_line, res.standard, res.insurance_unconfirmed & ~suppressed)
        texts = basis_texts(people, elig, res, s.groups, s.params, _row_messages(reg))
        texts = [t if k is None else f"Không chi trả (hưởng một mức cao nhất – KH mục IV.1): người này được "
                 f"chi trả ở sheet «{k[0]}» dòng {k[1]}. {t}" for t, k in zip(texts, kept_at)]
        out.append(RegisterResult(reg, people, elig, res, kept_at, texts))
        offset += n
    return out


FORMATS = {"benefit": MONEY_FORMAT, "topup": MONEY_FORMAT, "end_date": DATE_FORMAT}
#: First words of a row under or inside a register that is not a person (folded, domain-neutral).
NOT_A_PERSON = ("tong cong", "tong so", "tong", "cong", "ghi chu", "nguoi lap", "lap bieu", "xac nhan",
                "thu truong", "chu tich", "ke toan", "ngay thang")


def person_rows(register: Register) -> np.ndarray:
    """Rows of the register that hold a person (issue 12): a name, an ID or a group code; and not a
    total or a note (`Tổng cộng` with `=SUM(…)`, `Người lập biểu`, …: no ID, and the STT or name
    cell starts with such a word). Only these rows get computed values."""
    from xl_support.book.text import header_key
    n = len(register.table)
    raw = register.raw
    blank = [None] * n
    name, ident, group, stt = (raw.get(k, blank) for k in ("name", "id", "group", "stt"))
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        if is_blank(name[i]) and is_blank(ident[i]) and is_blank(group[i]):
            continue
        if is_blank(ident[i]):
            label = next((header_key(str(v)) for v in (stt[i], name[i]) if isinstance(v, str) and v.strip()), "")
            if any(label == w or label.startswith(w + " ") for w in NOT_A_PERSON):
                continue
        out[i] = True
    return out


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers as (first index, end index) runs of the list."""
    runs, start = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            runs.append((start, i))
            start = i
    return runs


def write_computed(port: BookPort, result: RegisterResult) -> None:
    """Write the five columns (adding missing headers after the last column) on the rows that
    hold a person (`person_rows`), in blocks of consecutive rows; nothing else."""
    reg = result.register
    cells = result.cells()
    keep = person_rows(reg).tolist()
    rows = list(compress(reg.table["row"].tolist(), keep))
    next_col = max([reg.width, *reg.columns.values()]) + 1
    for f in COMPUTED_FIELDS:
        col = reg.columns.get(f.name)
        if col is None:
            col = reg.columns[f.name] = next_col
            next_col += 1
            port.write_block(reg.sheet, reg.header_row, col, [[f.header]])
        values = list(compress(cells[f.name], keep))
        for a, b in _runs(rows):
            port.write_block(reg.sheet, rows[a], col, [[v] for v in values[a:b]], FORMATS.get(f.name))


def check_computable(book: Book) -> None:
    """design.md exit 2: a book without a register, or a register without a column nothing can be
    computed without, is a reason to stop (never "0 rows" and exit 0)."""
    from xl_support.book.fileio import UserFacingError
    if not book.registers:
        raise UserFacingError("Không tìm thấy sổ đối tượng: không sheet nào có dòng tiêu đề gồm «Họ và tên» và "
                              "«Mã đối tượng» (trong 100 dòng đầu). Hãy dùng sổ theo mẫu Template.xlsm.")
    for reg in book.registers:
        missing = [f.header for f in reg.missing_columns() if f.essential]
        if missing:
            raise UserFacingError(f"Sheet «{reg.sheet}» thiếu cột {', '.join(f'«{m}»' for m in missing)}: "
                                  "không tính được. Hãy thêm cột theo mẫu rồi chạy lại.")


def compute(port: BookPort, month: dt.date | None = None) -> list[RegisterResult]:
    """The `compute` operation over a port (CLI and the *Tính lại* button)."""
    port.progress("Đang đọc sổ…")
    book = read_port_book(port)
    check_computable(book)
    if hasattr(port, "release_grids"):     # issue 18 item 2: the results take the grids' memory
        port.release_grids()
    results = compute_book(book, month)
    for r in results:
        port.progress(f"Đang ghi kết quả sheet «{r.register.sheet}» ({len(r.register.table)} dòng)…")
        write_computed(port, r)
    return results
