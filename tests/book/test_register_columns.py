"""Register columns are parsed whole (issue 18): the result must be, cell by cell, what the
`values` parser of the column's kind gives that cell — the typed value, or a `CellError` reported
at its cell with the same Vietnamese message — whatever mix of types a column holds."""
import datetime as dt

import numpy as np
from hypothesis import given, settings, strategies as st

from xl_support.book import values as V
from xl_support.book.register import FIELD_BY_NAME, PARSERS, _typed_table, read_register, typed_table
from xl_support.book.text import id_key, nfkc

TEXTS = ["", " ", "  \t", "Nguyễn Văn An", "Nguye\u0302\u0303n", "０１２３", "05/03/2015", " 5/3/2015 ", "2015-03-05",
         "31/02/2015", "05/03/1850", "03/2026", "2026-3", "13/2026", "1.050.000", "1.050.000 đ", "1,05 triệu", "-5",
         "0", "9" * 40, "CN-BTXH", "hn_btxh – Thành viên hộ nghèo", "Thành thị", "NONG THON", "Phố", "Cận nghèo",
         "thoat ngheo", "031215001234", "0312 1500 1234", "١٢٣٤٥٦٧٨٩٠١٢", "x" * 300]
CELLS = st.one_of(
    st.none(), st.sampled_from(TEXTS), st.text(max_size=8),
    st.booleans(), st.integers(-10, 10), st.integers(0, 10**13), st.sampled_from([0.0, -0.0, 1.0, 1.5, 42000.0,
                                                                                  float("nan"), float("inf"), 1e20]),
    st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31)), st.datetimes(dt.datetime(1850, 1, 1), dt.datetime(2150, 1, 1)),
    st.sampled_from([V.ExcelError("#N/A"), V.ExcelError("#REF!")]),
)
FIELDS = [f for f in FIELD_BY_NAME.values() if not f.computed]


def expected(kind: str, value):
    try:
        return PARSERS[kind](nfkc(value)), None
    except V.CellError as e:
        return None, e.message


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def check(columns: dict[str, list]) -> None:
    n = len(next(iter(columns.values())))
    rows = list(range(10, 10 + n))
    table, issues = typed_table(columns, rows, "S", {name: i + 1 for i, name in enumerate(columns)})
    found = {(i.row, i.field): i for i in issues}
    assert len(found) == len(issues)
    bad = np.zeros(n, dtype=bool)
    for name, cells in columns.items():
        f = FIELD_BY_NAME[name]
        for i, cell in enumerate(cells):
            value, message = expected(f.kind, cell)
            assert same(table[name][i], value), (name, cell, table[name][i], value)
            issue = found.get((rows[i], name))
            if message is None:
                assert issue is None, (name, cell, issue)
            else:
                bad[i] = True
                assert issue.message == f"{f.header}: {message}" and issue.code == "CELL_" + name.upper()
                assert issue.severity == "error" and issue.column == list(columns).index(name) + 1
        number = table.numbers.get(name)
        if f.kind in ("date", "month"):
            assert number.dtype == "M8[D]"
            assert [None if np.isnat(d) else d.item() for d in number] == table[name].tolist()
        elif f.kind == "amount":
            assert number.tolist() == [-1 if v is None else v for v in table[name].tolist()]
    assert table["bad_cell"].tolist() == bad.tolist()
    order = [(list(columns).index(i.field), i.row) for i in issues]     # column by column, row by row
    assert order == sorted(order)
    if "id" in columns:
        assert table["id_key"].tolist() == [id_key(nfkc(v)) for v in columns["id"]]
    # the columns as kept (issue 12: nfkc form) and the presence masks told by the parsing
    clean = _typed_table(columns, rows, "S", {}, False)[2]
    for name, cells in columns.items():
        assert len(clean[name]) == n and all(same(a, nfkc(b)) for a, b in zip(clean[name], cells)), name
    for name, mask in table.present.items():
        assert mask.dtype == bool and mask.tolist() == [v is not None for v in table[name].tolist()], name


@settings(max_examples=150, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=25), st.data())
def test_every_kind_of_column_parses_as_its_cells_do(cells, data):
    fields = data.draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique_by=lambda f: f.name))
    check({f.name: [data.draw(CELLS) if data.draw(st.booleans()) else c for c in cells] for f in fields})


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FIELDS), st.lists(st.sampled_from(TEXTS + [None]), min_size=1, max_size=30))
def test_columns_of_texts_parse_as_their_cells_do(f, cells):
    check({f.name: cells})


