//! A labelled corpus for personal-data detection: real citizen messages with generated
//! personal data and look-alikes planted at random places.
//!
//! Shared by `tests/pii_corpus.rs` and `examples/bench_pii.rs`. Everything is deterministic
//! for a given seed. The generators compute check digits with their own code, written from
//! the standards (GB 11643, ISO/IEC 7812 Luhn, GB 32100 and GB 11714) and not taken from the
//! detector. The look-alikes are chosen without regard to how the detector works. Each one
//! only has to be invalid under those standards.

#![allow(dead_code)]

use std::error::Error;
use std::ops::Range;
use std::path::Path;

use cityai_text::pii::PiiKind;

/// The splitmix64 generator: small, fast and good enough to place test data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Returns true with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    pub fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| self.digit()).collect()
    }

    pub fn nonzero_digit(&mut self) -> char {
        char::from(b'1' + self.below(9) as u8)
    }
}

/// What a planted span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Personal data of this kind.
    Pii(PiiKind),
    /// Something that looks like personal data but is not, named for the report.
    LookAlike(&'static str),
}

/// One planted value and its byte span in the planted text.
#[derive(Debug, Clone)]
pub struct Planted {
    pub label: Label,
    pub span: Range<usize>,
    /// For addresses: where the part with numbers starts (the house number), which masking
    /// must hide.
    pub core_start: usize,
}

/// A real message with planted values.
#[derive(Debug, Clone)]
pub struct PlantedMessage {
    pub record_id: String,
    pub original: String,
    pub text: String,
    pub planted: Vec<Planted>,
}

/// A real message: its stable id and text (title and body).
#[derive(Debug, Clone)]
pub struct Message {
    pub record_id: String,
    pub text: String,
}

/// Reads the title and body of every row of the TeddyCup `messages_train.csv`.
pub fn read_messages(path: &Path) -> Result<Vec<Message>, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("column {name} not found in {}", path.display()))
    };
    let (title, body, id) = (
        column("留言主题")?,
        column("留言详情")?,
        column("record_id")?,
    );
    let mut messages = Vec::new();
    for record in reader.records() {
        let record = record?;
        let title = record.get(title).unwrap_or("").trim();
        let body = record.get(body).unwrap_or("").trim();
        let text = if title.is_empty() {
            body.to_owned()
        } else {
            format!("{title}\n{body}")
        };
        let record_id = record.get(id).unwrap_or("").to_owned();
        messages.push(Message { record_id, text });
    }
    Ok(messages)
}

/// Plants one item of personal data in every message, a second one in 30% of them, and a
/// look-alike in half of them.
pub fn plant_corpus(messages: &[Message], seed: u64) -> Vec<PlantedMessage> {
    let mut rng = SplitMix64::new(seed);
    messages
        .iter()
        .map(|message| {
            let mut snippets = vec![true_item(&mut rng)];
            if rng.chance(0.3) {
                snippets.push(true_item(&mut rng));
            }
            if rng.chance(0.5) {
                snippets.push(look_alike(&mut rng));
            }
            insert_snippets(message, snippets, &mut rng)
        })
        .collect()
}

/// A value to plant with its context: `prefix + value + suffix`.
#[derive(Debug, Clone)]
struct Snippet {
    label: Label,
    prefix: String,
    value: String,
    suffix: String,
    /// Byte offset in `value` where the numbered part of an address starts.
    core_offset: usize,
}

/// Inserts the snippets at distinct random places of the message where no ASCII letter,
/// digit or joining punctuation is next to them.
fn insert_snippets(
    message: &Message,
    snippets: Vec<Snippet>,
    rng: &mut SplitMix64,
) -> PlantedMessage {
    let original = &message.text;
    let candidates: Vec<usize> = (0..=original.len())
        .filter(|&i| original.is_char_boundary(i) && is_free_position(original, i))
        .collect();
    let mut positions: Vec<usize> = Vec::new();
    for _ in 0..snippets.len() {
        for _ in 0..20 {
            let position = *rng.pick(&candidates);
            if !positions.contains(&position) {
                positions.push(position);
                break;
            }
        }
    }
    let mut placed: Vec<(usize, Snippet)> = positions.into_iter().zip(snippets).collect();
    placed.sort_by_key(|(position, _)| *position);

    let mut text = String::with_capacity(original.len() + 128);
    let mut planted = Vec::new();
    let mut cursor = 0;
    for (position, snippet) in placed {
        text.push_str(&original[cursor..position]);
        text.push_str(&snippet.prefix);
        let start = text.len();
        text.push_str(&snippet.value);
        planted.push(Planted {
            label: snippet.label,
            span: start..text.len(),
            core_start: start + snippet.core_offset,
        });
        text.push_str(&snippet.suffix);
        cursor = position;
    }
    text.push_str(&original[cursor..]);
    PlantedMessage {
        record_id: message.record_id.clone(),
        original: original.clone(),
        text,
        planted,
    }
}

