//! Place extraction from Chinese request text: administrative areas, streets, communities,
//! villages, estates (小区), roads, schools, hospitals, companies and landmarks.
//!
//! The extractor is rule-based. It finds a place suffix (省 市 区 县 镇 乡 街道 社区 村 小区 花园
//! 苑 路 街 大道 巷 学校 医院 公司 ...) and extends the name to its left until a boundary. A
//! boundary is a character other than a Han character or an ASCII letter or digit, a function
//! character such as 的 or 在, the end of the previous mention, or the maximum name length.
//! Masked codes of the form letter + digits ("A3区", "K市", "A7县") are recognised as names.
//! Names then lose common leading verbs and forms of address (投诉, 关于, 尊敬的 ...).
//!
//! It does not segment words with a dictionary and does not resolve a name to a map, so it
//! can cut a name that contains a function character ("和平路" yields "平路"). Both sides of a
//! comparison are cut the same way, which is what duplicate linking needs. Text masked for
//! personal data ("[地址]", "139****5678") only acts as a boundary.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The kind of a place mention, from the largest administrative area to a single site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// 省.
    Province,
    /// 市.
    City,
    /// 区 (an urban district).
    District,
    /// 县.
    County,
    /// 镇 or 乡.
    Town,
    /// 街道 (a sub-district office area).
    Street,
    /// 社区.
    Community,
    /// 村, and a villagers' group (组) that follows a village.
    Village,
    /// A residential estate: 小区, 花园, 苑, 城, 府 ...
    Estate,
    /// A road, street, lane, bridge or tunnel, and a bus route such as "805路".
    Road,
    /// A school, from 幼儿园 to 大学.
    School,
    /// A hospital or clinic.
    Hospital,
    /// A company, bank or hotel.
    Company,
    /// A park, square, market or station.
    Landmark,
    /// A named case or scheme that many people are party to, such as a collapsed lending
    /// platform ("58车贷案"). It is not a place, but it identifies the problem as a place
    /// does.
    Case,
}

impl PlaceKind {
    /// Whether this kind is an administrative area (province to village), as opposed to a
    /// site such as an estate or a road.
    pub fn is_administrative(self) -> bool {
        matches!(
            self,
            Self::Province
                | Self::City
                | Self::District
                | Self::County
                | Self::Town
                | Self::Street
                | Self::Community
                | Self::Village
        )
    }

    /// The maximum number of characters of a Han name before the suffix.
    fn max_name_chars(self) -> usize {
        match self {
            Self::Province | Self::City | Self::District | Self::County => 2,
            Self::Town => 3,
            Self::Street | Self::Village => 4,
            Self::Community | Self::Road => 5,
            Self::Estate => 7,
            Self::School | Self::Hospital | Self::Landmark => 8,
            Self::Company => 12,
            Self::Case => 10,
        }
    }
}

/// One place found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceMention {
    /// The text of the mention, suffix included ("联丰路", "A3区").
    pub text: String,
    /// The kind of place.
    pub kind: PlaceKind,
    /// The start of the mention, a byte offset into the text that was searched.
    pub start: usize,
    /// The end of the mention (exclusive), a byte offset into the text that was searched.
    pub end: usize,
    /// The normalised key: the text without a generic suffix such as 小区 or 社区, so that
    /// "丽发新城小区" and "丽发新城社区" share the key "丽发新城".
    pub key: String,
}

/// The place hierarchy of a request, built from its mentions.
///
/// Each administrative level keeps its first mention. `sites` contains the keys of the specific
/// places (estates, roads, schools, companies, landmarks, communities and villages) in order
/// of first appearance, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacePath {
    /// 省, such as "西地省".
    pub province: Option<String>,
    /// 市, such as "A市".
    pub city: Option<String>,
    /// 区 or 县, such as "A3区".
    pub district: Option<String>,
    /// 镇, 乡 or 街道.
    pub township: Option<String>,
    /// 社区 or 村.
    pub community: Option<String>,
    /// Keys of specific places, in order of first appearance.
    pub sites: Vec<String>,
}

