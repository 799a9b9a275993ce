"""Safe writing of output files (design.md: Command line; Reliability and security).

* :func:`check_output_path` — "Never overwrite an existing OUT unless --force; never write
  OUT = BOOK unless --in-place."
* :func:`atomic_write`, :func:`atomic_path`, :func:`save_workbook_atomic` — "Files are written
  to a temporary file and renamed; a crash leaves the old file intact."
* :func:`csv_safe` — "Output never starts a cell with =, +, -, @ from user text in CSV."
* :func:`excel_safe`, :func:`set_text`, :func:`com_text` — user text written into workbook
  cells stays text (openpyxl turns any string starting with "=" into a formula).
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Union

from xl_support.book.lazy_re import Pattern

__all__ = [
    "UserFacingError",
    "OutputExistsError",
    "SameAsInputError",
    "OutputFolderMissingError",
    "OutputLockedError",
    "check_output_path",
    "guard_output",
    "fingerprint",
    "BookBusyError",
    "ChangedSinceReadError",
    "os_reason",
    "atomic_path",
    "atomic_write",
    "save_workbook_atomic",
    "csv_safe",
    "excel_safe",
    "set_text",
    "com_text",
    "FORMULA_TRIGGERS",
    "EXCEL_CELL_MAX_CHARS",
]


# ---------------------------------------------------------------- errors shown to the user

class UserFacingError(Exception):
    """An error whose Vietnamese ``message`` is shown to the user as is (no traceback);
    ``exit_status`` is the command's exit status (design.md: 2 could not run, 1 data errors)."""

    exit_status = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class OutputExistsError(UserFacingError):
    """OUT exists and --force was not given."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"Tệp kết quả «{path}» đã tồn tại. Hãy chọn tên tệp khác, "
            "hoặc thêm --force để ghi đè."
        )


class SameAsInputError(UserFacingError):
    """OUT is the input book and --in-place was not given."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"Tệp kết quả «{path}» trùng với tệp đầu vào. Hãy chọn tên tệp khác, "
            "hoặc thêm --in-place nếu muốn ghi thẳng vào tệp đầu vào."
        )


class OutputFolderMissingError(UserFacingError):
    """The folder of OUT does not exist (or OUT is a folder)."""

    def __init__(self, path: Path, *, is_dir: bool = False):
        self.path = path
        text = (
            f"«{path}» là một thư mục, không phải tệp. Hãy ghi rõ tên tệp kết quả."
            if is_dir
            else f"Thư mục «{path.parent}» không tồn tại. Hãy tạo thư mục trước hoặc chọn nơi lưu khác."
        )
        super().__init__(text)


class OutputLockedError(UserFacingError):
    """The file cannot be replaced (typically: it is open in Excel on Windows)."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"Không ghi được tệp «{path}»: tệp đang mở trong Excel hoặc chương trình khác, "
            "hoặc không có quyền ghi. Hãy đóng tệp rồi thử lại."
        )


_OS_REASONS = {
    errno.ENOENT: "không tìm thấy tệp hoặc thư mục",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không được phép thao tác",
    errno.EROFS: "ổ đĩa hoặc thư mục chỉ cho phép đọc",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EDQUOT: "đã hết dung lượng được cấp trên ổ đĩa",
    errno.EISDIR: "đây là một thư mục",
    errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EBUSY: "tệp đang được chương trình khác dùng",
    errno.EIO: "lỗi đọc/ghi ổ đĩa",
    errno.EMFILE: "mở quá nhiều tệp cùng lúc",
    errno.EINVAL: "tên tệp hoặc đường dẫn không hợp lệ",
}


def os_reason(error: OSError) -> str:
    """A Vietnamese reason for an operating-system error (never the English OS text)."""
    if isinstance(error, PermissionError):
        return _OS_REASONS[errno.EACCES]
    return _OS_REASONS.get(getattr(error, "errno", None) or 0, f"lỗi hệ thống số {error.errno}"
                           if getattr(error, "errno", None) else "lỗi hệ thống khi đọc/ghi tệp")


class OSFailure(UserFacingError):
    """An OSError while reading or writing a named file, in Vietnamese."""

    def __init__(self, path, error: OSError, *, writing: bool = False):
        self.path = path
        super().__init__(f"Không {'ghi' if writing else 'đọc'} được tệp «{path}»: {os_reason(error)}.")


# ---------------------------------------------------------------- OUT / BOOK checks

def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: compare normalised absolute paths
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def check_output_path(
    out: str | os.PathLike,
    *,
    source: str | os.PathLike | None = None,
    force: bool = False,
    in_place: bool = False,
) -> Path:
    """Check OUT before any work is done; return it as a Path.

    design.md: never overwrite an existing OUT unless ``force``; never write OUT = BOOK
    (``source``) unless ``in_place`` (which alone allows replacing BOOK). Raises a
    :class:`UserFacingError` subclass. Then `guard_output` (issue 12): the lock next to OUT,
    temps of killed runs removed, OUT's fingerprint kept for the change check before replacing.
    """
    path = Path(out)
    if path.is_dir():
        raise OutputFolderMissingError(path, is_dir=True)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputFolderMissingError(path)
    if source is not None and _same_file(path, Path(source)):
        if not in_place:
            raise SameAsInputError(path)
        guard_output(path)
        return path
    if path.exists() and not force:
        raise OutputExistsError(path)
    guard_output(path)
    return path


# ---------------------------------------------------------------- no lost updates (issue 12)

class BookBusyError(UserFacingError):
    """Another command is writing the same file (its lock is next to the file)."""

    def __init__(self, path: Path, owner: str):
        self.path = path
        super().__init__(
            f"Tệp «{path}» đang được một lệnh khác ghi ({owner}). Hãy chờ lệnh đó xong rồi chạy lại; "
            f"nếu không có lệnh nào đang chạy, hãy xóa tệp khóa «{lock_path(path).name}» bên cạnh.")


class ChangedSinceReadError(UserFacingError):
    """The file changed between the moment it was read and the moment it would be replaced."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"Tệp «{path}» đã bị thay đổi (bởi Excel hoặc một lệnh khác) trong lúc lệnh này chạy: không ghi đè "
            "để khỏi làm mất thay đổi đó. Hãy chạy lại lệnh.")


