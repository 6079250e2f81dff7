"""Reference for the personal-data benchmark: detection and masking with Python's `re`.

It recognises the same kinds as `cityai_text::pii` with one regular expression per format and
the same validation (GB 11643 check digit and birth date, Luhn, GB 32100 check character).
It then keeps the more confident of overlapping matches and masks them in the same styles.
Its patterns are simpler than the Rust matchers (names and addresses in particular), so its
finding counts are close to CityAI's but not equal. It uses the standard library only.

Usage: python3 baseline.py CORPUS.csv [--runs N]
CORPUS.csv has one column, `text`, as `bench_pii --write-corpus` writes it. Prints one JSON
line with the median time of N runs (default 7) over all messages, on one thread.
"""

import argparse
import csv
import datetime
import json
import re
import statistics
import sys
import time

ALNUM_BEFORE = r"(?<![0-9A-Za-z@])"
ALNUM_AFTER = r"(?![0-9A-Za-z@])"
PROVINCE_CODES = {
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
}
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
)
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTER = "A-HJ-NP-Z"


def valid_date(yyyymmdd):
    try:
        date = datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return 1900 <= date.year <= datetime.date.today().year


def resident_id18(value):
    if int(value[:2]) not in PROVINCE_CODES or not valid_date(value[6:14]):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS))
    return "10X98765432"[total % 11] == value[17].upper()


def looks_like_id(digits):
    return int(digits[:2]) in PROVINCE_CODES and digits[6:8] in ("19", "20")


def resident_id15(value):
    return int(value[:2]) in PROVINCE_CODES - {71, 81, 82, 83} and valid_date("19" + value[6:12])


def luhn(digits):
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def credit_code(value):
    if value[0] not in "123456789ANY" or value[1] not in "123456789":
        return False
    if not value[2:8].isdigit():
        return False
    total = sum(CREDIT_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(value[:17]))
    return CREDIT_CHARS[(31 - total % 31) % 31] == value[17]


def digits_of(value):
    return re.sub(r"\D", "", value)


def check_card(value):
    digits = digits_of(value)
    if len(digits) == 18 and looks_like_id(digits):
        return False
    return digits[0] in "234569" and luhn(digits)


def check_landline(value):
    area = re.match(r"[(（]?(0\d+)", value).group(1)
    return area.startswith(("010", "02")) and len(area) == 3 or (
        area[1] in "3456789" and len(area) == 4
    )


def check_plate(value):
    serial = re.sub(r"[·• .-]", "", value)[2:]
    if len(serial) == 6:
        return True
    return sum(c.isalpha() for c in serial) <= 2


# (kind, pattern, validator, confidence); the validator gets the matched text.
DETECTORS = [
    ("resident_id", ALNUM_BEFORE + r"\d{17}[\dXx]" + ALNUM_AFTER, resident_id18, 0.99),
    ("resident_id", ALNUM_BEFORE + r"\d{15}" + ALNUM_AFTER, resident_id15, 0.75),
    (
        "mobile",
        ALNUM_BEFORE + r"(?:\+86[ -]?|0086[ -]?|86[ -]?)?1[3-9]\d(?:\d{8}|([ -])\d{4}\1\d{4})"
        + ALNUM_AFTER,
        None,
        0.9,
    ),
    (
        "landline",
        ALNUM_BEFORE + r"(?:[(（]0\d{2,3}[)）][ -]?|0\d{2,3}[ -]?)[1-9]\d{6,7}(?:(?:-|转)\d{1,5})?"
        + ALNUM_AFTER,
        check_landline,
        0.85,
    ),
    (
        "bank_card",
        ALNUM_BEFORE + r"(?:\d{16,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?)" + ALNUM_AFTER,
        check_card,
        0.85,
    ),
    ("email", r"[A-Za-z0-9_][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", None, 0.95),
    (
        "licence_plate",
        f"[{PROVINCES}][{LETTER}][·• .-]?(?:[{LETTER}0-9]{{5}}|[DF][{LETTER}0-9]\\d{{4}}|\\d{{5}}[DF])"
        + ALNUM_AFTER,
        check_plate,
        0.9,
    ),
    ("passport", ALNUM_BEFORE + f"(?:[EG]\\d{{8}}|E[{LETTER}]\\d{{7}}|[DSP]E\\d{{7}})" + ALNUM_AFTER, None, 0.8),
    (
        "travel_permit",
        ALNUM_BEFORE + f"(?:C[0-9{LETTER}]\\d{{7}}|[HM]\\d{{8}}(?:\\d{{2}})?|T\\d{{8}})" + ALNUM_AFTER,
        None,
        0.8,
    ),
    ("social_credit_code", ALNUM_BEFORE + f"[0-9{LETTER}]{{18}}" + ALNUM_AFTER, credit_code, 0.95),
    (
        "address",
        r"[\u4e00-\u9fa5A-Za-z0-9]{1,8}?(?:路|街|巷|道|弄)\d{1,5}(?:[-之]\d{1,4})?号[\u4e00-\u9fa5]{0,10}?"
        r"(?:(?:\d{1,5}|[A-Za-z])(?:栋|幢|号楼|座|单元|室|号房|房|户|楼|层)){1,4}(?:\d{3,5}(?![0-9年月日元]))?",
        lambda value: re.search(r"栋|幢|号楼|座|单元|室|房|户", value) is not None,
        0.7,
    ),
]
TAIWAN_PERMIT = re.compile(r"(?:台胞证|台湾居民来往大陆通行证|台湾通行证)\D{0,6}?(\d{8})" + ALNUM_AFTER)
NAME_AFTER = re.compile(
    r"(?:我叫|名叫|名字叫|姓名[:：]?\s*|联系人[:：]?\s*|(?<![\u4e00-\u9fa5])本人)"
    f"([{SURNAMES}][\u4e00-\u9fa5]{{1,2}}?)(?=[，。、,.;；:：\\s]|$)"
)
NAME_BEFORE_TITLE = re.compile(f"([{SURNAMES}])(?=先生|女士)")
COMPILED = [(kind, re.compile(pattern), check, confidence) for kind, pattern, check, confidence in DETECTORS]