impl PlacePath {
    /// Builds the hierarchy from mentions in text order.
    pub fn from_mentions(mentions: &[PlaceMention]) -> Self {
        let mut path = Self::default();
        for mention in mentions {
            let slot = match mention.kind {
                PlaceKind::Province => Some(&mut path.province),
                PlaceKind::City => Some(&mut path.city),
                PlaceKind::District | PlaceKind::County => Some(&mut path.district),
                PlaceKind::Town | PlaceKind::Street => Some(&mut path.township),
                PlaceKind::Community | PlaceKind::Village => Some(&mut path.community),
                _ => None,
            };
            if let Some(slot) = slot
                && slot.is_none()
            {
                *slot = Some(mention.key.clone());
            }
            let is_site = !matches!(
                mention.kind,
                PlaceKind::Province
                    | PlaceKind::City
                    | PlaceKind::District
                    | PlaceKind::County
                    | PlaceKind::Town
                    | PlaceKind::Street
            );
            if is_site && !path.sites.contains(&mention.key) {
                path.sites.push(mention.key.clone());
            }
        }
        path
    }

    /// Joins the levels that are present, from largest to smallest, then the first site,
    /// with `/`: "A市/A3区/联丰路".
    pub fn key(&self) -> String {
        let levels = [
            &self.province,
            &self.city,
            &self.district,
            &self.township,
            &self.community,
        ];
        let mut parts: Vec<&str> = levels.iter().filter_map(|level| level.as_deref()).collect();
        if let Some(site) = self
            .sites
            .iter()
            .find(|site| Some(*site) != self.community.as_ref())
        {
            parts.push(site);
        }
        parts.join("/")
    }
}

/// Place suffixes, longest first so that 小区 wins over 区 and 街道 over 街.
const SUFFIXES: &[(&str, PlaceKind)] = &[
    ("股份有限公司", PlaceKind::Company),
    ("有限责任公司", PlaceKind::Company),
    ("有限公司", PlaceKind::Company),
    ("实验学校", PlaceKind::School),
    ("幼儿园", PlaceKind::School),
    ("卫生院", PlaceKind::Hospital),
    ("地铁站", PlaceKind::Landmark),
    ("火车站", PlaceKind::Landmark),
    ("高铁站", PlaceKind::Landmark),
    ("汽车站", PlaceKind::Landmark),
    ("工业园", PlaceKind::Landmark),
    ("产业园", PlaceKind::Landmark),
    ("街道", PlaceKind::Street),
    ("社区", PlaceKind::Community),
    ("小区", PlaceKind::Estate),
    ("花园", PlaceKind::Estate),
    ("家园", PlaceKind::Estate),
    ("新村", PlaceKind::Estate),
    ("山庄", PlaceKind::Estate),
    ("公寓", PlaceKind::Estate),
    ("大厦", PlaceKind::Estate),
    ("华庭", PlaceKind::Estate),
    ("公馆", PlaceKind::Estate),
    ("大道", PlaceKind::Road),
    ("大桥", PlaceKind::Road),
    ("隧道", PlaceKind::Road),
    ("立交", PlaceKind::Road),
    ("高速", PlaceKind::Road),
    ("小学", PlaceKind::School),
    ("中学", PlaceKind::School),
    ("大学", PlaceKind::School),
    ("学院", PlaceKind::School),
    ("学校", PlaceKind::School),
    ("附中", PlaceKind::School),
    ("医院", PlaceKind::Hospital),
    ("诊所", PlaceKind::Hospital),
    ("公司", PlaceKind::Company),
    ("集团", PlaceKind::Company),
    ("银行", PlaceKind::Company),
    ("酒店", PlaceKind::Company),
    ("驾校", PlaceKind::Company),
    ("公园", PlaceKind::Landmark),
    ("广场", PlaceKind::Landmark),
    ("市场", PlaceKind::Landmark),
    ("省", PlaceKind::Province),
    ("市", PlaceKind::City),
    ("区", PlaceKind::District),
    ("县", PlaceKind::County),
    ("镇", PlaceKind::Town),
    ("乡", PlaceKind::Town),
    ("村", PlaceKind::Village),
    ("苑", PlaceKind::Estate),
    ("府", PlaceKind::Estate),
    ("城", PlaceKind::Estate),
    ("湾", PlaceKind::Estate),
    ("郡", PlaceKind::Estate),
    ("邸", PlaceKind::Estate),
    ("路", PlaceKind::Road),
    ("街", PlaceKind::Road),
    ("巷", PlaceKind::Road),
    ("桥", PlaceKind::Road),
    ("案件", PlaceKind::Case),
    ("案", PlaceKind::Case),
];