fn is_free_position(text: &str, i: usize) -> bool {
    let joins = |c: char| c.is_ascii_alphanumeric() || "-._/@+:".contains(c);
    let before = text[..i].chars().next_back();
    let after = text[i..].chars().next();
    !before.is_some_and(joins) && !after.is_some_and(joins)
}

const STRUCTURED: [PiiKind; 9] = [
    PiiKind::ResidentId,
    PiiKind::Mobile,
    PiiKind::Landline,
    PiiKind::BankCard,
    PiiKind::Email,
    PiiKind::LicencePlate,
    PiiKind::Passport,
    PiiKind::TravelPermit,
    PiiKind::SocialCreditCode,
];

fn true_item(rng: &mut SplitMix64) -> Snippet {
    let kind = if rng.chance(9.0 / 11.0) {
        *rng.pick(&STRUCTURED)
    } else if rng.chance(0.5) {
        PiiKind::Address
    } else {
        PiiKind::PersonName
    };
    match kind {
        PiiKind::ResidentId => {
            let value = resident_id(rng);
            with_context(rng, kind, value, ID_CONTEXTS)
        }
        PiiKind::Mobile => {
            let value = mobile(rng);
            with_context(rng, kind, value, PHONE_CONTEXTS)
        }
        PiiKind::Landline => {
            let value = landline(rng);
            with_context(rng, kind, value, PHONE_CONTEXTS)
        }
        PiiKind::BankCard => {
            let value = bank_card(rng);
            with_context(rng, kind, value, CARD_CONTEXTS)
        }
        PiiKind::Email => {
            let value = email(rng);
            with_context(rng, kind, value, EMAIL_CONTEXTS)
        }
        PiiKind::LicencePlate => {
            let value = plate(rng);
            with_context(rng, kind, value, PLATE_CONTEXTS)
        }
        PiiKind::Passport => {
            let value = passport(rng);
            with_context(rng, kind, value, PASSPORT_CONTEXTS)
        }
        PiiKind::TravelPermit => travel_permit(rng),
        PiiKind::SocialCreditCode => {
            let value = credit_code(rng);
            with_context(rng, kind, value, CREDIT_CODE_CONTEXTS)
        }
        PiiKind::Address => address(rng),
        PiiKind::PersonName => person_name(rng),
    }
}

// Context phrases: a prefix and a suffix around the value. An empty pair plants the value
// right between two characters of the message.
const ID_CONTEXTS: &[(&str, &str)] = &[
    ("身份证号", "，"),
    ("身份证号码：", "。"),
    ("我的身份证号是", "，"),
    ("证件号码", ""),
    ("（身份证", "）"),
    ("身份证", ""),
];
const PHONE_CONTEXTS: &[(&str, &str)] = &[
    ("电话", "，"),
    ("联系电话：", "。"),
    ("联系方式", ""),
    ("请致电", "，"),
    ("手机号码是", "，谢谢"),
    ("打了", "没人接，"),
    ("电话号码", ""),
    ("（", "）"),
];
const CARD_CONTEXTS: &[(&str, &str)] = &[
    ("卡号", "，"),
    ("银行卡号：", "。"),
    ("工资卡", "里"),
    ("账号", ""),
    ("转到", "账户，"),
];
const EMAIL_CONTEXTS: &[(&str, &str)] = &[
    ("邮箱", "，"),
    ("电子邮箱：", "。"),
    ("发到", "了"),
    ("邮件", ""),
];
const PLATE_CONTEXTS: &[(&str, &str)] = &[
    ("车牌号", "的车"),
    ("车牌", "，"),
    ("一辆", "小车"),
    ("（车牌号：", "）"),
];
const PASSPORT_CONTEXTS: &[(&str, &str)] = &[
    ("护照号", "，"),
    ("护照号码：", "。"),
    ("护照", ""),
    ("证件号", "，"),
];
const CREDIT_CODE_CONTEXTS: &[(&str, &str)] = &[
    ("统一社会信用代码：", "，"),
    ("信用代码", "。"),
    ("营业执照号", ""),
    ("公司（", "）"),
];
/// Contexts for every kind in 20% of plants: none, or one that names no kind of data.
const NEUTRAL_CONTEXTS: &[(&str, &str)] = &[("", ""), ("", ""), ("：", "，"), ("是", "。")];

