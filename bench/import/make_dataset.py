#!/usr/bin/env python3
"""Write a synthetic request CSV for the import benchmark, built from real messages.

The rows cycle through the 6,718 messages of messages_train.csv (TeddyCup 2020) and keep
its header, so CityAI matches the columns exactly as it does for the real file. Each row gets
a unique 留言编号 (9000000 + row index), a user id and a submission time in 2019. From the
second pass over the source on, the body ends in "（第N次反映）" so that bodies differ between
passes. The same arguments always write the same file, because the random generator has a
fixed seed.

Usage: make_dataset.py OUTPUT.csv [ROWS] [--source SOURCE.csv]
"""

import argparse
import csv
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "teddy2020" / "messages_train.csv"
DEFAULT_ROWS = 100_000
FIRST_EXTERNAL_ID = 9_000_000
SEED = 20200101
YEAR_START = datetime(2019, 1, 1)
SECONDS_IN_2019 = 365 * 24 * 60 * 60


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="path of the CSV file to write")
    parser.add_argument(
        "rows", type=int, nargs="?", default=DEFAULT_ROWS,
        help=f"number of data rows to write (default {DEFAULT_ROWS})",
    )
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE,
        help="messages_train.csv to take titles, bodies and labels from "
        "(default: ../shared/data/teddy2020/messages_train.csv beside the repository)",
    )
    args = parser.parse_args()
    if args.rows < 1:
        parser.error(f"ROWS must be at least 1, got {args.rows}")
    return args


def read_source(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            messages = list(reader)
            header = list(reader.fieldnames or [])
    except FileNotFoundError:
        sys.exit(f"make_dataset.py: source file not found: {path} (pass --source PATH)")
    if not messages:
        sys.exit(f"make_dataset.py: source file has no data rows: {path}")
    return header, messages


def main() -> None:
    args = parse_args()
    header, messages = read_source(args.source)
    rng = random.Random(SEED)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for index in range(args.rows):
            message = messages[index % len(messages)]
            repeat = index // len(messages) + 1
            submitted = YEAR_START + timedelta(seconds=rng.randrange(SECONDS_IN_2019))

            row = dict(message)
            row["留言编号"] = str(FIRST_EXTERNAL_ID + index)
            row["留言用户"] = f"U{rng.randrange(1, 200_000):07d}"
            row["留言时间"] = submitted.strftime("%Y-%m-%d %H:%M:%S")
            if repeat > 1:
                row["留言详情"] = f"{message['留言详情']}（第{repeat}次反映）"
            row["record_id"] = f"bench{index:07d}"
            writer.writerow(row)


if __name__ == "__main__":
    main()