/// Words that describe the kind of a case rather than name it, removed from the end of a
/// case name: "58车贷特大集资诈骗案" names the case "58车贷". A name that is only such
/// words ("刑事案件", "诈骗案") is no case name.
const CASE_DESCRIPTORS: &[&str] = &[
    "恶性退出",
    "良性退出",
    "非法集资",
    "集资诈骗",
    "合同诈骗",
    "电信诈骗",
    "非法吸收",
    "公众存款",
    "吸收",
    "存款",
    "诈骗",
    "集资",
    "传销",
    "退出",
    "爆雷",
    "跑路",
    "逃跑",
    "特大",
    "重大",
    "涉嫌",
    "刑事",
    "民事",
    "行政",
    "经济",
    "非法",
    "平台",
    "一",
    "等",
];

/// Characters that rarely occur inside a place name, so the name stops before them.
const STOP_CHARS: &str = "有过由的在是了我你他她们这那该被把让给向对从到与及或等说都也就还又很要想能会已将于因但而并即其此每各没不请问住叫做个些吗呢吧啊称";

/// Leading words removed from a name: verbs of complaint and forms of address.
const LEADING_WORDS: &[&str] = &[
    "尊敬", "领导", "您好", "你好", "书记", "市长", "县长", "局长", "投诉", "举报", "反映", "关于",
    "请求", "恳请", "咨询", "建议", "希望", "位于", "地处", "靠近", "购买", "本人", "家住", "居住",
    "入住", "整治", "取缔", "清理", "解决", "要求", "反对", "坚决", "强烈", "督促", "敦促", "作为",
    "违规", "非法", "位置", "原来", "就是", "旁边", "附近", "周边", "目前", "现在", "今年", "去年",
    "近日", "最近", "业主", "居民", "村民", "小区", "为", "原", "系", "加快", "随着",
];

/// Names that are generic words, not places ("农村", "城市", "马路").
const GENERIC_NAMES: &[&str] = &[
    "农",
    "乡",
    "本",
    "我",
    "该",
    "全",
    "各",
    "邻",
    "城中",
    "新农",
    "城",
    "超",
    "门",
    "夜",
    "菜",
    "股",
    "楼",
    "早",
    "都",
    "上",
    "城区",
    "市",
    "片",
    "辖",
    "景",
    "园",
    "校",
    "厂",
    "新",
    "老",
    "马",
    "道",
    "公",
    "铁",
    "线",
    "出",
    "走",
    "一",
    "思",
    "水",
    "网",
    "电",
    "政",
    "县",
    "省",
    "进",
    "古",
    "回",
    "京",
    "满",
    "大",
    "小",
    "分",
    "总",
    "子",
    "母",
    "同",
    "学",
    "商",
    "生活",
    "住宅",
    "居住",
    "营业",
    "安置",
    "周边",
    "附近",
    "这个",
    "那个",
    "其他",
    "整个",
    "所在",
    "周围",
    "商品",
    "一个",
    "两个",
    "几个",
    "我们",
    "他们",
    "公办",
    "民办",
    "私立",
    "公立",
    "职业",
    "培训",
    "驾",
    "地铁",
    "高铁",
    "火车",
    "汽车",
    "客运",
    "我们小",
    "本小",
    "该小",
    "老小",
    "新小",
    "示范",
    "重点",
    "普通",
    "有限",
    "责任",
    "股份",
    "政府",
    "开发",
    "物业",
    "建设",
    "发展",
    "投资",
    "科技",
    "工程",
    "服务",
    "十字",
    "交叉",
    "丁字",
    "三岔",
    "人行天",
    "自来水",
    "供水",
    "供电",
    "电力",
    "燃气",
    "公交",
    "移动",
    "电信",
    "联通",
    "快递",
    "中介",
    "保险",
    "建筑",
    "施工",
    "装修",
    "劳务",
    "房地产",
    "地产",
    "企业",
    "信息",
    "教育",
    "下属物业",
    "城中",
];

