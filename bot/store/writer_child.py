"""The log's writer process: reads batches of rows from its socket, commits them, says so.

Started by `writer_process.ProcessWriter` with one end of a socket pair. Each batch
("frame") it receives is committed in one transaction with the frames that arrived with
it (up to `max_batch` rows), through the same `BatchWriter` the in-process writer thread
uses; then it sends one acknowledgement for those frames: their numbers, the error if the
transaction failed, and whether the file had to be created again. The first message is a
hello: it says whether the database could be opened at all.

It ignores SIGINT and SIGTERM, which a terminal or a service manager also sends to the
bot's children: the bot drains its requests, then closes the socket, and this process
commits what it was sent before it exits. It ignores SIGHUP too: the bot reloads its
knowledge on SIGHUP, and a `kill -HUP` to the whole group (or a closing terminal) killed
this process, failing the rows it had not confirmed. It exits when the socket closes, so it never
outlives the bot.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.store.sqlite import SQL, prepare_file
from bot.store.sqlite_file import BatchWriter, RowsByTable
from bot.store.writer_wire import decode, encode

Frame = tuple[int, RowsByTable]  # (frame number, rows by table)


def groups(frames: list[Frame], max_batch: int) -> Iterator[list[Frame]]:
    """Consecutive frames, as many per transaction as fit in `max_batch` rows (at least one)."""
    group: list[Frame] = []
    rows = 0
    for frame in frames:
        size = sum(len(table_rows) for table_rows in frame[1].values())
        if group and rows + size > max_batch:
            yield group
            group, rows = [], 0
        group.append(frame)
        rows += size
    if group:
        yield group


def merged(group: list[Frame]) -> RowsByTable:
    rows: RowsByTable = {}
    for _, frame_rows in group:
        for table, table_rows in frame_rows.items():
            rows.setdefault(table, []).extend(table_rows)
    return rows


def serve(sock: socket.socket, writer: BatchWriter, max_batch: int) -> None:
    """Commit and acknowledge frames until the socket closes."""
    buffer = bytearray()
    while data := sock.recv(1 << 20):
        buffer += data
        for group in groups(decode(buffer), max_batch):
            error: tuple[str, str] | None = None
            recreated = False
            try:
                recreated = writer.write(merged(group))
            except Exception as failed:  # the bot hands these rows to its spool
                error = (type(failed).__name__, str(failed))
            sock.sendall(encode(([number for number, _ in group], error, recreated)))


def main(argv: list[str]) -> int:
    path, fd, busy_timeout, max_batch = Path(argv[0]), int(argv[1]), float(argv[2]), int(argv[3])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sock = socket.socket(fileno=fd)
    try:  # the bot gone is no error to print: this process's output is the bot's log
        try:
            writer = BatchWriter(path, busy_timeout, SQL.insert,
                                 lambda conn: prepare_file(conn, str(path), busy_timeout))
        except Exception as failed:
            sock.sendall(encode(([], (type(failed).__name__, str(failed)), False)))
            return 1
        try:
            sock.sendall(encode(([], None, False)))  # hello: the database is open
            serve(sock, writer, max_batch)
        finally:
            writer.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # nobody is waiting for an answer
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
