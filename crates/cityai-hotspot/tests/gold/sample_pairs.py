"""Sample candidate message pairs for the hand-labelled duplicate gold set.

The sampling uses none of the crate's code, so the gold set is not biased toward the
detector's own decisions. Three strata, each drawn with a fixed seed:

- random: two messages drawn uniformly at random;
- shared_place: a place-like token (2 to 6 characters before a place suffix such as 小区, 路
  or 学校, found by one naive regular expression) drawn at random, then two messages whose
  title or body contain it;
- high_overlap: pairs whose raw character-bigram Jaccard similarity over title and body is
  at least 0.15, among pairs that share at least three title bigrams, drawn evenly from
  three similarity bands.

Usage: python3 sample_pairs.py HOTSPOT_CSV > candidates.tsv
Prints id_a, id_b, stratum, similarity, then both titles and the first 160 characters of
both bodies, for reading and labelling by hand.
"""

import csv
import random
import re
import sys
from collections import defaultdict
from itertools import combinations

SEED = 20200101
PLACE_RE = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9]{2,6}?)(小区|花园|苑|路|街道|社区|村|学校|小学|中学|学院|公司|医院|广场|大道)"
)
GENERIC = {"一个", "这个", "我们", "他们", "道路", "马路", "公路", "本村", "我村", "该公司", "公司"}


def bigrams(text):
    return {text[i : i + 2] for i in range(len(text) - 1)}


def jaccard(a, b):
    return len(a & b) / len(a | b) if a and b else 0.0


def main():
    rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
    rng = random.Random(SEED)
    by_id = {r["留言编号"]: r for r in rows}
    ids = sorted(by_id)
    grams = {i: bigrams(by_id[i]["留言主题"] + by_id[i]["留言详情"]) for i in ids}
    pairs = {}

    # random
    while len(pairs) < 60:
        a, b = sorted(rng.sample(ids, 2))
        pairs.setdefault((a, b), ("random", jaccard(grams[a], grams[b])))

    # shared_place
    holders = defaultdict(set)
    for i in ids:
        for m in PLACE_RE.finditer(by_id[i]["留言主题"] + "。" + by_id[i]["留言详情"]):
            token = m.group(1) + m.group(2)
            if m.group(1) not in GENERIC and token not in GENERIC:
                holders[token].add(i)
    tokens = sorted(t for t, h in holders.items() if 2 <= len(h) <= 200)
    target = len(pairs) + 100
    while len(pairs) < target:
        token = rng.choice(tokens)
        a, b = sorted(rng.sample(sorted(holders[token]), 2))
        pairs.setdefault((a, b), ("shared_place:" + token, jaccard(grams[a], grams[b])))

    # high_overlap
    title_index = defaultdict(list)
    for i in ids:
        for g in bigrams(by_id[i]["留言主题"]):
            title_index[g].append(i)
    shared = defaultdict(int)
    for g, holders_g in title_index.items():
        if len(holders_g) > 150:
            continue
        for a, b in combinations(holders_g, 2):
            shared[tuple(sorted((a, b)))] += 1
    bands = {(0.15, 0.3): [], (0.3, 0.5): [], (0.5, 1.01): []}
    for (a, b), n in sorted(shared.items()):
        if n < 3:
            continue
        s = jaccard(grams[a], grams[b])
        for (lo, hi), band in bands.items():
            if lo <= s < hi:
                band.append((a, b, s))
    for band in bands.values():
        rng.shuffle(band)
        taken = 0
        for a, b, s in band:
            if taken == 30:
                break
            if (a, b) not in pairs:
                pairs[(a, b)] = ("high_overlap", s)
                taken += 1

    w = csv.writer(sys.stdout, delimiter="\t")
    for (a, b), (stratum, s) in pairs.items():
        ra, rb = by_id[a], by_id[b]
        w.writerow([a, b, stratum, f"{s:.3f}", ra["留言时间"][:10], rb["留言时间"][:10],
                    ra["留言主题"], rb["留言主题"],
                    ra["留言详情"][:160].replace("\n", " "), rb["留言详情"][:160].replace("\n", " ")])


if __name__ == "__main__":
    main()