/// Which suffix may extend the mention right before it when it has no name of its own:
/// "A1区" + "路" is the masked road "A1区路", "城南路" + "街道" is a street office area.
fn merges_into(previous: PlaceKind, next: PlaceKind) -> bool {
    use PlaceKind::*;
    matches!(
        (previous, next),
        (District | County | City, Road)
            | (Road, Street | Community | Road)
            | (Estate, Estate | Community)
            | (Company, Company)
            | (School, School)
            | (Community | Village, Estate)
    )
}

/// Whether the character after a suffix rules the match out ("路灯", "城市", "村民").
fn follower_rejects(suffix: &str, next: Option<char>) -> bool {
    let Some(next) = next else {
        return false;
    };
    let rejected: &str = match suffix {
        "路" => "灯面况过费程线径由基网牌标人",
        "街" => "头坊",
        "城" => "市管区乡镇中墙际建里内外",
        "村" => "民委级",
        "区" => "域别间分块",
        "市" => "民政委内里面值级容",
        "县" => "级委政",
        "镇" => "政",
        "府" => "部门",
        "湾" => "里",
        "桥" => "梁头",
        "大学" => "生",
        "学院" => "生",
        "案" => "例由卷底头板子犬",
        _ => "",
    };
    rejected.contains(next)
}

/// Whether the last character of a name shows a common word rather than a place: "马路",
/// "公路", "政府", "县城".
fn name_end_rejects(kind: PlaceKind, last: Option<char>) -> bool {
    let Some(last) = last else {
        return true;
    };
    let rejected = match kind {
        PlaceKind::Road => "马公铁线道出走一思网电水小大",
        PlaceKind::Estate => "政县省京进全古",
        PlaceKind::School => "宽到去回",
        // "立案", "备案", "方案", "报案", "结案": the usual words that end in 案.
        PlaceKind::Case => "立备方报结破办审判销撤诉翻冤悬要专旧本此该个草文法图提预议答档定此公",
        _ => "",
    };
    rejected.contains(last)
}

/// Whether `c` is one of `STOP_CHARS`, by binary search in a sorted copy.
fn is_stop_char(c: char) -> bool {
    static SORTED: OnceLock<Vec<char>> = OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut chars: Vec<char> = STOP_CHARS.chars().collect();
        chars.sort_unstable();
        chars
    });
    sorted.binary_search(&c).is_ok()
}