fn with_context(
    rng: &mut SplitMix64,
    kind: PiiKind,
    value: String,
    contexts: &[(&str, &str)],
) -> Snippet {
    let (prefix, suffix) = if rng.chance(0.2) {
        *rng.pick(NEUTRAL_CONTEXTS)
    } else {
        *rng.pick(contexts)
    };
    Snippet {
        label: Label::Pii(kind),
        prefix: prefix.to_owned(),
        value,
        suffix: suffix.to_owned(),
        core_offset: 0,
    }
}

// ---------------------------------------------------------------------------------------
// Check digits, written from the standards.

const PROVINCE_CODES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
];

/// Computes the GB 11643 check character (ISO 7064 MOD 11-2) of 17 digits.
pub fn resident_id_check(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * (1u32 << (17 - i)) % 11)
        .sum();
    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
}

/// Computes the digit that makes `payload + digit` pass the Luhn check.
pub fn luhn_check_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 0 {
                (v * 2) / 10 + (v * 2) % 10
            } else {
                v
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

pub fn is_luhn_valid(number: &str) -> bool {
    let (payload, last) = number.split_at(number.len() - 1);
    last.starts_with(luhn_check_digit(payload))
}

const CREDIT_CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Computes the GB 32100 check character of the first 17 characters of a credit code.
pub fn credit_code_check(first17: &str) -> char {
    let mut sum = 0;
    let mut weight = 1;
    for c in first17.chars() {
        let value = CREDIT_CODE_CHARS.find(c).expect("credit code character");
        sum += value * weight;
        weight = weight * 3 % 31;
    }
    CREDIT_CODE_CHARS
        .chars()
        .nth((31 - sum % 31) % 31)
        .expect("31 characters")
}

/// Computes the GB 11714 check character of the first 8 characters of an organisation code.
fn organisation_code_check(first8: &str) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first8
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(36).expect("alphanumeric") * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).expect("digit"),
    }
}

/// Region prefixes of 18-digit IDs: the mainland provinces, and 71 (Taiwan), 81 (Hong Kong),
/// 82 (Macau) and 83 of residence permits.
const ID18_PREFIXES: &[&str] = &["71", "81", "82", "83"];

fn is_id18_prefix(prefix: &str) -> bool {
    PROVINCE_CODES.contains(&prefix) || ID18_PREFIXES.contains(&prefix)
}

/// Returns whether 18 characters look like a resident ID apart from the check digit.
fn has_resident_id_shape(id: &str) -> bool {
    id.len() == 18 && is_id18_prefix(&id[..2]) && is_real_date(&id[6..14])
}

/// Returns whether 18 characters pass the GB 32100 check.
fn passes_credit_code_check(code: &str) -> bool {
    code.len() == 18
        && code.chars().all(|c| CREDIT_CODE_CHARS.contains(c))
        && code[17..].starts_with(credit_code_check(&code[..17]))
}

fn is_real_date(yyyymmdd: &str) -> bool {
    let Ok(year) = yyyymmdd[..4].parse::<u32>() else {
        return false;
    };
    let month: u32 = yyyymmdd[4..6].parse().unwrap_or(0);
    let day: u32 = yyyymmdd[6..8].parse().unwrap_or(0);
    (1900..=2025).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= month_days(year, month)
}

fn month_days(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(month - 1) as usize]
}

// ---------------------------------------------------------------------------------------
// Generators of personal data.

const REGION_CODES: &[&str] = &[
    "110101", "110105", "120101", "130102", "310104", "320102", "330106", "340104", "350102",
    "360102", "370102", "410105", "420102", "430102", "430103", "430104", "430105", "430111",
    "430121", "430181", "440103", "440305", "450103", "500103", "510104", "520102", "530102",
    "610103", "620102", "640104", "650102",
];

fn region_code(rng: &mut SplitMix64) -> String {
    if rng.chance(0.7) {
        (*rng.pick(REGION_CODES)).to_owned()
    } else {
        format!("{}{}", rng.pick(PROVINCE_CODES), rng.digits(4))
    }
}