def detect(text):
    candidates = []
    for kind, pattern, check, confidence in COMPILED:
        for match in pattern.finditer(text):
            value = match.group(0)
            if check is None or check(value):
                candidates.append((match.start(), match.end(), kind, confidence))
    for match in TAIWAN_PERMIT.finditer(text):
        candidates.append((match.start(1), match.end(1), "travel_permit", 0.85))
    for match in NAME_AFTER.finditer(text):
        candidates.append((match.start(1), match.end(1), "person_name", 0.75))
    for match in NAME_BEFORE_TITLE.finditer(text):
        candidates.append((match.start(1), match.end(1), "person_name", 0.6))

    # Keep the more confident of overlapping candidates, the longer one on a tie.
    candidates.sort(key=lambda c: c[0])
    kept = []
    for candidate in candidates:
        if kept and candidate[0] < kept[-1][1]:
            last = kept[-1]
            if (candidate[3], candidate[1] - candidate[0]) > (last[3], last[1] - last[0]):
                kept[-1] = candidate
            continue
        kept.append(candidate)
    return kept


def keep_alnum(value, head, tail):
    total = sum(c.isascii() and c.isalnum() for c in value)
    if head + tail >= total:
        head = tail = 0
    out = []
    seen = 0
    for c in value:
        if c.isascii() and c.isalnum():
            out.append(c if seen < head or seen >= total - tail else "*")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


TOKENS = {"address": "[地址]", "person_name": "[姓名]"}


def mask_value(kind, value):
    if kind in TOKENS:
        return TOKENS[kind]
    if kind == "resident_id":
        return keep_alnum(value, 6, 3 if len(value) == 15 else 4)
    if kind == "mobile":
        return keep_alnum(value, len(digits_of(value)) - 11 + 3, 4)
    if kind == "landline":
        return keep_alnum(value, 3 if re.match(r"[(（]?0[12]", value) else 4, 0)
    if kind == "bank_card":
        return keep_alnum(value, 0, 4)
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return local[:1] + "***@" + domain
    if kind == "social_credit_code":
        return keep_alnum(value, 2, 2)
    return keep_alnum(value, 1, 2)


def mask(text, findings):
    out = []
    cursor = 0
    for start, end, kind, _ in findings:
        out.append(text[cursor:start])
        out.append(mask_value(kind, text[start:end]))
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", help="CSV with one column, text, from bench_pii --write-corpus")
    parser.add_argument("--runs", type=int, default=7, help="number of timed runs (default 7)")
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    total_bytes = sum(len(text.encode("utf-8")) for text in texts)

    detect_seconds = []
    total_seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for text in texts:
            detect(text)
        detect_seconds.append(time.perf_counter() - start)

        start = time.perf_counter()
        for text in texts:
            mask(text, detect(text))
        total_seconds.append(time.perf_counter() - start)

    counts = {}
    for text in texts:
        for _, _, kind, _ in detect(text):
            counts[kind] = counts.get(kind, 0) + 1

    detect_median = statistics.median(detect_seconds)
    total_median = statistics.median(total_seconds)
    print(json.dumps({
        "implementation": "python-re",
        "python": sys.version.split()[0],
        "messages": len(texts),
        "bytes": total_bytes,
        "runs": args.runs,
        "detect_seconds": round(detect_median, 4),
        "detect_mb_per_s": round(total_bytes / 1e6 / detect_median, 1),
        "detect_mask_seconds": round(total_median, 4),
        "detect_mask_mb_per_s": round(total_bytes / 1e6 / total_median, 1),
        "detect_mask_messages_per_s": round(len(texts) / total_median),
        "detect_mask_runs": [round(s, 4) for s in total_seconds],
        "findings": dict(sorted(counts.items())),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
