"""Reference for the knowledge search benchmark: BM25 (rank_bm25's BM25Okapi, k1=1.5,
b=0.75 defaults) over jieba search-mode words, in pure Python.

Usage: python rank_bm25_baseline.py EXPORT.jsonl [QUERIES]

EXPORT.jsonl comes from `bench_knowledge --export`: chunk lines {"id", "text"}, then query
lines {"query"}. Text is folded as CityAI folds it (Traditional to Simplified with the same
character table, lowercase). Only the words are indexed: there is no bigram field, so this
side does less work per query than CityAI. Prints one JSON line.
"""
import json
import re
import statistics
import sys
import time
from pathlib import Path

import jieba
import numpy as np
from rank_bm25 import BM25Okapi

TABLE = Path(__file__).resolve().parents[2] / "crates/cityai-knowledge/src/fold/t2s_table.rs"


def load_fold():
    pairs = dict(re.findall(r"\('(.)', '(.)'\)", TABLE.read_text(encoding="utf-8")))
    table = str.maketrans(pairs)
    return lambda text: text.translate(table).lower()


def tokens(fold, text):
    return [w.strip() for w in jieba.cut_for_search(fold(text)) if any(c.isalnum() for c in w)]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: rank_bm25_baseline.py EXPORT.jsonl [QUERIES]")
    query_limit = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    jieba.setLogLevel(60)
    jieba.initialize()
    fold = load_fold()

    ids, texts, queries = [], [], []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if "query" in row:
                queries.append(row["query"])
            else:
                ids.append(row["id"])
                texts.append(row["text"])

    start = time.perf_counter()
    corpus = [tokens(fold, text) for text in texts]
    bm25 = BM25Okapi(corpus)
    build_seconds = time.perf_counter() - start

    latencies = []
    for query in queries[:query_limit]:
        start = time.perf_counter()
        words = list(dict.fromkeys(tokens(fold, query)))
        scores = bm25.get_scores(words)
        top = np.argpartition(-scores, 10)[:10]
        top = top[np.argsort(-scores[top])]
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    print(json.dumps({
        "chunks": len(texts),
        "build_seconds": build_seconds,
        "chunks_per_second": len(texts) / build_seconds,
        "queries": len(latencies),
        "median_ms": statistics.median(latencies),
        "p95_ms": latencies[round((len(latencies) - 1) * 0.95)],
    }))


if __name__ == "__main__":
    main()