/// Generates a real date between 1930 and 2015 as YYYYMMDD.
fn birth_date(rng: &mut SplitMix64) -> String {
    let year = 1930 + rng.below(86) as u32;
    let month = 1 + rng.below(12) as u32;
    let day = 1 + rng.below(month_days(year, month) as usize) as u32;
    format!("{year:04}{month:02}{day:02}")
}

pub fn resident_id(rng: &mut SplitMix64) -> String {
    let region = region_code(rng);
    if rng.chance(0.1) {
        // The old 15-digit form: YYMMDD in the 1900s and no check digit.
        let date = loop {
            let date = birth_date(rng);
            if date.starts_with("19") {
                break date;
            }
        };
        return format!("{region}{}{}", &date[2..], rng.digits(3));
    }
    let first17 = format!("{region}{}{}", birth_date(rng), rng.digits(3));
    let mut check = resident_id_check(&first17);
    if check == 'X' && rng.chance(0.1) {
        check = 'x';
    }
    if rng.chance(0.05) {
        return format!(
            "{} {} {}{check}",
            &first17[..6],
            &first17[6..14],
            &first17[14..]
        );
    }
    format!("{first17}{check}")
}

pub fn mobile(rng: &mut SplitMix64) -> String {
    let number = format!(
        "1{}{}",
        char::from(b'3' + rng.below(7) as u8),
        rng.digits(9)
    );
    let grouped = |separator: &str| {
        format!(
            "{}{separator}{}{separator}{}",
            &number[..3],
            &number[3..7],
            &number[7..]
        )
    };
    match rng.below(20) {
        0..=11 => number,
        12 | 13 => grouped("-"),
        14 | 15 => grouped(" "),
        16 => format!("+86{number}"),
        17 => format!("+86 {number}"),
        18 => format!("+86-{}", grouped("-")),
        _ => format!("86-{number}"),
    }
}

const AREA_CODES: &[&str] = &[
    "010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0731", "0730", "0734",
    "0735", "0736", "0737", "0739", "0743", "0744", "0745", "0746", "0755", "0571", "0591", "0351",
    "0471", "0898", "0931",
];

pub fn landline(rng: &mut SplitMix64) -> String {
    let area = *rng.pick(AREA_CODES);
    let local_len = if area.len() == 3 || rng.chance(0.5) {
        8
    } else {
        7
    };
    let local = format!(
        "{}{}",
        char::from(b'2' + rng.below(8) as u8),
        rng.digits(local_len - 1)
    );
    match rng.below(20) {
        0..=9 => format!("{area}-{local}"),
        10 | 11 => format!("({area}){local}"),
        12 | 13 => format!("（{area}）{local}"),
        14 => format!("{area} {local}"),
        15 | 16 => format!("{area}{local}"),
        17 => format!("{area}-{local}-{}", rng.digits(3)),
        18 => {
            let length = 2 + rng.below(3);
            format!("{area}-{local}转{}", rng.digits(length))
        }
        _ => format!("({area}) {local}"),
    }
}

const CARD_PREFIXES: &[&str] = &[
    "622202", "621226", "622848", "621700", "622588", "622609", "621483", "622700", "436742",
    "621661", "623668", "625965", "403391", "518710", "621799", "622260",
];

pub fn bank_card(rng: &mut SplitMix64) -> String {
    let length = *rng.pick(&[16, 16, 16, 17, 18, 19, 19, 19, 19, 19]);
    let prefix = *rng.pick(CARD_PREFIXES);
    let payload = format!("{prefix}{}", rng.digits(length - 1 - prefix.len()));
    let number = format!("{payload}{}", luhn_check_digit(&payload));
    if rng.chance(0.2) {
        let groups: Vec<&str> = number
            .as_bytes()
            .chunks(4)
            .map(|chunk| std::str::from_utf8(chunk).expect("ASCII"))
            .collect();
        return groups.join(" ");
    }
    number
}

const EMAIL_NAMES: &[&str] = &[
    "zhangwei",
    "li.na",
    "wangfang88",
    "chen_jing",
    "liuyang2019",
    "huanglei",
    "zhao.min",
    "xiaoming",
    "sunli_1990",
    "hnzhou",
    "yang-qian",
    "tianxia2008",
    "abc123",
    "mary.wang",
];
const EMAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "sohu.com",
    "gmail.com",
    "foxmail.com",
    "hnu.edu.cn",
    "csu.edu.cn",
    "yahoo.com.cn",
    "outlook.com",
    "139.com",
    "vip.163.com",
];

