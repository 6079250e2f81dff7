//! Street and housing-estate addresses precise enough to find a home: down to a building,
//! unit or room.
//!
//! Two forms are recognised, both triggered by a house or building number written in ASCII
//! digits right after a Chinese character:
//! - street: a road name ending in 路, 街, 巷, 道, 弄 or 胡同, a house number with 号, an
//!   optional estate or building name, then at least one of 栋, 幢, 号楼, 座, 单元, 室, 房 or
//!   户 (岳麓区枫林三路88号3栋2单元502室);
//! - estate: a name, a building (栋, 幢, 号楼 or 座) and at least one more unit or a room
//!   (金色家园3栋2单元502室). Names ending in 小区, 园, 苑, 城 and the like are more
//!   confident than others (融科东南海6栋1704室).
//!
//! The span also takes in up to three administrative areas written just before the road or
//! estate name (长沙市岳麓区). An address without building or room, such as a shop's street
//! number, is not reported.

use super::scan::{is_han, push};
use super::{Finding, PiiKind};

const ESTATE_SUFFIXES: &[&str] = &[
    "小区", "社区", "广场", "苑", "庭", "府", "村", "院", "里", "园", "城", "湾", "居", "阁", "邸",
    "寓", "舍", "厦",
];

/// Characters that end an administrative area name: province, city, district, county, town.
const ADMIN_SUFFIXES: &[char] = &['省', '市', '区', '县', '镇', '乡', '州'];

/// Characters that do not occur in road or estate names but often just before an address
/// (住在, 位于, 我的), so the walk back to the start of a name stops at them.
const NAME_STOPS: &[char] = &[
    '在', '住', '于', '至', '到', '从', '是', '的', '址', '为', '往', '向', '近', '及', '与', '居',
    '我', '离', '去', '对', '把', '被', '给', '了', '位', '处', '旁', '边', '附', '该', '此', '这',
    '那', '其', '本',
];

/// Characters after a bare number that show it is not a room number (2019年, 50元).
const MEASURE_WORDS: &[char] = &[
    '年', '月', '日', '元', '米', '个', '人', '次', '天', '岁', '平', '号', '楼', '层', '分', '秒',
    '点', '多', '余', '万', '千', '百', '块', '户', '辆', '名', '位', '条', '家', '所', '套',
];

const MAX_ROAD_NAME_CHARS: usize = 8;
const MAX_ADMIN_AREA_CHARS: usize = 5;
const MAX_BUILDING_NAME_CHARS: usize = 10;

const STREET_CONFIDENCE: f32 = 0.7;
const ESTATE_CONFIDENCE: f32 = 0.6;
const UNNAMED_ESTATE_CONFIDENCE: f32 = 0.55;

/// Matches an address whose house or building number starts at `digit_start`, just after a
/// CJK character.
pub(super) fn scan_number(text: &str, digit_start: usize, out: &mut Vec<Finding>) {
    let before = &text[..digit_start];
    let Some(previous) = before.chars().next_back() else {
        return;
    };

    if matches!(previous, '路' | '街' | '巷' | '道' | '弄') || before.ends_with("胡同") {
        let suffix_len = if previous == '同' { 6 } else { 3 };
        if let Some(end) = street_address_end(text, digit_start) {
            let name_end = digit_start - suffix_len;
            if let Some(start) = address_start(text, name_end, 1) {
                push(out, PiiKind::Address, start..end, STREET_CONFIDENCE);
            }
        }
        return;
    }

    // Estates: a building and a unit or room, after an estate name or, with less confidence,
    // after a name of at least two characters (融科东南海6栋1704室) that is not a date or a
    // quantity (2018年6月9栋2单元).
    let Some(units) = parse_units(text, digit_start) else {
        return;
    };
    if !units.has_building || !units.has_room {
        return;
    }
    let (name_end, confidence, min_name_chars) =
        match ESTATE_SUFFIXES.iter().find(|s| before.ends_with(*s)) {
            Some(suffix) => (digit_start - suffix.len(), ESTATE_CONFIDENCE, 1),
            None if MEASURE_WORDS.contains(&previous) => return,
            None => (digit_start, UNNAMED_ESTATE_CONFIDENCE, 2),
        };
    if let Some(start) = address_start(text, name_end, min_name_chars) {
        push(out, PiiKind::Address, start..units.end, confidence);
    }
}