fn is_name_char(c: char) -> bool {
    is_han(c) || c.is_ascii_alphanumeric()
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Finds every place mentioned in `text`, in text order, without overlaps.
///
/// Offsets are byte offsets into `text`. Callers that compare requests should extract from
/// text normalised by `cityai_text::normalize`, so that full-width letters and digits of
/// masked codes ("Ａ３区") match their ASCII form.
///
/// ```
/// use cityai_hotspot::{PlaceKind, extract_places};
///
/// let places = extract_places("座落在A市A3区联丰路米兰春天G2栋320");
/// let texts: Vec<&str> = places.iter().map(|p| p.text.as_str()).collect();
/// assert_eq!(texts, ["A市", "A3区", "联丰路", "米兰春天"]);
/// assert_eq!(places[3].kind, PlaceKind::Estate);
/// ```
pub fn extract_places(text: &str) -> Vec<PlaceMention> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |index: usize| chars.get(index).map_or(text.len(), |&(byte, _)| byte);
    let mut mentions: Vec<PlaceMention> = Vec::new();
    // Char index left of which no name may extend.
    let mut floor = 0;
    let mut i = 0;

    while i < chars.len() {
        let c = chars[i].1;
        if !is_name_char(c) {
            floor = i + 1;
            i += 1;
            continue;
        }
        if is_stop_char(c) {
            floor = i + 1;
        }
        let Some((suffix, kind)) = suffix_at(&chars, i) else {
            i += 1;
            continue;
        };
        let suffix_chars = suffix.chars().count();
        let end = i + suffix_chars;
        if follower_rejects(suffix, chars.get(end).map(|&(_, c)| c)) {
            i += 1;
            continue;
        }

        // A suffix right after a mention, with no name of its own, may extend that mention.
        let last_end = mentions.last().map(|m| m.end);
        if last_end == Some(byte_at(i))
            && let Some(last) = mentions.last_mut()
            && merges_into(last.kind, kind)
        {
            last.end = byte_at(end);
            last.text = text[last.start..last.end].to_string();
            if !(last.kind == PlaceKind::Estate && kind == PlaceKind::Community) {
                last.kind = kind;
            }
            last.key = normalize_key(&last.text, last.kind);
            floor = end;
            i = end;
            continue;
        }

        match name_start(&chars, floor, i, kind) {
            Some(start) => {
                // Masking can replace the end of an estate name with a code that looks like
                // a county ("五矿万境K9县"). An administrative code right after a name is
                // read as that estate, keyed by the name.
                let previous_end = mentions
                    .last()
                    .map_or(0, |m| chars.partition_point(|&(byte, _)| byte < m.end));
                let estate = if kind.is_administrative() && chars[start].1.is_ascii_uppercase() {
                    estate_before_code(&chars, previous_end, start)
                } else {
                    None
                };
                let mention = match estate {
                    Some((name_start, name_end)) => {
                        let name = &text[byte_at(name_start)..byte_at(name_end)];
                        PlaceMention {
                            text: text[byte_at(name_start)..byte_at(end)].to_string(),
                            kind: PlaceKind::Estate,
                            start: byte_at(name_start),
                            end: byte_at(end),
                            key: normalize_key(name, PlaceKind::Estate),
                        }
                    }
                    None => {
                        let mention_text = &text[byte_at(start)..byte_at(end)];
                        PlaceMention {
                            text: mention_text.to_string(),
                            kind,
                            start: byte_at(start),
                            end: byte_at(end),
                            key: normalize_key(mention_text, kind),
                        }
                    }
                };
                mentions.push(mention);
                floor = end;
                i = end;
            }
            // Skip the whole suffix, so that a rejected "安置小区" is not retried as "置小区".
            None => i = end,
        }
    }

    add_building_estates(text, &chars, &mut mentions);
    add_village_groups(text, &chars, &mut mentions);
    mentions
}

fn suffix_at(chars: &[(usize, char)], i: usize) -> Option<(&'static str, PlaceKind)> {
    static FIRST_CHARS: OnceLock<Vec<char>> = OnceLock::new();
    let first_chars = FIRST_CHARS.get_or_init(|| {
        let mut first: Vec<char> = SUFFIXES
            .iter()
            .filter_map(|(s, _)| s.chars().next())
            .collect();
        first.sort_unstable();
        first.dedup();
        first
    });
    if first_chars.binary_search(&chars[i].1).is_err() {
        return None;
    }
    SUFFIXES.iter().copied().find(|(suffix, _)| {
        suffix
            .chars()
            .enumerate()
            .all(|(offset, c)| chars.get(i + offset).is_some_and(|&(_, have)| have == c))
    })
}