pub fn email(rng: &mut SplitMix64) -> String {
    let local = match rng.below(3) {
        0 => {
            let length = 5 + rng.below(6);
            format!("{}{}", rng.nonzero_digit(), rng.digits(length))
        }
        1 => (*rng.pick(EMAIL_NAMES)).to_owned(),
        _ => format!("{}{}", rng.pick(EMAIL_NAMES), rng.digits(2)),
    };
    format!("{local}@{}", rng.pick(EMAIL_DOMAINS))
}

const PROVINCE_ABBREVIATIONS: &[&str] = &[
    "京", "津", "沪", "渝", "冀", "豫", "云", "辽", "黑", "湘", "皖", "鲁", "新", "苏", "浙", "赣",
    "鄂", "桂", "甘", "晋", "蒙", "陕", "吉", "闽", "贵", "粤", "青", "藏", "川", "宁", "琼",
];
const PLATE_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn plate(rng: &mut SplitMix64) -> String {
    let province = *rng.pick(PROVINCE_ABBREVIATIONS);
    let office = char::from(*rng.pick(PLATE_LETTERS));
    let separator = *rng.pick(&["", "", "", "·", " "]);
    let serial: String = match rng.below(10) {
        // New-energy plates: D or F first (small cars) or last (large vehicles).
        0 | 1 => format!(
            "{}{}{}",
            rng.pick(&['D', 'F']),
            if rng.chance(0.5) {
                char::from(*rng.pick(PLATE_LETTERS))
            } else {
                rng.digit()
            },
            rng.digits(4)
        ),
        2 => format!("{}{}", rng.digits(5), rng.pick(&['D', 'F'])),
        // Ordinary plates: 5 characters, at most 2 of them letters.
        _ => {
            let mut serial: Vec<char> = (0..5).map(|_| rng.digit()).collect();
            for _ in 0..rng.below(3) {
                let position = rng.below(5);
                serial[position] = char::from(*rng.pick(PLATE_LETTERS));
            }
            serial.into_iter().collect()
        }
    };
    format!("{province}{office}{separator}{serial}")
}

pub fn passport(rng: &mut SplitMix64) -> String {
    match rng.below(10) {
        0..=4 => format!("E{}", rng.digits(8)),
        5..=7 => format!("E{}{}", char::from(*rng.pick(PLATE_LETTERS)), rng.digits(7)),
        _ => format!("G{}", rng.digits(8)),
    }
}

const PERMIT_CONTEXTS: &[(&str, &str)] = &[
    ("港澳通行证", "，"),
    ("通行证号码：", "。"),
    ("回乡证号", ""),
    ("证件号", "，"),
];

fn travel_permit(rng: &mut SplitMix64) -> Snippet {
    let kind = PiiKind::TravelPermit;
    match rng.below(12) {
        // The 8-digit Taiwan compatriot permit is only personal data in its context.
        0 | 1 => {
            let (prefix, suffix) = *rng.pick(&[
                ("台胞证号码：", "，"),
                ("台胞证", "。"),
                ("台湾居民来往大陆通行证", ""),
            ]);
            Snippet {
                label: Label::Pii(kind),
                prefix: prefix.to_owned(),
                value: rng.digits(8),
                suffix: suffix.to_owned(),
                core_offset: 0,
            }
        }
        2 | 3 => {
            let value = format!("C{}", rng.digits(8));
            with_context(rng, kind, value, PERMIT_CONTEXTS)
        }
        4 => {
            let letter = char::from(*rng.pick(PLATE_LETTERS));
            {
                let value = format!("C{letter}{}", rng.digits(7));
                with_context(rng, kind, value, PERMIT_CONTEXTS)
            }
        }
        5..=7 => {
            let value = format!("{}{}", rng.pick(&['H', 'M']), rng.digits(8));
            with_context(rng, kind, value, PERMIT_CONTEXTS)
        }
        8 | 9 => {
            let value = format!("{}{}", rng.pick(&['H', 'M']), rng.digits(10));
            with_context(rng, kind, value, PERMIT_CONTEXTS)
        }
        _ => {
            let value = format!("T{}", rng.digits(8));
            with_context(rng, kind, value, PERMIT_CONTEXTS)
        }
    }
}

