"""The command line speaks Vietnamese (issue 14): argparse's own words, every argument's help,
exit statuses in each command's help, formats named, outputs checked before any work; and
`demo` deletes nothing it did not make."""
import argparse
import ast
import inspect
import re

import pytest

from xl_support import __version__
from xl_support.__main__ import ARGPARSE_VI, main, parser
from xl_support.cli import DEMO_MARK

ENGLISH = re.compile(r"\b(usage|options|optional arguments|positional arguments|error|invalid|required|"
                     r"choose from|unrecognized|expected|argument|arguments|show this help|version number|"
                     r"ambiguous|not allowed|help message)\b", re.IGNORECASE)


def subparsers(ap):
    action = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def run(argv, capsys):
    """main(argv) → (exit status, stdout + stderr), argparse's own exits included."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as stop:
        status = stop.code
    out = capsys.readouterr()
    return status, out.out + out.err


def argparse_messages() -> set[str]:
    """Every literal argparse passes to its gettext functions, in the running Python's argparse."""
    found = set()
    for node in ast.walk(ast.parse(inspect.getsource(argparse))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            found.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return found


def test_every_argparse_message_has_a_translation():
    messages = argparse_messages()
    assert "usage: " in messages and "invalid choice: %(value)r (choose from %(choices)s)" in messages
    assert messages <= set(ARGPARSE_VI), sorted(messages - set(ARGPARSE_VI))
    for english, vietnamese in ARGPARSE_VI.items():   # placeholders argparse fills, so formatting cannot fail
        assert set(re.findall(r"%\(\w+\)[sr]", vietnamese)) <= set(re.findall(r"%\(\w+\)[sr]", english))
        assert english.count("%s") + english.count("%r") == vietnamese.count("%s") + vietnamese.count("%r")


def test_no_english_in_any_help_or_error(capsys, tmp_path):
    book = tmp_path / "so.xlsm"
    texts = [parser().format_help()] + [p.format_help() for p in subparsers(parser()).values()]
    for argv in (["-h"], ["export", "-h"], [], ["bogus"], ["compute"], ["compute", book, "--month", "abc", "-o", "a.xlsm"],
                 ["export", book, "--kind", "csv", "-o", "a.xlsx"], ["export", book, "--kind"],
                 ["export", book, "--kind", "budget", "-o", "a.csv"], ["compute", book, "-o", "a.xlsm", "--bogus"],
                 ["consolidate", book, "--jobs", "many", "-o", "c.xlsx"], ["consolidate", "-o", "c.xlsx"],
                 ["validate", book, "extra"], ["--vers"], ["export", book, "--kind", "budget", "-o", "a.xlsx",
                                                            "--in-place"]):
        status, text = run(argv, capsys)
        assert status in (0, 2), (argv, text)
        texts.append(text)
    for text in texts:
        assert text.strip()
        assert not ENGLISH.search(text), (ENGLISH.search(text).group(0), text)
    joined = "\n".join(texts)
    assert "cách dùng: hp-support" in joined and "lỗi:" in joined and "lựa chọn không có" in joined
    assert "tùy chọn" in joined and "thiếu đối số bắt buộc" in joined


def test_help_names_every_argument_formats_and_exit_statuses():
    for name, p in subparsers(parser()).items():
        for action in p._actions:
            assert action.help, (name, action.dest)
        text = p.format_help()
        assert "mã thoát:" in text and "0  xong" in text and "\n  2  " in text, name
        if any(a.dest == "month" for a in p._actions):
            assert "YYYY-MM" in text and "mm/yyyy" in text
    assert "3  tổng hợp một phần" in subparsers(parser())["consolidate"].format_help()
    assert "1  có lỗi dữ liệu" in subparsers(parser())["validate"].format_help()
    export = subparsers(parser())["export"].format_help()
    assert "insurance-list  danh sách đề nghị cấp thẻ BHYT, mẫu D03-TS" in export
    for kind in ("city-report", "payment-list", "public-list", "budget"):
        assert f"\n  {kind} " in export


def test_every_export_kind_is_offered_and_explained():
    from xl_support.__main__ import KIND_HELP, KINDS
    from xl_support.operations.exports import KINDS as EXPORT_KINDS
    assert KINDS == tuple(KIND_HELP) and set(KINDS) == set(EXPORT_KINDS)


def test_guide_shows_the_version_and_the_bundle():
    from xl_support.build.guide import guide_rows
    text = "\n".join(t for _, _, t in guide_rows([], "=HP_BENEFIT()"))
    assert f"hp-support {__version__}" in text and f"HoTroNQ-{__version__}-win64.zip" in text


def test_in_place_only_where_a_command_rewrites_its_book():
    with_in_place = {name for name, p in subparsers(parser()).items()
                     if any("--in-place" in a.option_strings for a in p._actions)}
    assert with_in_place == {"compute", "validate", "summary", "prepare", "close-month"}


def test_version(capsys):
    assert run(["--version"], capsys) == (0, f"hp-support {__version__}\n")


def test_bad_month_names_both_formats(capsys, tmp_path):
    status, text = run(["summary", tmp_path / "a.xlsm", "--month", "13/2026", "-o", tmp_path / "b.xlsm"], capsys)
    assert status == 2 and "«13/2026»" in text and "YYYY-MM hoặc mm/yyyy" in text


@pytest.mark.parametrize("argv, wanted", [
    (["export", "{book}", "--kind", "budget", "-o", "{dir}/x.csv"], ".xlsx"),
    (["consolidate", "{dir}", "-o", "{dir}/city.xlsm"], ".xlsx"),
    (["compute", "{book}", "-o", "{dir}/x.xlsx"], ".xlsm"),            # a macro book stays a macro book
    (["summary", "{dir}/plain.xlsx", "-o", "{dir}/x.xlsm"], ".xlsx"),   # and a plain one plain
    (["build-template", "-o", "{dir}/t.xlsx"], ".xlsm"),
])
def test_output_extension_is_checked_before_any_work(argv, wanted, capsys, tmp_path):
    book = tmp_path / "so.xlsm"
    book.write_bytes(b"not read: the check comes first")
    argv = [a.format(book=book, dir=tmp_path) for a in argv]
    status, text = run(argv, capsys)
    assert status == 2 and f"cần tệp đuôi {wanted}" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["so.xlsm"]      # nothing written


def test_demo_refuses_a_folder_it_did_not_make(capsys, tmp_path):
    mine = tmp_path / "ket-qua"
    mine.mkdir()
    (mine / "bao-cao-cua-toi.xlsx").write_bytes(b"the user's own file")
    status, text = run(["demo", "--out-dir", mine], capsys)
    assert status == 2 and "không phải do demo tạo" in text
    assert [p.name for p in mine.iterdir()] == ["bao-cao-cua-toi.xlsx"]
    assert (mine / "bao-cao-cua-toi.xlsx").read_bytes() == b"the user's own file"
    (tmp_path / "a-file").write_text("x")
    assert run(["demo", "--out-dir", tmp_path / "a-file"], capsys)[0] == 2


def test_demo_in_its_own_folder_deletes_only_what_it_made(capsys, tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / DEMO_MARK).write_text("1-kiem-tra.xlsm\nold-output.xlsx\n../outside.txt\n", "utf-8")   # an earlier run
    (out / "old-output.xlsx").write_text("made by an earlier demo")
    (out / "ghi-chu-cua-toi.txt").write_text("the user's own note, put in the demo folder")
    (tmp_path / "outside.txt").write_text("never touched")
    status, text = run(["demo", "--out-dir", out], capsys)
    assert status == 0, text
    assert not (out / "old-output.xlsx").exists()
    assert (out / "ghi-chu-cua-toi.txt").read_text() == "the user's own note, put in the demo folder"
    assert (tmp_path / "outside.txt").exists()
    made = (out / DEMO_MARK).read_text("utf-8").split()
    assert len(made) == 15 and all((out / m).is_file() for m in made)
    assert "phuong-gui-len/1-Đồ-Sơn.xlsm" in made and "5-tong-hop-thanh-pho.xlsx" in made
    assert "hp-support compute" in text and "tháng 11/2026 (theo --month)" in text
