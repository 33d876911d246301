#!/usr/bin/env python3
"""Strata's SQLite steps for backup.sh and restore-drill.sh (kind sqlite), through Python's sqlite3 module.

Usage: sqlite_tool.py COMMAND ARGS
  backup SOURCE COPY   online copy of SOURCE into COPY (a new file); prints SOURCE's journal mode
  check DATABASE       PRAGMA integrity_check of a scratch copy; prints its result, exit 0 only when it is "ok"
  counts DATABASE      one "table<TAB>rows" line per table of a scratch copy, ordered by name
  version              the SQLite library version
Environment (backup): SQLITE_BUSY_TIMEOUT_MS (default 30000), SQLITE_WRITER_WAIT_SECONDS (default 60).
Exit codes: 0 ok | 1 failed (the reason on stderr) | 2 usage.

Why Python and not the sqlite3 shell's `.backup`: the shell copies 100 pages per sqlite3_backup_step() and releases
its read lock between steps, so every commit of the application restarts the copy from page one; beside a writer that
commits every few seconds, a database of some size is never copied. Connection.backup(pages=-1) copies everything
in one step, inside one read transaction: one consistent snapshot, and in WAL mode the writer keeps committing (into
the WAL) while the copy runs. Only the WAL grows meanwhile, because checkpoints cannot pass an open reader.

SOURCE is opened read-only (mode=ro), and the job mounts the application's volume read-only, so the backup can never
change the application's files, not even create its -wal or -shm. SQLite (3.22+) reads a WAL database without write
access as long as its -wal and -shm files exist, which they do whenever the writer has the database open. When every
connection has closed, the last one deletes them; the copy then waits SQLITE_WRITER_WAIT_SECONDS for the writer to
open the database again (an application that opens it per batch), and fails naming the cause otherwise.
"""

import os
import sqlite3
import sys
import time
import urllib.parse

HEADER_MAGIC = b"SQLite format 3\x00"


def uri(path, **params):
    """A file: URI for `path` (quoted: `?`, `#` and `%` in a file name are not parameters)."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{urllib.parse.quote(os.path.abspath(path))}?{query}"


def is_wal_without_writer(path):
    """A WAL-mode database whose -wal file is gone: no connection has it open (the last one to close deletes it)."""
    with open(path, "rb") as f:
        header = f.read(100)
    # Bytes 18 and 19 are the file format's write and read versions: 2 means WAL.
    return header[:16] == HEADER_MAGIC and header[18] == 2 and not os.path.exists(path + "-wal")


def copy_once(source, copy, busy_timeout_s):
    for leftover in (copy, copy + "-journal"):
        if os.path.exists(leftover):
            os.remove(leftover)
    src = sqlite3.connect(uri(source, mode="ro"), uri=True, timeout=busy_timeout_s, isolation_level=None)
    try:
        journal_mode = src.execute("PRAGMA journal_mode").fetchone()[0]
        dst = sqlite3.connect(copy, isolation_level=None)
        try:
            # pages=-1: the whole database in one step, so in one read transaction (see the module's docstring).
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()
    return journal_mode


def backup(source, copy):
    busy_timeout_s = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000")) / 1000
    deadline = time.monotonic() + int(os.environ.get("SQLITE_WRITER_WAIT_SECONDS", "60"))
    if not os.path.isfile(source):
        print(f"{source} does not exist or is not a file", file=sys.stderr)
        return 1
    while True:
        try:
            print(copy_once(source, copy, busy_timeout_s))
            return 0
        except sqlite3.Error as e:
            waiting = is_wal_without_writer(source)
            if not waiting or time.monotonic() >= deadline:
                hint = (
                    " (a WAL database without its -wal file: no writer had it open, and a read-only reader cannot"
                    " create that file; the backup runs beside the running writer)"
                    if waiting
                    else ""
                )
                print(f"online copy of {source} failed: {e}{hint}", file=sys.stderr)
                return 1
        time.sleep(1)


def open_scratch(path):
    # A scratch copy nothing else opens: immutable skips locking and never creates -wal/-shm files beside it.
    return sqlite3.connect(uri(path, immutable=1), uri=True, isolation_level=None)


def check(path):
    db = open_scratch(path)
    try:
        rows = [str(r[0]) for r in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()
    print("\n".join(rows))
    return 0 if rows == ["ok"] else 1


def tsv_field(name):
    # Table names may hold any character; keep one table per line and the tab as the only separator.
    return name.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def counts(path):
    db = open_scratch(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            (rows,) = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()
            print(f"{tsv_field(table)}\t{rows}")
    finally:
        db.close()
    return 0


def version():
    print(f"SQLite {sqlite3.sqlite_version}")
    return 0


def main(argv):
    commands = {"backup": (backup, 2), "check": (check, 1), "counts": (counts, 1), "version": (version, 0)}
    if len(argv) < 1 or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        print("\n\n".join(__doc__.split("\n\n")[:2]), file=sys.stderr)
        return 2
    fn, _ = commands[argv[0]]
    try:
        return fn(*argv[1:])
    except (sqlite3.Error, OSError) as e:
        print(f"{argv[0]} failed: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