fn credit_code_first17(rng: &mut SplitMix64) -> String {
    let authority = *rng.pick(&['1', '5', '9', '9', '9', 'Y']);
    let category = *rng.pick(&['1', '2', '3', '9']);
    let region = *rng.pick(REGION_CODES);
    let organisation: String = (0..8)
        .map(|_| {
            if rng.chance(0.85) {
                rng.digit()
            } else {
                CREDIT_CODE_CHARS[10..]
                    .chars()
                    .nth(rng.below(21))
                    .expect("letter")
            }
        })
        .collect();
    format!(
        "{authority}{category}{region}{organisation}{}",
        organisation_code_check(&organisation)
    )
}

pub fn credit_code(rng: &mut SplitMix64) -> String {
    let first17 = credit_code_first17(rng);
    format!("{first17}{}", credit_code_check(&first17))
}

const CITIES: &[&str] = &["长沙市", "A市", "株洲市", "湘潭市", "B市"];
const DISTRICTS: &[&str] = &[
    "岳麓区",
    "芙蓉区",
    "天心区",
    "开福区",
    "雨花区",
    "望城区",
    "A3区",
    "A7县",
    "长沙县",
    "浏阳市",
];
const ROAD_NAMES: &[&str] = &[
    "枫林三",
    "人民中",
    "韶山北",
    "五一大",
    "芙蓉南",
    "劳动西",
    "万家丽",
    "湘江中",
    "麓山南",
    "桐梓坡",
    "银盆南",
    "车站北",
    "解放西",
    "黄兴中",
    "东二环",
    "金星北",
    "望月湖",
    "书院",
];
const ROAD_SUFFIXES: &[&str] = &["路", "路", "路", "路", "街", "大道", "巷"];
const ESTATES: &[&str] = &[
    "金色家园",
    "阳光花园",
    "湘江世纪城",
    "中南小区",
    "恒大华府",
    "保利西海岸",
    "书香苑",
    "望月公寓",
    "德政园",
    "融科东南海",
];
const ADDRESS_CONTEXTS: &[(&str, &str)] = &[
    ("我家住在", "，"),
    ("地址：", "。"),
    ("住址：", ""),
    ("家住", "，"),
    ("现居住在", "。"),
    ("", ""),
    ("我住", "，"),
];

fn building_and_room(rng: &mut SplitMix64) -> String {
    let building = match rng.below(4) {
        0 | 1 => format!("{}栋", 1 + rng.below(30)),
        2 => format!("{}幢", 1 + rng.below(20)),
        _ => format!("{}号楼", 1 + rng.below(20)),
    };
    let unit = if rng.chance(0.7) {
        format!("{}单元", 1 + rng.below(6))
    } else {
        String::new()
    };
    let room = 100 * (1 + rng.below(30)) + 1 + rng.below(6);
    let room = match rng.below(10) {
        0..=6 => format!("{room}室"),
        7 | 8 => format!("{room}"),
        _ if unit.is_empty() => format!("{room}房"),
        _ => String::new(),
    };
    format!("{building}{unit}{room}")
}

fn address(rng: &mut SplitMix64) -> Snippet {
    let (prefix, suffix) = *rng.pick(ADDRESS_CONTEXTS);
    let mut value = String::new();
    if rng.chance(0.3) {
        value.push_str(rng.pick_str(CITIES));
    }
    if rng.chance(0.8) {
        value.push_str(rng.pick_str(DISTRICTS));
    }
    let core_offset;
    if rng.chance(0.8) {
        value.push_str(rng.pick_str(ROAD_NAMES));
        value.push_str(rng.pick_str(ROAD_SUFFIXES));
        core_offset = value.len();
        value.push_str(&format!("{}号", 1 + rng.below(400)));
        if rng.chance(0.3) {
            value.push_str(rng.pick_str(ESTATES));
        }
    } else {
        value.push_str(rng.pick_str(ESTATES));
        if rng.chance(0.5) && !value.ends_with('区') {
            value.push_str("小区");
        }
        core_offset = value.len();
    }
    value.push_str(&building_and_room(rng));
    Snippet {
        label: Label::Pii(PiiKind::Address),
        prefix: prefix.to_owned(),
        value,
        suffix: suffix.to_owned(),
        core_offset,
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "魏", "易", "谭", "廖", "龙",
    "欧阳", "司马", "诸葛", "上官",
];
const GIVEN_NAME_CHARS: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "建", "文", "斌",
    "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "欣", "晨", "琳", "雪", "颖", "倩",
    "婷", "佳", "思", "嘉", "子", "梓", "涵", "轩", "志", "国", "春", "海", "小", "金", "德",
];
/// Name contexts: `{}` is the name. The last two are contexts that a conservative detector
/// is not expected to handle, so that recall is not measured on easy cases only.
const NAME_CONTEXTS: &[(&str, &str)] = &[
    ("我叫", "，"),
    ("我叫", "，今年"),
    ("联系人：", "，"),
    ("联系人", " 电话"),
    ("姓名：", "。"),
    ("本人", "，"),
    ("申请人：", "，"),
    ("举报人", "。"),
    ("我是", "，"),
    ("，", "反映"),
];

