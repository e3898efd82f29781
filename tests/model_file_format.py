"""An independent reader and writer of the core's model file (csrc/model/model_file.hpp), for
tests that craft files: the layout as documented, written here from the documentation.

    magic "CTXSTATS", u32 version, u32 record count, records, u64 FNV-1a checksum of all
    bytes before it; a record: u32 name length, name, u8 type (1 doubles, 2 int64, 3 strings),
    u8 ndim, u64 dims, payload (8 bytes per number; strings: u64 length + UTF-8 bytes each).
"""
import struct

import numpy as np


def fnv1a(data: bytes) -> int:
    h = 1469598103934665603
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def parse(raw: bytes) -> dict:
    """name -> (type, shape, values) of a well-formed file."""
    assert raw[:8] == b"CTXSTATS"
    version, count = struct.unpack_from("<II", raw, 8)
    assert version == 1
    pos, out = 16, {}
    for _ in range(count):
        (nlen,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        name = raw[pos:pos + nlen].decode()
        pos += nlen
        typ, ndim = struct.unpack_from("<BB", raw, pos)
        pos += 2
        shape = struct.unpack_from(f"<{ndim}Q", raw, pos)
        pos += 8 * ndim
        size = int(np.prod(shape)) if ndim else 1
        if typ in (1, 2):
            values = np.frombuffer(raw, dtype="<f8" if typ == 1 else "<i8", count=size, offset=pos).copy()
            pos += 8 * size
        else:
            values = []
            for _ in range(size):
                (slen,) = struct.unpack_from("<Q", raw, pos)
                pos += 8
                values.append(raw[pos:pos + slen].decode())
                pos += slen
        out[name] = (typ, tuple(shape), values)
    assert fnv1a(raw[:pos]) == struct.unpack_from("<Q", raw, pos)[0]
    return out


def serialize(records: dict) -> bytes:
    body = bytearray(b"CTXSTATS" + struct.pack("<II", 1, len(records)))
    for name, (typ, shape, values) in records.items():
        body += struct.pack("<I", len(name)) + name.encode() + struct.pack("<BB", typ, len(shape))
        body += struct.pack(f"<{len(shape)}Q", *shape)
        if typ in (1, 2):
            body += np.asarray(values, dtype="<f8" if typ == 1 else "<i8").tobytes()
        else:
            for s in values:
                b = s.encode()
                body += struct.pack("<Q", len(b)) + b
    return bytes(body) + struct.pack("<Q", fnv1a(bytes(body)))


def doubles(values) -> tuple:
    v = np.asarray(values, dtype=float).ravel()
    return (1, (v.size,), v)
