"""Damaged packages for the tests of the reading (a zip entry whose CRC-32 is not its bytes')."""
import struct
import zipfile
from pathlib import Path


def spoil_crc(path: Path, part: str) -> None:
    """Declare a wrong CRC-32 for `part`, in its local header and in the central directory alike
    (so only a reader that checks the bytes sees it)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    struct.pack_into("<I", data, info.header_offset + 14, info.CRC ^ 1)          # local header
    name = part.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:                                                             # central directory
        if data[at + 46:at + 46 + len(name)] == name:
            struct.pack_into("<I", data, at + 16, info.CRC ^ 1)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