fn person_name(rng: &mut SplitMix64) -> Snippet {
    let surname = *rng.pick(SURNAMES);
    let given_len = if rng.chance(0.6) { 2 } else { 1 };
    let given: String = (0..given_len)
        .map(|_| *rng.pick(GIVEN_NAME_CHARS))
        .collect();
    let (prefix, value, suffix) = if rng.chance(0.25) {
        // 王先生: usually the surname alone, sometimes the whole name.
        let title = *rng.pick(&["先生", "女士"]);
        let value = if rng.chance(0.7) {
            surname.to_owned()
        } else {
            format!("{surname}{given}")
        };
        let prefix = *rng.pick(&["联系了", "，", "物业的", "请", "找到"]);
        (prefix, value, format!("{title}，"))
    } else {
        let (prefix, suffix) = *rng.pick(NAME_CONTEXTS);
        (prefix, format!("{surname}{given}"), suffix.to_owned())
    };
    Snippet {
        label: Label::Pii(PiiKind::PersonName),
        prefix: prefix.to_owned(),
        value,
        suffix,
        core_offset: 0,
    }
}

// ---------------------------------------------------------------------------------------
// Look-alikes: values that resemble personal data but are not.

fn look_alike(rng: &mut SplitMix64) -> Snippet {
    let (name, prefix, value, suffix): (&'static str, &str, String, &str) = match rng.below(14) {
        0 => {
            let length = 20 + rng.below(5);
            let value = format!("{}{}", rng.nonzero_digit(), rng.digits(length - 1));
            (
                "order_number",
                *rng.pick(&["订单号", "单号：", "快递单号", "流水号"]),
                value,
                "，",
            )
        }
        1 => {
            // A run longer than a mobile number that starts like one.
            let second = char::from(b'3' + rng.below(7) as u8);
            let length = 10 + rng.below(3);
            let value = format!("1{second}{}", rng.digits(length));
            (
                "long_number",
                *rng.pick(&["编号", "工单号", ""]),
                value,
                "。",
            )
        }
        2 => {
            let date = birth_date(rng);
            let value = match rng.below(5) {
                0 => format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]),
                1 => date.clone(),
                2 => format!(
                    "{}/{}/{}",
                    &date[..4],
                    &date[4..6].trim_start_matches('0'),
                    &date[6..]
                ),
                3 => format!("{}.{}.{}", &date[..4], &date[4..6], &date[6..]),
                _ => format!(
                    "{}年{}月{}日",
                    &date[..4],
                    date[4..6].trim_start_matches('0'),
                    date[6..].trim_start_matches('0')
                ),
            };
            ("date", *rng.pick(&["于", "日期", ""]), value, "，")
        }
        3 => {
            let value = match rng.below(4) {
                0 => format!("{},{}.{}", 1 + rng.below(999), rng.digits(3), rng.digits(2)),
                1 => format!("{}{}", rng.nonzero_digit(), rng.digits(6)),
                2 => {
                    let length = 5 + rng.below(6);
                    format!(
                        "{}{}.{}",
                        rng.nonzero_digit(),
                        rng.digits(length),
                        rng.digits(2)
                    )
                }
                _ => format!("13{}.00", rng.digits(9)),
            };
            ("amount", *rng.pick(&["金额", "共计", "欠款"]), value, "元")
        }
        4 | 5 => invalid_resident_id(rng),
        6 | 7 => {
            // A bank-card-like number that fails the Luhn check and no other standard.
            let value = loop {
                let length = 16 + rng.below(4);
                let prefix = *rng.pick(CARD_PREFIXES);
                let payload = format!("{prefix}{}", rng.digits(length - 1 - prefix.len()));
                let right = luhn_check_digit(&payload);
                let wrong = char::from(b'0' + ((right as u8 - b'0' + 1 + rng.below(9) as u8) % 10));
                let value = format!("{payload}{wrong}");
                if !has_resident_id_shape(&value) && !passes_credit_code_check(&value) {
                    break value;
                }
            };
            (
                "luhn_invalid_card",
                *rng.pick(&["卡号", "账号", ""]),
                value,
                "，",
            )
        }
        8 => {
            let first17 = credit_code_first17(rng);
            let right = credit_code_check(&first17);
            let wrong = loop {
                let candidate = CREDIT_CODE_CHARS
                    .chars()
                    .nth(rng.below(31))
                    .expect("31 characters");
                if candidate != right {
                    break candidate;
                }
            };
            (
                "invalid_credit_code",
                *rng.pick(&["信用代码", "代码："]),
                format!("{first17}{wrong}"),
                "。",
            )
        }
        9 => {
            // 11 digits that are not a mobile number: 10 to 12, or 2 to 9, first.
            let value = if rng.chance(0.5) {
                format!("1{}{}", rng.below(3), rng.digits(9))
            } else {
                format!(
                    "{}{}",
                    char::from(b'2' + rng.below(8) as u8),
                    rng.digits(10)
                )
            };
            (
                "not_a_mobile",
                *rng.pick(&["号码", "电话", ""]),
                value,
                "，",
            )
        }
        10 => (
            "zeroed_phone",
            *rng.pick(&["电话", "："]),
            "0000-00000000".to_owned(),
            "，",
        ),
        11 => {
            let value = match rng.below(3) {
                0 => format!("E{}", rng.digits(7)),
                1 => {
                    let length = 9 + rng.below(2);
                    format!("E{}", rng.digits(length))
                }
                _ => format!("KH{}", rng.digits(8)),
            };
            (
                "short_or_long_code",
                *rng.pick(&["型号", "编号"]),
                value,
                "，",
            )
        }
        12 => {
            let value = format!("192.168.{}.{}", rng.below(256), rng.below(256));
            ("ip_address", "IP", value, "，")
        }
        _ => {
            // A 15-digit number that is not an old resident ID: unknown region or no real
            // birth date.
            let value = loop {
                let candidate = format!("{}{}", rng.nonzero_digit(), rng.digits(14));
                let date = format!("19{}", &candidate[6..12]);
                if !PROVINCE_CODES.contains(&&candidate[..2]) || !is_real_date(&date) {
                    break candidate;
                }
            };
            ("not_an_old_id", *rng.pick(&["编号", "工单"]), value, "，")
        }
    };
    Snippet {
        label: Label::LookAlike(name),
        prefix: prefix.to_owned(),
        value,
        suffix: suffix.to_owned(),
        core_offset: 0,
    }
}