/// Returns the char index where the name before the suffix at `suffix_start` begins, or
/// `None` when there is no acceptable name.
fn name_start(
    chars: &[(usize, char)],
    floor: usize,
    suffix_start: usize,
    kind: PlaceKind,
) -> Option<usize> {
    // A masked code: one capital letter and optional digits ("A3", "K", "M5").
    let mut code_start = suffix_start;
    while code_start > floor && chars[code_start - 1].1.is_ascii_digit() {
        code_start -= 1;
    }
    if code_start > floor && chars[code_start - 1].1.is_ascii_uppercase() {
        let letter = code_start - 1;
        let before_is_letter = letter > 0 && chars[letter - 1].1.is_ascii_alphabetic();
        if !before_is_letter {
            return Some(letter);
        }
    }

    // A Han name, or a digit route number for a road ("805路"). The scan reaches a few
    // characters past the maximum so that a leading word cut in half ("地处") is still
    // recognised and stripped. The name is then cut to the maximum from the right.
    let max_chars = kind.max_name_chars();
    let mut start = suffix_start;
    while start > floor && suffix_start - start < max_chars + 3 {
        let c = chars[start - 1].1;
        let latin = kind == PlaceKind::Case && c.is_ascii_alphabetic();
        if is_stop_char(c) || !(is_han(c) || c.is_ascii_digit() || latin) {
            break;
        }
        start -= 1;
    }
    let scanned: String = chars[start..suffix_start].iter().map(|&(_, c)| c).collect();
    let stripped = strip_leading_words(&scanned);
    let mut start = start + (scanned.chars().count() - stripped.chars().count());
    let stripped: String = if stripped.chars().count() > max_chars {
        let excess = stripped.chars().count() - max_chars;
        if kind.is_administrative() && kind != PlaceKind::Street && kind != PlaceKind::Community {
            // "中心城市", "作为省": a short administrative name must begin at a boundary.
            return None;
        }
        start += excess;
        stripped.chars().skip(excess).collect()
    } else {
        stripped.to_string()
    };

    let han_count = stripped.chars().filter(|&c| is_han(c)).count();
    let digit_count = stripped.chars().filter(char::is_ascii_digit).count();
    let acceptable = if kind == PlaceKind::Case {
        // Without a dictionary a Han-only case name has no visible start ("依法调查余易贷"),
        // so only a brand name that starts with a digit or Latin letter is read as a case
        // ("58车贷"). It keeps at least two Han characters once the descriptors are removed.
        let offset = stripped.find(|c: char| c.is_ascii_alphanumeric())?;
        start += stripped[..offset].chars().count();
        let core = strip_case_descriptors(&stripped[offset..]);
        core.chars().filter(|&c| is_han(c)).count() >= 2
            && !name_end_rejects(kind, core.chars().last())
    } else if digit_count > 0 && han_count == 0 {
        kind == PlaceKind::Road && digit_count <= 4
    } else {
        han_count >= 2
            && !GENERIC_NAMES.contains(&stripped.as_str())
            && !name_end_rejects(kind, stripped.chars().last())
    };
    acceptable.then_some(start)
}

/// Returns the char range of an estate name written right before the masked code that
/// starts at `code_start`, optionally with a "·" between ("五矿万境·K9县"), or `None`.
fn estate_before_code(
    chars: &[(usize, char)],
    floor: usize,
    code_start: usize,
) -> Option<(usize, usize)> {
    let name_end = if code_start > floor && chars[code_start - 1].1 == '·' {
        code_start - 1
    } else {
        code_start
    };
    if name_end <= floor || !is_han(chars[name_end - 1].1) {
        return None;
    }
    let start = name_start(chars, floor, name_end, PlaceKind::Estate)?;
    if start >= name_end || !names_housing(chars, code_start) {
        return None;
    }
    Some((start, name_end))
}

/// Whether the masked code at `code_start` is followed by a building number or a housing
/// word ("K9县25栋", "K9县业主", "K9县交房"), which shows that it ends an estate name
/// rather than naming a county.
fn names_housing(chars: &[(usize, char)], code_start: usize) -> bool {
    const HOUSING_WORDS: &[&str] = &[
        "小区",
        "业主",
        "楼盘",
        "交房",
        "房屋",
        "房子",
        "项目",
        "物业",
        "开发商",
        "住宅",
    ];
    let mut after = code_start + 1;
    while chars.get(after).is_some_and(|&(_, c)| c.is_ascii_digit()) {
        after += 1;
    }
    // Skip the administrative suffix itself (区, 县 or 市).
    after += 1;
    if starts_building_number(chars, after) {
        return true;
    }
    let next: String = chars[after.min(chars.len())..chars.len().min(after + 4)]
        .iter()
        .map(|&(_, c)| c)
        .collect();
    let next = next.strip_prefix('的').unwrap_or(&next);
    HOUSING_WORDS.iter().any(|word| next.starts_with(word))
}

/// Removes the words that describe the kind of a case from both ends of its name.
fn strip_case_descriptors(name: &str) -> &str {
    let mut rest = name;
    loop {
        let before = rest.len();
        for word in CASE_DESCRIPTORS {
            if let Some(head) = rest.strip_suffix(word) {
                rest = head;
            }
            if let Some(tail) = rest.strip_prefix(word) {
                rest = tail;
            }
        }
        if rest.len() == before {
            return rest;
        }
    }
}

fn strip_leading_words(name: &str) -> &str {
    let mut rest = name;
    loop {
        let before = rest;
        for word in LEADING_WORDS {
            if let Some(tail) = rest.strip_prefix(word) {
                rest = tail;
            }
        }
        if rest.len() == before.len() {
            return rest;
        }
    }
}

