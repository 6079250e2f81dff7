#!/usr/bin/env python3
"""Import a request CSV into SQLite the way a careful Python engineer would, as a reference.

This is the comparison side of bench/import/run.sh, and it does the same kinds of work as
`cityai import requests` does on the messages_train.csv header. It reads the file with the csv
module, validates dates with datetime.strptime, normalises whitespace and computes a SHA-256
content hash per row. It then stores every good row in one transaction, with executemany and
INSERT OR IGNORE on a UNIQUE dedup key.

The `requests` table, its indexes and the pragmas (WAL, synchronous=NORMAL, foreign keys)
copy CityAI's SQLite schema in crates/cityai-store/migrations/sqlite. The text normalisation,
content hash and dedup key follow CityAI's, so both sides store the same values for the
benchmark file, and run.sh checks this. Unlike CityAI, it reads only UTF-8 files with this one
header, and it does not look up departments or check that a duplicate external id carries the
same content.

Prints one JSON line: {"imported": N, "duplicates": N, "rejected": N, "seconds": S}.

Usage: baseline.py DATABASE.db FILE.csv
"""

import argparse
import csv
import hashlib
import json
import re
import sqlite3
import struct
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

SOURCE = "import"
CHANNEL = "import"
# Times without a zone are China Standard Time, as CityAI assumes by default.
CITY_OFFSET = timezone(timedelta(hours=8))
REQUIRED_COLUMNS = ("留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签")
DATE_LAYOUTS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")

SCHEMA = """
CREATE TABLE IF NOT EXISTS categories (
    path TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level INTEGER NOT NULL,
    parent_path TEXT REFERENCES categories (path),
    department_code TEXT
);
CREATE TABLE IF NOT EXISTS import_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    source TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    imported INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT,
    channel TEXT NOT NULL,
    title TEXT,
    body TEXT NOT NULL,
    submitted_at TEXT,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    citizen_ref TEXT,
    place_text TEXT,
    latitude REAL,
    longitude REAL,
    status TEXT NOT NULL,
    category_path TEXT,
    department_code TEXT,
    routing_confidence REAL,
    model_version TEXT,
    support_votes INTEGER,
    objection_votes INTEGER,
    import_batch_id INTEGER REFERENCES import_batches (id)
);
CREATE INDEX IF NOT EXISTS requests_status_idx ON requests (status);
CREATE INDEX IF NOT EXISTS requests_category_idx ON requests (category_path);
CREATE INDEX IF NOT EXISTS requests_department_idx ON requests (department_code);
CREATE INDEX IF NOT EXISTS requests_received_idx ON requests (received_at);
CREATE INDEX IF NOT EXISTS requests_submitted_idx ON requests (submitted_at);
"""

INSERT_REQUEST = """
INSERT OR IGNORE INTO requests (
    dedup_key, content_hash, source, external_id, channel, title, body, submitted_at,
    received_at, updated_at, citizen_ref, status, category_path, import_batch_id
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

SPACES = re.compile(r"[ \t\u3000\u00a0\u2002-\u200a]+")
BLANK_LINES = re.compile(r"\n{3,}")
# Full-width digits and Latin letters become ASCII. Zero-width characters and the C0 and C1
# controls other than tab and newline are dropped. Chinese punctuation stays as written.
FOLD = {code: code - 0xFEE0 for block in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
        for code in range(block[0], block[1] + 1)}
FOLD.update({code: None for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                     *range(0x7F, 0xA0), 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})


def normalise(text: str) -> str:
    """Fold full-width letters and digits, collapse spaces, trim lines, keep one blank line."""
    text = text.replace("_x000D_", "").replace("\r\n", "\n").replace("\r", "\n").translate(FOLD)
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_time(value: str) -> str | None:
    """Parse the local time `value` into RFC 3339 UTC text, or raise ValueError."""
    for layout in DATE_LAYOUTS:
        try:
            local = datetime.strptime(value, layout)
        except ValueError:
            continue
        return local.replace(tzinfo=CITY_OFFSET).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(f"invalid date: {value!r}")


def content_hash(*parts: str | None) -> str:
    """Hash the parts with a length prefix each, and 0xff for a missing part, as CityAI does."""
    hasher = hashlib.sha256()
    for part in parts:
        if part is None:
            hasher.update(b"\xff")
        else:
            encoded = part.encode("utf-8")
            hasher.update(struct.pack("<Q", len(encoded)))
            hasher.update(encoded)
    return hasher.hexdigest()


def read_rows(path: Path, now: str) -> tuple[list[tuple], set[str], int]:
    """Read and validate the CSV.

    Return the insert parameters of the good rows, the category names and the number of
    rejected rows.
    """
    rows: list[tuple] = []
    categories: set[str] = set()
    rejected = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            sys.exit(f"baseline.py: {path}: missing columns: {', '.join(missing)}. "
                     "This reference reads only files with the messages_train.csv header.")
        for record in reader:
            body = normalise(record["留言详情"] or "")
            if not body:
                rejected += 1
                continue
            time_text = (record["留言时间"] or "").strip()
            try:
                submitted_at = parse_time(time_text) if time_text else None
            except ValueError:
                rejected += 1
                continue
            external_id = normalise(record["留言编号"] or "") or None
            title = normalise(record["留言主题"] or "") or None
            citizen_ref = normalise(record["留言用户"] or "") or None
            category = normalise(record["一级标签"] or "") or None
            if category:
                categories.add(category)

            digest = content_hash(title, body, submitted_at, citizen_ref)
            dedup_key = f"id:{SOURCE}:{external_id}" if external_id else f"sha256:{digest}"
            status = "assigned" if category else "received"
            rows.append((
                dedup_key, digest, SOURCE, external_id, CHANNEL, title, body, submitted_at,
                now, now, citizen_ref, status, category,
            ))
    return rows, categories, rejected


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="SQLite database file, created if missing")
    parser.add_argument("csv_file", type=Path, help="request CSV with the messages_train.csv header")
    args = parser.parse_args()
    if not args.csv_file.is_file():
        sys.exit(f"baseline.py: CSV file not found: {args.csv_file}")

    started = time.perf_counter()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows, categories, rejected = read_rows(args.csv_file, now)

    connection = sqlite3.connect(args.database, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(SCHEMA)

    connection.execute("BEGIN")
    batch_id = connection.execute(
        "INSERT INTO import_batches (file_name, file_sha256, format, encoding, source, rows_total, "
        "imported, duplicates, rejected, started_at, finished_at) "
        "VALUES (?, ?, 'csv', 'UTF-8', ?, ?, 0, 0, 0, ?, ?)",
        (args.csv_file.name, file_sha256(args.csv_file), SOURCE, len(rows) + rejected, now, now),
    ).lastrowid
    connection.executemany(
        "INSERT OR IGNORE INTO categories (path, name, level) VALUES (?, ?, 1)",
        [(name, name) for name in sorted(categories)],
    )
    changes_before = connection.total_changes
    connection.executemany(INSERT_REQUEST, (row + (batch_id,) for row in rows))
    imported = connection.total_changes - changes_before
    duplicates = len(rows) - imported
    finished = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    connection.execute(
        "UPDATE import_batches SET imported = ?, duplicates = ?, rejected = ?, finished_at = ? "
        "WHERE id = ?",
        (imported, duplicates, rejected, finished, batch_id),
    )
    connection.execute("COMMIT")
    connection.close()

    print(json.dumps({
        "imported": imported,
        "duplicates": duplicates,
        "rejected": rejected,
        "seconds": round(time.perf_counter() - started, 3),
    }))


if __name__ == "__main__":
    main()
