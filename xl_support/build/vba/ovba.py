"""MS-OVBA compression ([MS-OVBA] section 2.4.1), used for VBA module sources and the dir stream.

A CompressedContainer is the signature byte 0x01 followed by CompressedChunks. Each chunk
holds at most 4096 decompressed bytes; its 2-byte header carries the chunk size minus 3
(12 bits), the signature 0b011 (3 bits) and a "compressed" flag (1 bit). A compressed chunk
is a run of TokenSequences: a flag byte, then 8 tokens (bit set = 2-byte CopyToken,
bit clear = 1 literal byte). A CopyToken packs (offset - 1) and (length - 3) with a split
that depends on how far into the chunk the decompressor is (2.4.1.3.19.1 CopyToken Help).
"""

from __future__ import annotations

import struct

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_CHUNK_SIG_BITS = 0x3000  # 0b011 << 12
_MIN_MATCH = 3


def _copy_token_help(difference: int) -> tuple[int, int, int]:
    """2.4.1.3.19.1: (length_mask, offset_mask, bit_count) for a position ``difference``
    bytes after the start of the decompressed chunk (difference >= 1)."""
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    offset_mask = ~length_mask & 0xFFFF
    return length_mask, offset_mask, bit_count


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """2.4.1.3.7 Compressing a DecompressedChunk, body only (no header).

    Matching (2.4.1.3.19.4) picks the longest earlier match inside the chunk; among equally
    long matches the nearest wins, exactly as the spec's backwards scan with a strict ``>``.
    Candidates are found through a hash chain on 3-byte prefixes, so the result equals the
    spec's exhaustive search, only faster.
    """
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    pos = start
    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len = 0
            best_pos = 0
            key = data[pos:pos + _MIN_MATCH]
            if pos > start and end - pos >= _MIN_MATCH:
                candidates = heads.get(key)
                if candidates:
                    length_mask, _, _ = _copy_token_help(pos - start)
                    max_len = min(length_mask + 3, end - pos)
                    for cand in reversed(candidates):  # nearest first
                        n = _MIN_MATCH
                        while n < max_len and data[cand + n] == data[pos + n]:
                            n += 1
                        if n > best_len:
                            best_len, best_pos = n, cand
                            if n == max_len:
                                break
            if best_len >= _MIN_MATCH:
                length_mask, _, bit_count = _copy_token_help(pos - start)
                token = ((pos - best_pos - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[pos])
                step = 1
            for p in range(pos, pos + step):
                k = data[p:p + _MIN_MATCH]
                if len(k) == _MIN_MATCH:
                    heads.setdefault(k, []).append(p)
            pos += step
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """2.4.1.3.6 Compression algorithm: ``data`` → CompressedContainer.

    A chunk whose compressed body would exceed 4096 bytes is stored raw (2.4.1.3.10); the
    spec pads a short final raw chunk with zero bytes to 4096, so only such incompressible
    tails do not round-trip byte-exactly (VBA text always compresses).
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        end = min(start + CHUNK_SIZE, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= CHUNK_SIZE:
            header = 0x8000 | _CHUNK_SIG_BITS | (len(body) + 2 - 3)
            out += struct.pack("<H", header) + body
        else:
            raw = data[start:end].ljust(CHUNK_SIZE, b"\x00")
            out += struct.pack("<H", _CHUNK_SIG_BITS | (CHUNK_SIZE + 2 - 3)) + raw
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """2.4.1.3.1 Decompression algorithm: CompressedContainer → bytes. Raises ValueError on
    a malformed container (bad signature, bad chunk header, copy token before the chunk)."""
    data = bytes(data)
    if not data or data[0] != _SIGNATURE:
        raise ValueError("MS-OVBA: container signature byte must be 0x01")
    out = bytearray()
    cur = 1
    while cur < len(data):
        if cur + 2 > len(data):
            raise ValueError("MS-OVBA: truncated chunk header")
        (header,) = struct.unpack_from("<H", data, cur)
        if header & 0x7000 != _CHUNK_SIG_BITS:
            raise ValueError("MS-OVBA: invalid CompressedChunkSignature")
        chunk_end = min(cur + (header & 0x0FFF) + 3, len(data))
        cur += 2
        if not header & 0x8000:  # 2.4.1.3.3 raw chunk
            out += data[cur:cur + CHUNK_SIZE]
            cur += CHUNK_SIZE
            continue
        chunk_start = len(out)
        while cur < chunk_end:  # 2.4.1.3.4 token sequences
            flags = data[cur]
            cur += 1
            for bit in range(8):
                if cur >= chunk_end:
                    break
                if flags >> bit & 1:
                    if cur + 2 > chunk_end:
                        raise ValueError("MS-OVBA: truncated copy token")
                    (token,) = struct.unpack_from("<H", data, cur)
                    cur += 2
                    length_mask, offset_mask, bit_count = _copy_token_help(len(out) - chunk_start)
                    length = (token & length_mask) + 3
                    offset = ((token & offset_mask) >> (16 - bit_count)) + 1
                    src = len(out) - offset
                    if src < chunk_start:
                        raise ValueError("MS-OVBA: copy token points before the chunk")
                    for i in range(length):  # may overlap itself
                        out.append(out[src + i])
                else:
                    out.append(data[cur])
                    cur += 1
    return bytes(out)