/// Matches `88号3栋2单元502室` at `digit_start` and returns its end.
fn street_address_end(text: &str, digit_start: usize) -> Option<usize> {
    let bytes = text.as_bytes();

    // The house number: 88号, 88-1号, 88之1号.
    let mut i = digit_run_end(bytes, digit_start);
    if i - digit_start > 5 {
        return None;
    }
    for joiner in ["-", "之"] {
        if text[i..].starts_with(joiner) {
            let end = digit_run_end(bytes, i + joiner.len());
            if end > i + joiner.len() {
                i = end;
            }
            break;
        }
    }
    i += text[i..].strip_prefix('号').map(|_| '号'.len_utf8())?;

    // The building, unit and room, right away or after an estate or building name.
    let units = parse_units(text, i).or_else(|| {
        let name_end = skip_building_name(text, i)?;
        parse_units(text, name_end)
    })?;
    (units.strong > 0).then_some(units.end)
}

/// Skips an estate or building name of CJK characters (金色家园, 3号院) and returns where the
/// next ASCII letter or digit starts.
fn skip_building_name(text: &str, start: usize) -> Option<usize> {
    for (count, (offset, c)) in text[start..].char_indices().enumerate() {
        if c.is_ascii_alphanumeric() {
            return (count > 0).then_some(start + offset);
        }
        if count == MAX_BUILDING_NAME_CHARS || !is_han(c) || NAME_STOPS.contains(&c) {
            return None;
        }
    }
    None
}

/// The building, unit and room part of an address.
#[derive(Debug)]
struct Units {
    end: usize,
    /// Number of units that identify a building, unit or room, as opposed to a floor.
    strong: usize,
    /// Whether a building (栋, 幢, 号楼, 座) is given.
    has_building: bool,
    /// Whether a unit or room (单元, 室, 房, 户 or a bare room number) is given.
    has_room: bool,
}

/// Parses units such as `3栋2单元502室` at `start`, where the last may be a bare room number
/// (`3栋2单元502`).
fn parse_units(text: &str, start: usize) -> Option<Units> {
    let bytes = text.as_bytes();
    let mut units = Units {
        end: start,
        strong: 0,
        has_building: false,
        has_room: false,
    };
    let mut count = 0;
    let mut i = start;
    loop {
        let value_end = unit_value_end(text, i);
        if value_end == i {
            break;
        }
        let rest = &text[value_end..];
        let Some(word) = [
            "号楼", "单元", "号房", "栋", "幢", "座", "室", "房", "户", "楼", "层", "号",
        ]
        .into_iter()
        .find(|word| rest.starts_with(word)) else {
            // A bare room number ends the address: 2单元502.
            let is_room = count > 0
                && (3..=5).contains(&(value_end - i))
                && bytes[i..value_end].iter().all(u8::is_ascii_digit)
                && !rest
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || MEASURE_WORDS.contains(&c));
            if is_room {
                units.strong += 1;
                units.has_room = true;
                units.end = value_end;
            }
            break;
        };
        count += 1;
        if !matches!(word, "楼" | "层" | "号") {
            units.strong += 1;
        }
        units.has_building |= matches!(word, "栋" | "幢" | "号楼" | "座");
        units.has_room |= matches!(word, "单元" | "号房" | "室" | "房" | "户");
        i = value_end + word.len();
        units.end = i;
    }
    (count > 0).then_some(units)
}

/// Returns the end of a unit number at `start`: 1 to 5 ASCII letters and digits, or 1 to 3
/// Chinese numerals. Returns `start` when there is none.
fn unit_value_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let ascii_end = bytes[start..]
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .map_or(bytes.len(), |offset| start + offset);
    if ascii_end > start {
        return if ascii_end - start <= 5 {
            ascii_end
        } else {
            start
        };
    }
    let mut end = start;
    for (count, c) in text[start..].chars().enumerate() {
        if count == 3 || !"一二三四五六七八九十两".contains(c) {
            break;
        }
        end += c.len_utf8();
    }
    end
}