/// Generates a resident ID with a wrong check digit, or with an impossible birth date and
/// the check digit computed for it, with no ID keyword before it: next to 身份证 such a
/// number is a mistyped ID, which is personal data and masked.
fn invalid_resident_id(rng: &mut SplitMix64) -> (&'static str, &'static str, String, &'static str) {
    let region = region_code(rng);
    let prefix = *rng.pick(&["单号", "编号", ""]);
    if rng.chance(0.5) {
        let first17 = format!("{region}{}{}", birth_date(rng), rng.digits(3));
        let right = resident_id_check(&first17);
        let wrong = loop {
            let candidate = *rng.pick(&['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']);
            if candidate != right {
                break candidate;
            }
        };
        return (
            "id_wrong_check_digit",
            prefix,
            format!("{first17}{wrong}"),
            "，",
        );
    }
    let year = 1930 + rng.below(86);
    let (month, day) = *rng.pick(&[
        (2, 30),
        (2, 31),
        (4, 31),
        (6, 31),
        (9, 31),
        (11, 31),
        (13, 1),
        (0, 10),
        (5, 0),
        (7, 32),
    ]);
    let (month, day) = if month == 2 && day == 30 && rng.chance(0.5) {
        // 29 February of a year that is not a leap year.
        (2, 29)
    } else {
        (month, day)
    };
    let year = if (month, day) == (2, 29) {
        1900 + 4 * (rng.below(30)) + 1
    } else {
        year
    };
    let first17 = format!("{region}{year:04}{month:02}{day:02}{}", rng.digits(3));
    let value = format!("{first17}{}", resident_id_check(&first17));
    ("id_impossible_date", prefix, value, "，")
}
