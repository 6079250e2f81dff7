#!/usr/bin/env python3
"""Train and run the scikit-learn reference router, for bench/routing/run.sh.

The reference is TfidfVectorizer over character 1- to 3-grams (sublinear tf, min_df 2) with
LinearSVC(C=1.0), the pipeline the router's speed target is measured against. The --tol option
sets LinearSVC's stopping tolerance, for a run with the tolerance of CityAI's solver (0.1). The
script uses the same file, split and text as crates/cityai-routing/examples/bench_routing.rs:

- split: a row is a test row when the FNV-1a 64-bit hash of the UTF-8 bytes of its
  record_id is divisible by 5, and a training row otherwise;
- text: the title, "。" and the body (the title only when it is not blank), normalised as
  cityai_text::normalize does, with all whitespace and "*" removed, as
  cityai_routing::prepare_text does. The vectorizer gets lowercase=False, so both sides see
  the same characters.

Two measures are timed. The first is vectorize + fit + predict: fit_transform on the training
texts, LinearSVC.fit, then transform and predict on all test texts at once. LinearSVC gets
random_state=0, which fixes the order of its coordinate descent, so reruns give the same
model. The text preparation above happens before the clock starts. The second is per-request
routing: transform and decision_function for one text at a time, over the test rows, pass
after pass, until at least --route-seconds have passed.

Everything runs on one thread. LIBLINEAR, which LinearSVC calls, is single-threaded, and the
BLAS and OpenMP thread pools are limited to 1 before numpy is imported.

Prints one JSON line.

Usage: sklearn_baseline.py [--tol TOL] [--route-seconds S] [FILE.csv]
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

DEFAULT_CSV = "../shared/data/teddy2020/messages_train.csv"

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK_64 = (1 << 64) - 1

# cityai_text::normalize maps full-width digits and Latin letters to ASCII and drops
# zero-width characters and the byte-order mark. It turns other spaces into " ", which the
# whitespace removal below drops anyway.
FULL_WIDTH = [range(0xFF10, 0xFF1A), range(0xFF21, 0xFF3B), range(0xFF41, 0xFF5B)]
TRANSLATION = {code: code - 0xFEE0 for block in FULL_WIDTH for code in block}
TRANSLATION.update({code: None for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})
# Control characters (Unicode category Cc), whitespace and the "*" that masking leaves.
# Python's \s matches the characters for which str.isspace() is true. Apart from control
# characters, which are removed here anyway, these are the characters for which Rust's
# char::is_whitespace is true.
REMOVED = re.compile(r"[\s*\x00-\x1f\x7f-\x9f]")


def fnv1a64(data: bytes) -> int:
    """Return the FNV-1a 64-bit hash of data."""
    hash_value = FNV_OFFSET
    for byte in data:
        hash_value = ((hash_value ^ byte) * FNV_PRIME) & MASK_64
    return hash_value


def prepare_text(title: str, body: str) -> str:
    """Prepare a message as cityai_routing::prepare_text does."""
    text = f"{title}。{body}" if title.strip() else body
    text = text.replace("_x000D_", "").translate(TRANSLATION)
    return REMOVED.sub("", text)


def read_split(path: str):
    """Read and split the labelled messages.

    Returns the training texts and labels, then the test texts and labels.
    """
    train_texts, train_labels, test_texts, test_labels = [], [], [], []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = prepare_text(row["留言主题"], row["留言详情"])
            if fnv1a64(row["record_id"].encode("utf-8")) % 5 == 0:
                test_texts.append(text)
                test_labels.append(row["一级标签"])
            else:
                train_texts.append(text)
                train_labels.append(row["一级标签"])
    return train_texts, train_labels, test_texts, test_labels


def route_repeatedly(vectorizer, classifier, texts, min_seconds):
    """Route texts one at a time, pass after pass, for at least min_seconds.

    Returns the number of requests routed and the elapsed seconds.
    """
    classes = classifier.classes_
    routed = 0
    started = time.perf_counter()
    while time.perf_counter() - started < min_seconds:
        for text in texts:
            scores = classifier.decision_function(vectorizer.transform([text]))
            _ = classes[int(np.argmax(scores[0]))]
        routed += len(texts)
    return routed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", default=DEFAULT_CSV, help="the labelled messages CSV")
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-4,
        help="LinearSVC stopping tolerance (default 1e-4, as in scikit-learn). "
        "LIBLINEAR and CityAI's solver default to 0.1",
    )
    parser.add_argument(
        "--route-seconds",
        type=float,
        default=2.0,
        help="minimum time of the per-request routing loop, in seconds (default 2)",
    )
    args = parser.parse_args()
    if args.route_seconds <= 0:
        parser.error(f"--route-seconds must be > 0, got {args.route_seconds}")
    if args.tol <= 0:
        parser.error(f"--tol must be > 0, got {args.tol}")

    try:
        train_texts, train_labels, test_texts, test_labels = read_split(args.csv)
    except FileNotFoundError:
        sys.exit(f"sklearn_baseline.py: data file not found: {args.csv}")
    joined = "".join(f"{text}\n" for text in train_texts + test_texts).encode("utf-8")

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, lowercase=False
        )
        train_matrix = vectorizer.fit_transform(train_texts)
        classifier = LinearSVC(C=1.0, tol=args.tol, random_state=0)
        classifier.fit(train_matrix, train_labels)
        predicted = classifier.predict(vectorizer.transform(test_texts))
    fit_predict_seconds = time.perf_counter() - started
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)

    routed, route_seconds = route_repeatedly(
        vectorizer, classifier, test_texts, args.route_seconds
    )

    report = {
        "implementation": "scikit-learn TF-IDF + LinearSVC",
        "train_rows": len(train_texts),
        "test_rows": len(test_texts),
        "text_fnv1a64": f"{fnv1a64(joined):016x}",
        "features": len(vectorizer.vocabulary_),
        "fit_predict_seconds": fit_predict_seconds,
        "accuracy": accuracy_score(test_labels, predicted),
        "macro_f1": f1_score(test_labels, predicted, average="macro"),
        "linear_svc_params": {
            key: value
            for key, value in classifier.get_params().items()
            if key in ("C", "dual", "loss", "tol", "max_iter", "multi_class")
        },
        "linear_svc_converged": converged,
        "route_requests": routed,
        "route_seconds": route_seconds,
        "route_per_second_one_core": routed / route_seconds,
        "python": sys.version.split()[0],
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
