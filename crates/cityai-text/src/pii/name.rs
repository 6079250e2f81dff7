//! Personal names that their context introduces.
//!
//! A Chinese name is only reported when a phrase before or after it says it is one, and when
//! it starts with a common surname:
//! - 我叫, 名叫 or 名字叫, then the name;
//! - 姓名, 联系人, 申请人, 投诉人, 举报人, 反映人, 当事人 or 负责人, an optional `：`, then the
//!   name;
//! - 本人 then the name, but only when punctuation or the end of the text follows it;
//! - the surname, optionally with the given name, then 先生 or 女士. The title is not part of
//!   the span.
//!
//! The given name is one or two characters (two or three with a compound surname). A name
//! that contains a function word (的, 是, 在, …) or 某 (the usual placeholder in anonymised
//! text) is not reported. Names without such a context are not found: this detector is
//! deliberately conservative.

use super::scan::{is_han, push};
use super::{Finding, PiiKind};

/// Common single-character surnames. 和 is left out, because 我和先生 means "my husband and I".
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘\
于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎\
贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞\
左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟\
艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师\
仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";

/// Characters that `SURNAMES` contains but that start a name only before 先生 or 女士, because
/// they are common words elsewhere (本人于2019年…).
const WEAK_SURNAMES: &str = "于单成时明应全";

const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "南宫", "独孤", "西门",
];

/// Characters that do not occur in names: function words, pronouns and the placeholder 某.
const NOT_IN_NAME: &str = "的了是在我你他她它们这那有和就都也不某说要想被把对给从与及今住电手\
联身男女先系反因请已曾到去将还又所目户出等人个之其该此并但而或即姓名叫号码证址";

/// Characters that often follow a name and are themselves rarely its last character (今年,
/// 家住, 现在): a name may end just before one of them.
const FOLLOWERS: &str = "的了是在我你他她们这那有和就都也不说要想被把对给从与及今住电手联身男女先系\
反因请已曾到去将还又所目户出等人个之其该此并但而或即姓名叫号码证址家年现一工作地籍性来原通担任毕本\
向同于为";

/// Characters before 先生 or 女士 that end the word in front of a name (联系王先生).
const PRECEDERS: &str = "系找给的是和与及位请向对被让叫问有由经跟同了将把在为称说到见打即名长员主友\
事师户业管";

const INTRODUCED_CONFIDENCE: f32 = 0.75;
const ROLE_CONFIDENCE: f32 = 0.7;
const SELF_CONFIDENCE: f32 = 0.65;
const TITLE_CONFIDENCE: f32 = 0.6;

/// Tries the name patterns that the character `c` at `i` can complete: 叫, 人, 名, 先 or 女.
pub(super) fn scan_trigger(text: &str, i: usize, c: char, out: &mut Vec<Finding>) {
    let before = &text[..i];
    let after = i + c.len_utf8();
    match c {
        '叫' if before.ends_with('我') || before.ends_with('名') || before.ends_with("名字") => {
            if let Some(span) = name_after(text, after, Strictness::FollowerAllowed) {
                push(out, PiiKind::PersonName, span, INTRODUCED_CONFIDENCE);
            }
        }
        '名' if before.ends_with('姓') => {
            if let Some(span) =
                name_after(text, skip_colon(text, after), Strictness::FollowerAllowed)
            {
                push(out, PiiKind::PersonName, span, INTRODUCED_CONFIDENCE);
            }
        }
        '人' if before.ends_with('本') => {
            if let Some(span) = name_after(text, skip_colon(text, after), Strictness::Punctuation) {
                push(out, PiiKind::PersonName, span, SELF_CONFIDENCE);
            }
        }
        '人' if ["联系", "申请", "投诉", "举报", "反映", "当事", "负责"]
            .iter()
            .any(|role| before.ends_with(role)) =>
        {
            let mut start = skip_colon(text, after);
            if start == after
                && (text[start..].starts_with('是') || text[start..].starts_with('为'))
            {
                start += 3;
            }
            if let Some(span) = name_after(text, start, Strictness::FollowerAllowed) {
                let confidence = if before.ends_with("联系") {
                    INTRODUCED_CONFIDENCE
                } else {
                    ROLE_CONFIDENCE
                };
                push(out, PiiKind::PersonName, span, confidence);
            }
        }
        '先' if text[after..].starts_with('生') => scan_before_title(text, i, out),
        '女' if text[after..].starts_with('士') => scan_before_title(text, i, out),
        _ => {}
    }
}

/// Returns whether a name starts with a compound surname such as 欧阳.
pub(super) fn is_compound_surname(name: &str) -> bool {
    COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s))
}

/// What may follow a name that comes after its context phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// Punctuation, a non-CJK character or the end of the text.
    Punctuation,
    /// Also one of `FOLLOWERS` (我叫张伟今年…).
    FollowerAllowed,
}

/// Skips an optional colon and spaces after a context phrase.
fn skip_colon(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let trimmed = rest
        .trim_start_matches(' ')
        .trim_start_matches([':', '：'])
        .trim_start_matches(' ');
    start + rest.len() - trimmed.len()
}