/// Returns where an address starts whose road or estate name ends at `name_end`: the start of
/// the name, or of up to three administrative areas just before it. Returns `None` when the
/// name is shorter than `min_name_chars`.
fn address_start(text: &str, name_end: usize, min_name_chars: usize) -> Option<usize> {
    let mut start = name_end;
    let mut count = 0;
    for (offset, c) in text[..name_end].char_indices().rev() {
        if count == MAX_ROAD_NAME_CHARS || !is_name_char(c) || ADMIN_SUFFIXES.contains(&c) {
            break;
        }
        start = offset;
        count += 1;
    }
    if count < min_name_chars.max(1) {
        return None;
    }

    for _ in 0..3 {
        match admin_area_start(text, start) {
            Some(area_start) => start = area_start,
            None => break,
        }
    }
    Some(start)
}

/// Returns the start of an administrative area name (长沙市, A3区) that ends at `end`, if one
/// does and it is at most 5 characters long.
fn admin_area_start(text: &str, end: usize) -> Option<usize> {
    let before = &text[..end];
    let suffix = before.chars().next_back()?;
    if !ADMIN_SUFFIXES.contains(&suffix) {
        return None;
    }
    let mut start = end - suffix.len_utf8();
    let mut count = 1;
    for (offset, c) in before[..start].char_indices().rev() {
        if !is_name_char(c) || ADMIN_SUFFIXES.contains(&c) {
            break;
        }
        if count == MAX_ADMIN_AREA_CHARS {
            return None;
        }
        start = offset;
        count += 1;
    }
    (count > 1).then_some(start)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (is_han(c) && !NAME_STOPS.contains(&c))
}

fn digit_run_end(bytes: &[u8], start: usize) -> usize {
    super::scan::digit_run_end(bytes, start)
}

#[cfg(test)]
mod tests {
    use super::super::detect;
    use super::*;

    fn addresses(text: &str) -> Vec<&str> {
        detect(text)
            .into_iter()
            .filter(|f| f.kind == PiiKind::Address)
            .map(|f| &text[f.span])
            .collect()
    }

    #[test]
    fn street_address_with_district() {
        assert_eq!(
            addresses("我家住在岳麓区枫林三路88号3栋2单元502室，"),
            ["岳麓区枫林三路88号3栋2单元502室"]
        );
        assert_eq!(
            addresses("地址：西地省A市A3区人民中路12-1号金色家园5幢1单元302"),
            ["西地省A市A3区人民中路12-1号金色家园5幢1单元302"]
        );
    }

    #[test]
    fn estate_address() {
        assert_eq!(
            addresses("住在金色家园小区3栋2单元502室"),
            ["金色家园小区3栋2单元502室"]
        );
        assert_eq!(
            addresses("地址：湘江世纪城9栋1单元2805。"),
            ["湘江世纪城9栋1单元2805"]
        );
        assert_eq!(
            addresses("住址：雨花区融科东南海6栋1704室"),
            ["雨花区融科东南海6栋1704室"]
        );
        // No estate name: 该 means "this".
        assert!(addresses("该小区25栋27栋").is_empty());
    }

    #[test]
    fn street_number_without_building_is_not_an_address() {
        assert!(addresses("门店在枫林三路88号，").is_empty());
        assert!(addresses("枫林三路88号3楼").is_empty());
        assert!(addresses("小区3栋楼下").is_empty());
    }

    #[test]
    fn bare_room_number_not_a_year() {
        assert_eq!(addresses("家住枫林三路88号3栋2019年"), ["枫林三路88号3栋"]);
    }

    #[test]
    fn road_name_walk_stops_at_function_words() {
        // NOTE: without a dictionary of road names, the walk back takes in the characters
        // between the last function word (处) and the road name.
        assert_eq!(
            addresses("请相关部门尽快处理枫林三路88号3栋的问题"),
            ["理枫林三路88号3栋"]
        );
    }
}
