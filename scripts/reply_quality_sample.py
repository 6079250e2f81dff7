#!/usr/bin/env python3
"""Draw the hand-labelled reply-quality sample from the teddy2020 replies file.

Every row gets the key sha256("reply-quality-gold-v1:" + 留言编号). Rows are sorted by that key,
so the order is fixed by the ids alone and needs no random generator state.

Two strata, drawn in key order and never overlapping:

* ``random``: the first 90 rows of the whole file.
* ``risk``: the first 40 further rows that are short (reply under 150 characters) or slow
  (reply more than 30 calendar days after the message). Official replies in this data are
  mostly decent, so this stratum adds enough poor replies for the agreement figures to mean
  something. The ``random`` stratum alone gives the unbiased estimate.

Prints CSV with the columns 留言编号, stratum, in draw order.

Usage: scripts/reply_quality_sample.py [REPLIES_CSV]
(default: the teddy2020 replies file of the shared data folder beside the checkout)
"""

import csv
import hashlib
import sys
from datetime import datetime

SALT = "reply-quality-gold-v1:"
RANDOM_SIZE = 90
RISK_SIZE = 40
SHORT_CHARS = 150
SLOW_DAYS = 30


def sample_key(message_id: str) -> str:
    return hashlib.sha256((SALT + message_id).encode("utf-8")).hexdigest()


def is_risky(row: dict) -> bool:
    if len(row["答复意见"].strip()) < SHORT_CHARS:
        return True
    try:
        submitted = datetime.strptime(row["留言时间"], "%Y-%m-%d %H:%M:%S")
        replied = datetime.strptime(row["答复时间"], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return (replied - submitted).days > SLOW_DAYS


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/teddy2020/replies_train.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: sample_key(r["留言编号"]))

    random_rows = rows[:RANDOM_SIZE]
    risk_rows = [r for r in rows[RANDOM_SIZE:] if is_risky(r)][:RISK_SIZE]

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["留言编号", "stratum"])
    for row in random_rows:
        out.writerow([row["留言编号"], "random"])
    for row in risk_rows:
        out.writerow([row["留言编号"], "risk"])


if __name__ == "__main__":
    main()
