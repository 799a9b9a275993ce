"""A minimal, deterministic Compound File Binary writer ([MS-CFB], version 3).

Only what a vbaProject.bin needs: 512-byte sectors, one FAT of at most 109 sectors (no DIFAT
sectors, files up to ~6.8 MB), streams below 4096 bytes in the mini stream (64-byte mini
sectors), zero timestamps and CLSIDs. Sibling trees are balanced binary search trees in CFB
order (2.6.4) coloured as valid red-black trees.

Layout: header | FAT sectors | directory sectors | mini FAT sectors | mini stream | big streams.
"""

from __future__ import annotations

import struct
from typing import Mapping, Union

Tree = Mapping[str, Union[bytes, "Tree"]]

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
MAX_NAME_CHARS = 31

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

_TYPE_STORAGE, _TYPE_STREAM, _TYPE_ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


def cfb_name_key(name: str) -> tuple[int, str]:
    """2.6.4: siblings compare by UTF-16 length first, then by upper-cased name."""
    return (len(name.encode("utf-16-le")), name.upper())


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data
        self.left = self.right = self.child = NOSTREAM
        self.color = _BLACK
        self.start = 0 if kind == _TYPE_STORAGE else ENDOFCHAIN   # 2.6.3: storages MUST hold 0
        self.size = 0


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME_CHARS or any(c in name for c in "/\\:!"):
        raise ValueError(f"CFB: invalid entry name {name!r}")


def _flatten(tree: Tree) -> list[_Entry]:
    """Directory entries in stream-ID order (root first, then depth-first), with siblings
    linked as balanced red-black trees."""
    root = _Entry("Root Entry", _TYPE_ROOT)
    entries = [root]

    def add_children(parent: _Entry, children: Tree) -> None:
        names = sorted(children, key=cfb_name_key)
        keys = [cfb_name_key(n) for n in names]
        if len(set(keys)) != len(keys):
            raise ValueError("CFB: duplicate names (case-insensitive) in one storage")
        ids = []
        for name in names:
            _check_name(name)
            value = children[name]
            if isinstance(value, (bytes, bytearray)):
                entry = _Entry(name, _TYPE_STREAM, bytes(value))
            elif isinstance(value, Mapping):
                entry = _Entry(name, _TYPE_STORAGE)
            else:
                raise TypeError(f"CFB: {name!r} must be bytes or a mapping")
            ids.append(len(entries))
            entries.append(entry)
        parent.child = _link_balanced(entries, ids)
        for name, sid in zip(names, ids):
            if entries[sid].kind == _TYPE_STORAGE:
                add_children(entries[sid], children[name])

    add_children(root, tree)
    return entries


def _link_balanced(entries: list[_Entry], ids: list[int]) -> int:
    """Link sorted sibling ids as a median-split tree; return the subtree root id.

    Such a tree has every level full except the deepest, so colouring the deepest level red
    and the rest black satisfies the red-black rules (equal black height, no red-red)."""
    if not ids:
        return NOSTREAM
    depth_of: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        sid = ids[mid]
        depth_of[sid] = depth
        entries[sid].left = build(lo, mid, depth + 1)
        entries[sid].right = build(mid + 1, hi, depth + 1)
        return sid

    top = build(0, len(ids), 0)
    deepest = max(depth_of.values())
    full = len(ids) == 2 ** (deepest + 1) - 1
    for sid, depth in depth_of.items():
        entries[sid].color = _RED if (depth == deepest and deepest > 0 and not full) else _BLACK
    return top


def _sectors(n_bytes: int, size: int) -> int:
    return -(-n_bytes // size)


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name) + 2, e.kind, e.color, e.left, e.right, e.child,
        b"\x00" * 16, 0, 0, 0, e.start, e.size,
    )


_UNUSED_ENTRY = struct.pack(
    "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0
)


def write_cfb(tree: Tree) -> bytes:
    """Serialise ``{name: bytes | {…}}`` (streams and storages under the root) to a CFB v3
    file. Same tree → same bytes."""
    entries = _flatten(tree)
    streams = [e for e in entries if e.kind == _TYPE_STREAM]
    small = [e for e in streams if 0 < len(e.data) < MINI_CUTOFF]
    big = [e for e in streams if len(e.data) >= MINI_CUTOFF]

    # Mini stream: small streams back to back, each padded to whole mini sectors.
    minifat: list[int] = []
    mini = bytearray()
    for e in small:
        n = _sectors(len(e.data), MINI_SECTOR)
        e.start, e.size = len(minifat), len(e.data)
        minifat += list(range(e.start + 1, e.start + n)) + [ENDOFCHAIN]
        mini += e.data.ljust(n * MINI_SECTOR, b"\x00")
    for e in streams:
        if not e.data:
            e.start, e.size = ENDOFCHAIN, 0

    n_dir = _sectors(len(entries) * 128, SECTOR)
    n_minifat = _sectors(len(minifat) * 4, SECTOR)
    n_mini = _sectors(len(mini), SECTOR)
    n_big = [_sectors(len(e.data), SECTOR) for e in big]
    n_data = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_data:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("CFB: file too large for a header-only DIFAT")

    fat: list[int] = [FATSECT] * n_fat
    next_free = n_fat

    def chain(n: int) -> int:
        nonlocal next_free
        if n == 0:
            return ENDOFCHAIN
        first = next_free
        fat.extend(list(range(first + 1, first + n)) + [ENDOFCHAIN])
        next_free += n
        return first

    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat)
    root = entries[0]
    root.start = chain(n_mini)
    root.size = len(mini)
    for e, n in zip(big, n_big):
        e.start, e.size = chain(n), len(e.data)
    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"), b"\x00" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6,
        b"\x00" * 6, 0, n_fat, dir_start, 0, MINI_CUTOFF,
        minifat_start, n_minifat, ENDOFCHAIN, 0,
    )
    difat = list(range(n_fat)) + [FREESECT] * (109 - n_fat)
    header += struct.pack("<109I", *difat)

    def pad(b: bytes | bytearray, fill: bytes = b"\x00") -> bytes:
        n = _sectors(len(b), SECTOR) * SECTOR
        return bytes(b) + fill * ((n - len(b)) // len(fill))

    body = bytearray(header)
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += pad(b"".join(_dir_entry(e) for e in entries), _UNUSED_ENTRY)
    body += pad(struct.pack(f"<{len(minifat)}I", *minifat), struct.pack("<I", FREESECT))
    body += pad(mini)
    for e in big:
        body += pad(e.data)
    return bytes(body)