/// Drops a generic suffix that names the same place in several ways.
fn normalize_key(text: &str, kind: PlaceKind) -> String {
    let generic: &[&str] = match kind {
        PlaceKind::Estate | PlaceKind::Community => &["小区", "社区"],
        PlaceKind::Company => &["股份有限公司", "有限责任公司", "有限公司", "公司"],
        PlaceKind::Case => {
            let name = text
                .strip_suffix("案件")
                .or_else(|| text.strip_suffix('案'))
                .unwrap_or(text);
            return strip_case_descriptors(name).to_string();
        }
        _ => &[],
    };
    let mut key = text;
    for suffix in generic {
        if let Some(stem) = text.strip_suffix(suffix)
            && stem.chars().count() >= 2
        {
            key = stem;
            break;
        }
    }
    if kind == PlaceKind::Estate {
        key = strip_masked_code(key);
    }
    key.to_string()
}

/// Removes a masked administrative code from the end of an estate name: "五矿万境K9县"
/// and "五矿万境" are one estate. A name that would keep fewer than two Han characters
/// stays whole.
fn strip_masked_code(name: &str) -> &str {
    let Some(head) = name.strip_suffix(['区', '县', '市']) else {
        return name;
    };
    let head = head.trim_end_matches(|c: char| c.is_ascii_digit());
    let Some(head) = head.strip_suffix(|c: char| c.is_ascii_uppercase()) else {
        return name;
    };
    let head = head.strip_suffix('·').unwrap_or(head);
    if head.chars().filter(|&c| is_han(c)).count() >= 2 {
        head
    } else {
        name
    }
}

/// Adds the estate named between a road or area and a building number:
/// "联丰路米兰春天G2栋" names the estate "米兰春天".
fn add_building_estates(text: &str, chars: &[(usize, char)], mentions: &mut Vec<PlaceMention>) {
    let mut added = Vec::new();
    for (index, mention) in mentions.iter().enumerate() {
        if mention.kind == PlaceKind::Estate || mention.kind == PlaceKind::Company {
            continue;
        }
        let Some(first) = chars
            .binary_search_by_key(&mention.end, |&(byte, _)| byte)
            .ok()
        else {
            continue;
        };
        let limit = mentions
            .get(index + 1)
            .map_or(text.len(), |next| next.start);
        let mut j = first;
        while j < chars.len() && is_han(chars[j].1) && chars[j].0 < limit {
            if is_stop_char(chars[j].1) {
                break;
            }
            j += 1;
        }
        let name_chars = j - first;
        if !(2..=6).contains(&name_chars) || !starts_building_number(chars, j) {
            continue;
        }
        let start = chars[first].0;
        let end = chars[j].0;
        added.push(PlaceMention {
            text: text[start..end].to_string(),
            kind: PlaceKind::Estate,
            start,
            end,
            key: text[start..end].to_string(),
        });
    }
    if !added.is_empty() {
        mentions.extend(added);
        mentions.sort_by_key(|m| m.start);
    }
}

/// Whether a building number starts at `index`: "G2栋", "3栋", "5号楼", "二期".
fn starts_building_number(chars: &[(usize, char)], index: usize) -> bool {
    let mut j = index;
    if chars.get(j).is_some_and(|&(_, c)| c.is_ascii_uppercase()) {
        j += 1;
    }
    let digits_start = j;
    while chars
        .get(j)
        .is_some_and(|&(_, c)| c.is_ascii_digit() || "一二三四五六七八九十".contains(c))
    {
        j += 1;
    }
    if j == digits_start {
        return false;
    }
    let rest: String = chars[j..chars.len().min(j + 2)]
        .iter()
        .map(|&(_, c)| c)
        .collect();
    ["栋", "号楼", "期", "单元", "幢"]
        .iter()
        .any(|unit| rest.starts_with(unit))
}