/// Returns the span of a name that starts at `start`, if a surname starts there and the
/// name ends as `strictness` requires.
fn name_after(text: &str, start: usize, strictness: Strictness) -> Option<std::ops::Range<usize>> {
    let chars: Vec<(usize, char)> = text[start..].char_indices().take(5).collect();
    let first = chars.first()?.1;
    let surname_len = if chars.len() >= 2
        && COMPOUND_SURNAMES
            .iter()
            .any(|s| text[start..].starts_with(s))
    {
        2
    } else if SURNAMES.contains(first) && !WEAK_SURNAMES.contains(first) {
        1
    } else {
        return None;
    };

    let longest = (surname_len + 2).min(chars.len());
    for length in (surname_len + 1..=longest).rev() {
        let name = &chars[..length];
        let given_ok = name[surname_len..]
            .iter()
            .all(|&(_, c)| is_han(c) && !NOT_IN_NAME.contains(c));
        if !given_ok {
            continue;
        }
        let next = chars.get(length).map(|&(_, c)| c);
        let next_is_boundary = next.is_none_or(|c| !is_han(c));
        let next_is_follower = next.is_some_and(|c| FOLLOWERS.contains(c));
        let ends_ok = match strictness {
            Strictness::Punctuation => next_is_boundary,
            Strictness::FollowerAllowed => next_is_boundary || next_is_follower,
        };
        if !ends_ok {
            continue;
        }
        // 张伟家住…: prefer 张伟 to 张伟家 when the last character usually follows a name.
        let last = name[length - 1].1;
        if strictness == Strictness::FollowerAllowed
            && length > surname_len + 1
            && FOLLOWERS.contains(last)
        {
            continue;
        }
        let end = chars
            .get(length)
            .map_or(text.len(), |&(offset, _)| start + offset);
        return Some(start..end);
    }
    None
}

/// Matches the surname, and possibly the given name, just before 先生 or 女士 at `title`.
fn scan_before_title(text: &str, title: usize, out: &mut Vec<Finding>) {
    let chars: Vec<(usize, char)> = text[..title].char_indices().rev().take(4).collect();

    // Candidates from the shortest (王先生) to the longest (欧阳小明先生). The longest one
    // that a word boundary precedes wins; without such a boundary the shortest one does.
    let mut shortest = None;
    let mut best = None;
    for length in 1..=3.min(chars.len()) {
        let start = chars[length - 1].0;
        let name = &text[start..title];
        let compound = COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s));
        let surname_len = if compound { 2 } else { 1 };
        if length < surname_len {
            continue;
        }
        let first = chars[length - 1].1;
        if !compound && !SURNAMES.contains(first) {
            continue;
        }
        let given_ok = chars[..length - surname_len]
            .iter()
            .all(|&(_, c)| is_han(c) && !NOT_IN_NAME.contains(c));
        if !given_ok {
            continue;
        }
        shortest.get_or_insert(start);
        let preceded_by_boundary = chars
            .get(length)
            .is_none_or(|&(_, c)| !is_han(c) || PRECEDERS.contains(c));
        if preceded_by_boundary {
            best = Some(start);
        }
    }
    if let Some(start) = best.or(shortest) {
        push(out, PiiKind::PersonName, start..title, TITLE_CONFIDENCE);
    }
}

#[cfg(test)]
mod tests {
    use super::super::detect;
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        detect(text)
            .into_iter()
            .filter(|f| f.kind == PiiKind::PersonName)
            .map(|f| &text[f.span])
            .collect()
    }

    #[test]
    fn introduced_names() {
        assert_eq!(names("您好，我叫张伟，是一名教师。"), ["张伟"]);
        assert_eq!(names("我叫李明华今年45岁"), ["李明华"]);
        assert_eq!(names("我叫王芳家住A市"), ["王芳"]);
        assert_eq!(names("姓名：欧阳小明，"), ["欧阳小明"]);
        assert_eq!(names("联系人：陈静 电话"), ["陈静"]);
        assert_eq!(names("联系人黄磊13812345678"), ["黄磊"]);
        assert_eq!(names("举报人：刘洋。"), ["刘洋"]);
    }

    #[test]
    fn self_reference_needs_punctuation() {
        assert_eq!(names("本人赵雷，身份证号"), ["赵雷"]);
        assert!(names("本人于2019年入职").is_empty());
        assert!(names("本人向贵部门反映").is_empty());
        assert!(names("本人是本小区业主").is_empty());
    }

    #[test]
    fn names_before_titles() {
        assert_eq!(names("联系王先生"), ["王"]);
        assert_eq!(names("物业的李女士说"), ["李"]);
        assert_eq!(names("，刘德华先生"), ["刘德华"]);
        assert_eq!(names("找张文先生"), ["张文"]);
        assert!(names("我先生在外地").is_empty());
        assert!(names("各位女士").is_empty());
    }

    #[test]
    fn placeholders_and_phrases_are_not_names() {
        assert!(names("联系人王某某").is_empty());
        assert!(names("我叫了外卖").is_empty());
        assert!(names("我叫他们别吵").is_empty());
    }
}
