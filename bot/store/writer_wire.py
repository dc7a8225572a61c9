"""The messages between the bot and its log writer process (`writer_process.py`).

Each message is its length (4 bytes), then the `marshal` of its value: both ends are the
same Python running the same code, and a log row is only strings, numbers and None, so
marshal is the cheapest faithful encoding (no JSON round trip of every field).

To the writer: (frame number, rows by table). From it: (frame numbers, error or None,
whether the file was created again); the first, with no frame numbers, is a hello.
"""

from __future__ import annotations

import marshal
import struct
from typing import Any

HEADER = struct.Struct("!I")  # each message: its length, then a marshal of its value


def encode(value: Any) -> bytes:
    """One message: length, then the marshalled value (both ends run the same Python)."""
    data = marshal.dumps(value)
    return HEADER.pack(len(data)) + data


def decode(buffer: bytearray) -> list[Any]:
    """The whole messages at the start of `buffer`, removed from it; a partial one stays."""
    messages = []
    start = 0
    while len(buffer) - start >= HEADER.size:
        (size,) = HEADER.unpack_from(buffer, start)
        end = start + HEADER.size + size
        if len(buffer) < end:
            break
        messages.append(marshal.loads(bytes(buffer[start + HEADER.size:end])))
        start = end
    del buffer[:start]
    return messages