/// Adds a villagers' group right after a village: "金鼎村七里组".
fn add_village_groups(text: &str, chars: &[(usize, char)], mentions: &mut [PlaceMention]) {
    for mention in mentions.iter_mut().filter(|m| m.kind == PlaceKind::Village) {
        let Some(first) = chars
            .binary_search_by_key(&mention.end, |&(byte, _)| byte)
            .ok()
        else {
            continue;
        };
        let group_end = (first + 1..=first + 3)
            .take_while(|&j| j <= chars.len() && chars[j - 1].1 != '村' && is_han(chars[j - 1].1))
            .find(|&j| chars[j - 1].1 == '组' && j - first >= 2);
        if let Some(group_end) = group_end {
            mention.end = chars.get(group_end).map_or(text.len(), |&(byte, _)| byte);
            mention.text = text[mention.start..mention.end].to_string();
            mention.key = mention.text.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        extract_places(text).into_iter().map(|m| m.text).collect()
    }

    #[test]
    fn masked_codes_and_roads() {
        assert_eq!(texts("A市A1区路与福城路交口"), ["A市", "A1区路", "福城路"]);
        assert_eq!(texts("K市的问题"), ["K市"]);
    }

    #[test]
    fn street_office_after_road() {
        let places = extract_places("黄兴路步行街，城南路街道");
        let last = places.last().unwrap();
        assert_eq!(last.text, "城南路街道");
        assert_eq!(last.kind, PlaceKind::Street);
    }

    #[test]
    fn estate_keys_drop_generic_suffix() {
        let a = extract_places("投诉丽发新城小区附近搅拌站");
        let b = extract_places("我是暮云街道丽发新城社区的业主");
        assert_eq!(a[0].key, "丽发新城");
        assert!(b.iter().any(|m| m.key == "丽发新城"), "{b:?}");
    }

    #[test]
    fn village_with_group() {
        let places = extract_places("本人系春华镇金鼎村七里组村民");
        assert_eq!(places[0].text, "春华镇");
        assert_eq!(places[1].text, "金鼎村七里组");
    }

    #[test]
    fn generic_words_are_not_places() {
        assert!(texts("农村的马路上有路灯").is_empty());
        assert!(texts("城市管理").is_empty());
    }

    #[test]
    fn masked_personal_data_is_a_boundary() {
        assert_eq!(
            texts("[姓名]住在[地址]，电话139****5678"),
            Vec::<String>::new()
        );
        assert_eq!(texts("[地址]米兰春天小区"), ["米兰春天小区"]);
    }

    #[test]
    fn company_name_merges_its_suffixes() {
        let places = extract_places("西地省九九富达实业发展集团股份有限公司涉嫌诈骗");
        assert_eq!(places[1].text, "九九富达实业发展集团股份有限公司");
        assert_eq!(places[1].kind, PlaceKind::Company);
    }

    #[test]
    fn estate_name_before_masked_code() {
        let places = extract_places("我是A5区汇金路五矿万境K9县25栋的业主");
        let estate = places.iter().find(|m| m.kind == PlaceKind::Estate).unwrap();
        assert_eq!(estate.text, "五矿万境K9县");
        assert_eq!(estate.key, "五矿万境");
        let with_suffix = extract_places("A市五矿万境K9县小区交房");
        assert!(
            with_suffix.iter().any(|m| m.key == "五矿万境"),
            "{with_suffix:?}"
        );
        // A code after an ordinary word stays a county.
        let county = extract_places("根据A7县的规定");
        assert_eq!(county.last().unwrap().kind, PlaceKind::County);
    }

    #[test]
    fn named_case_keeps_its_name() {
        for text in [
            "严惩A市58车贷特大集资诈骗案保护伞",
            "我是A市58车贷恶性退出案件的受害人",
            "恳请督促经侦公正办理58车贷案件",
        ] {
            let places = extract_places(text);
            let case = places.iter().find(|m| m.kind == PlaceKind::Case);
            assert_eq!(case.map(|m| m.key.as_str()), Some("58车贷"), "{text}");
        }
        for text in ["经侦已在8月20日立案", "这是刑事案件", "请给一个答案"] {
            let places = extract_places(text);
            assert!(
                places.iter().all(|m| m.kind != PlaceKind::Case),
                "{text}: {places:?}"
            );
        }
    }

    #[test]
    fn path_key_lists_levels() {
        let places = extract_places("A市A3区联丰路米兰春天G2栋");
        let path = PlacePath::from_mentions(&places);
        assert_eq!(path.key(), "A市/A3区/联丰路");
        assert_eq!(path.sites, ["联丰路", "米兰春天"]);
    }
}