LOCK_STALE_SECONDS = 30 * 60      # a lock we cannot check (another machine, Windows) is stale after this
_held: dict[str, Path] = {}       # lock files this process holds, by normalised target path
_expected: dict[str, tuple | None] = {}   # target → its fingerprint when the command started


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file next to a book: hidden, and skipped by `consolidate` (dot prefix)."""
    path = Path(path)
    return path.with_name(f".{path.name}.hp-lock")


def fingerprint(path: str | os.PathLike) -> tuple | None:
    """(size, mtime_ns, CRC-32) of a file, None when it does not exist (issue 12 change check:
    compared within one run, against another program saving the book meanwhile — not against
    forgery, so a checksum serves, without loading OpenSSL's hashlib at every start)."""
    import zlib
    try:
        st = os.stat(path)
        crc = 0
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                crc = zlib.crc32(block, crc)
    except FileNotFoundError:
        return None
    except OSError:                 # unreadable now: compared as "changed" only if it was readable
        return ("unreadable",)
    return st.st_size, st.st_mtime_ns, crc


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True                 # cannot check safely (os.kill would terminate it): age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _hostname() -> str:
    """This machine's name for the lock file (what `socket.gethostname` gives, without importing socket)."""
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")


def _lock_is_stale(lock: Path) -> bool:
    import time
    try:
        text = lock.read_text("utf-8", "replace").split()
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return True
    if len(text) >= 2 and text[0].isdigit() and text[1] == _hostname() and os.name == "posix":
        return not _pid_alive(int(text[0]))
    return age > LOCK_STALE_SECONDS


def acquire_lock(path: str | os.PathLike) -> None:
    """Take the lock next to `path` for this process (re-entrant); a stale lock (its process
    is gone) is taken over; a live one is a `BookBusyError`. Released by `release_lock`, after
    the file is replaced, and at exit."""
    import atexit
    path = Path(path)
    key = _key(path)
    if key in _held:
        return
    lock = lock_path(path)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if _lock_is_stale(lock):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            try:
                owner = lock.read_text("utf-8", "replace").split()
                who = f"tiến trình {owner[0]} trên máy {owner[1]}" if len(owner) >= 2 else "không rõ"
            except OSError:
                who = "không rõ"
            raise BookBusyError(path, who) from None
        except OSError:
            return                  # a folder where no lock can be made: the change check still guards
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {_hostname()}\n")
        if not _held:
            atexit.register(release_all)
        _held[key] = lock
        return
    raise BookBusyError(path, "không rõ")


def release_lock(path: str | os.PathLike) -> None:
    lock = _held.pop(_key(Path(path)), None)
    if lock is not None:
        with contextlib.suppress(OSError):
            lock.unlink()


def release_all() -> None:
    for key in list(_held):
        lock = _held.pop(key)
        with contextlib.suppress(OSError):
            lock.unlink()


def _remove_stale_temps(path: Path) -> None:
    """A temporary file left by a killed run holds personal data: remove it (issue 12). Temp
    names carry their writer's process id; a temp of a live process is left alone."""
    import time
    folder = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and ".tmp" in n[len(prefix):]]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split(".", 1)[0]
        old = pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid))
        if not old:
            with contextlib.suppress(OSError):
                old = time.time() - os.stat(folder / name).st_mtime > LOCK_STALE_SECONDS
        if old:
            with contextlib.suppress(OSError):
                os.unlink(folder / name)