#: Columns of one shape, as readers give them: the paths that decide for the whole column at once.
UNIFORM = st.one_of(
    st.sampled_from(["", None]).flatmap(lambda v: st.lists(st.just(v), min_size=1, max_size=30)),
    st.lists(st.one_of(st.sampled_from(TEXTS), st.none()), min_size=1, max_size=30),
    st.lists(st.integers(-3, 2 * 10**5), min_size=1, max_size=30),
    st.lists(st.one_of(st.integers(0, 2 * 10**5).map(float), st.sampled_from([-0.0, 1e20, 2.0**17])), min_size=1,
             max_size=30),
    st.lists(st.one_of(st.dates(dt.date(1850, 1, 1), dt.date(2150, 12, 31)), st.sampled_from(["", None])),
             min_size=1, max_size=30),
    st.lists(st.sampled_from(["Nguye\u0302\u0303n", "０１２３", "ＣＮ-ＢＴＸＨ", "CN-BTXH", "Thành thị", "Tha\u0300nh thi\u0323",
                              "ｈｎ_ｂｔｘｈ", "", "1.050.000", "１.０５０.０００"]), min_size=1, max_size=30),
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FIELDS), UNIFORM, st.data())
def test_columns_of_one_shape_parse_as_their_cells_do(f, cells, data):
    """Empty columns, texts with None, ints, whole floats, dates with empty cells, repeated texts
    (some not in nfkc form): each whole-column path gives what the cells give one by one."""
    if data.draw(st.booleans()):            # now and then one odd cell among them
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELLS)
    check({f.name: cells})


def test_uniform_columns_take_the_whole_column_paths():
    """The usual register columns (one type, repeated values) — the paths without a call per cell."""
    d = dt.date
    check({"stt": [1.0, 2.0, 3.0, 4.0], "name": ["An", " Bình ", "", "Chi"], "birth": [d(2015, 3, 5), "", d(1850, 1, 1), "5/3/2015"],
           "group": ["CN", "CN", "XX YY", ""], "allowance": [1050000.0, "", "1.050.000", 1.5],
           "area": ["Thành thị"] * 4, "pay_from": [""] * 4, "id": ["031215001234", "", "12", "1234 5678 9012"]})
    check({"allowance": [0.0, -0.0, 5.0, ""], "group": [1, 1.0, True, "1"], "area": [1, 2, 1, None]})
    # equal values that print differently: 0.0 and -0.0, 1 and 1.0 (each keeps its own message)
    check({"group": [0.0, -0.0, "", 0.0], "area": [-0.0, 0.0, None, -0.0], "household_type": [1, 1.0, "1", 1]})


def test_long_columns_of_repeated_texts_parse_as_their_cells_do():
    """issue 18.4 — a text column whose values repeat is looked at on its distinct texts: one odd
    cell anywhere in it (spaces to strip, decomposed text, None, a number, an error) still parses
    as that cell does; a column that does not repeat (names) is read cell by cell."""
    base = ["Tổ dân phố 1", "Tổ dân phố 2", "", "Nam"] * 50
    names = [f"Người {i}" for i in range(200)]
    for odd in (" Tổ dân phố 1", "Tha\u0300nh", None, 5.0, V.ExcelError("#N/A"), "", "Nam"):
        for at in (0, 150, 199):
            cells = list(base)
            cells[at] = odd
            check({"residential_group": cells, "sex": cells[::-1], "school": [""] * 199 + [odd],
                   "name": names[:at] + [odd] + names[at + 1:]})


def test_rows_kept_by_a_column_of_numbers_or_row_by_row():
    """A register whose STT column is numbers on every row keeps every row; one blank STT cell
    (and no other first column filled) makes the rows kept those with an input cell."""
    head = ["STT", "Họ và tên", "Mã đối tượng"]
    reg = read_register("S", [head, [1.0, "A", "CN"], [2, "", ""], [3.5, "", ""]])
    assert reg.table["row"].tolist() == [2, 3, 4]
    reg = read_register("S", [head, [1.0, "A", "CN"], [None, "", ""], [3.0, "", ""], ["", "", ""]])
    assert reg.table["row"].tolist() == [2, 4]


def test_rows_kept_are_those_with_an_input_cell():
    grid = [["Họ và tên", "Mã đối tượng", "Ngày sinh", "Mức hỗ trợ (đồng/tháng)"],
            ["A", "CN", "", ""], ["", " ", "", 500000], ["", "", "1/1/2015", ""], [None, None], ["B", "CN", "", ""]]
    reg = read_register("S", grid)
    assert reg.table["row"].tolist() == [2, 4, 6]        # a computed cell alone does not make a row
    assert reg.raw["name"] == ["A", "", "B"]
    assert reg.columns["benefit"] == 4 and "benefit" not in reg.raw     # ours, rewritten: not read


def test_input_columns_are_kept_in_nfkc_form_and_computed_ones_not_read():
    """issue 12: the input texts in one form (what every reader of `raw` sees); the computed
    columns (`Căn cứ`: most of a computed book's text) are ours and rewritten: located, not read
    (issue 18: a computed book's texts are not kept in memory)."""
    decomposed = "Nguye\u0302\u0303n Va\u0306n A"
    grid = [["Họ và tên", "Mã đối tượng", "Căn cứ"], [decomposed, "ＣＮ", decomposed], ["B", "CN", ""]]
    reg = read_register("S", grid)
    assert reg.raw["name"] == [nfkc(decomposed), "B"] and reg.table["name"].tolist() == [nfkc(decomposed), "B"]
    assert reg.raw["group"] == ["CN", "CN"] and reg.table["group"].tolist() == ["CN", "CN"]
    assert reg.columns["basis"] == 3 and "basis" not in reg.raw