def guard_output(path: str | os.PathLike) -> None:
    """Before a command reads anything: remove temps of killed runs, take the lock next to OUT,
    and remember OUT's fingerprint, checked again just before OUT is replaced."""
    path = Path(path)
    _remove_stale_temps(path)
    acquire_lock(path)
    _expected[_key(path)] = fingerprint(path)


def _check_unchanged(path: Path) -> None:
    key = _key(path)
    if key in _expected and fingerprint(path) != _expected[key]:
        raise ChangedSinceReadError(path)


# ---------------------------------------------------------------- atomic writing

def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows cannot open a folder, and needs no fsync."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the data itself is synced
        pass
    finally:
        os.close(fd)


def _target_mode(path: Path) -> int:
    """Keep the old file's permissions; a new file gets the usual 0o666 minus umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the folder of ``path``; on normal exit fsync it and
    ``os.replace`` it onto ``path``; on an exception remove it and leave ``path`` untouched.

    For writers that want a file name (the temp name keeps the extension, e.g. ``.xlsx``).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    import tempfile
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.",
                                        suffix=f".tmp{path.suffix}")
    except OSError as e:
        raise OSFailure(path, e, writing=True) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _target_mode(path))
        _check_unchanged(path)
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise OutputLockedError(path) from None
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OSFailure(path, e, writing=True) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _expected.pop(_key(path), None)
    release_lock(path)
    _fsync_dir(folder)


Writer = Callable[[BinaryIO], Any]


def atomic_write(path: str | os.PathLike, data: Union[bytes, bytearray, memoryview, Writer]) -> Path:
    """Write ``data`` (bytes, or a callable that writes to a binary file object) to ``path``
    through a temporary file in the same folder, fsync and ``os.replace``.

    If the callable raises (or the process dies) the previous ``path`` stays intact; on an
    exception the temporary file is removed.
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            elif callable(data):
                data(fh)
            else:
                raise TypeError("atomic_write expects bytes or a callable(file) -> None")
    return Path(path)


def save_workbook_atomic(wb, path: str | os.PathLike) -> Path:
    """Save an openpyxl Workbook to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, wb.save)


# ---------------------------------------------------------------- formula injection

#: First characters that make Excel/LibreOffice treat typed or imported text as a formula
#: (OWASP "CSV injection"), plus their full-width forms that some Excel locales accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: Excel's limit on the characters of one cell.
EXCEL_CELL_MAX_CHARS = 32_767

# Characters XML 1.0 forbids (openpyxl raises IllegalCharacterError on them).
_ILLEGAL_XML = Pattern(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def csv_safe(value: Any) -> Any:
    """Guard one CSV field: a text starting with = + - @ (or tab/CR/LF, or their full-width
    forms) gets a leading apostrophe, so no spreadsheet evaluates it. Non-text values
    (numbers, dates, None) are returned unchanged — only user text is at risk."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def excel_safe(text: Any) -> Any:
    """Clean user text for a workbook cell: drop characters XML cannot hold and cut it to
    Excel's 32,767 characters. Non-text values are returned unchanged.

    This cleans the *text*; to keep a text starting with "=" from becoming a formula in
    openpyxl, write it with :func:`set_text`."""
    if not isinstance(text, str):
        return text
    text = _ILLEGAL_XML.sub("", text)
    return text[:EXCEL_CELL_MAX_CHARS]


def set_text(cell, value: Any):
    """Write ``value`` into an openpyxl cell; user text is always stored as text.

    openpyxl stores any string starting with "=" as a formula; here such text is written as a
    string cell (``data_type = 's'``), and every text starting with a formula trigger gets the
    quote-prefix style, so editing the cell in Excel (F2, Enter) keeps it text. Returns the cell.
    """
    value = excel_safe(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def com_text(value: Any) -> Any:
    """User text for writing through Excel itself (xlwings/COM ``range.value = ...``): a text
    starting with a formula trigger gets a leading apostrophe, which Excel consumes as the
    quote prefix (the cell shows the text, not a formula or a number)."""
    value = excel_safe(value)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
