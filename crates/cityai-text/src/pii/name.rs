//! Personal names that their context introduces.
//!
//! A Chinese name is only reported when a phrase before or after it introduces it, and when
//! it starts with a common surname:
//! - 我叫, 名叫 or 名字叫, then the name;
//! - 姓名, 联系人, 申请人, 投诉人, 举报人, 反映人, 当事人 or 负责人, an optional `：`, then the
//!   name;
//! - 本人 at the start of a sentence, then the name, but only when punctuation, a space or the
//!   end of the text follows it. The same holds for the role words above without a colon,
//!   except 联系人;
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
const NOT_IN_NAME: &str = "的了是在我你他她它们这那有就都也不某说要想被把对给从与及今住电手\
联身男女先系反因请已曾到去将还又所目户出等人个之其该此并但而或即姓名叫号码证址";

/// Characters that often follow a name and are themselves rarely its last character (今年,
/// 家住, 现在): a name may end just before one of them.
const FOLLOWERS: &str = "的了是在我你他她们这那有和就都也不说要想被把对给从与及今住电手联身男女先系\
反因请已曾到去将还又所目户出等人个之其该此并但而或即姓名叫号码证址家年现一工作地籍性来原通担任毕本\
向同于为";

/// Characters before 先生 or 女士 that end the word in front of a name (联系王先生).
const PRECEDERS: &str = "系找给的是和与及位请向对被让叫问有由经跟同了将把在为称说到见打即名长员主友\
事师户业管客人民工姐哥叔姨";

/// Last characters of titles and forms of address (厅长, 老板, 经理, 主任, 书记, 师傅, 老师,
/// 博士, 王总, 陈老), which end a name only rarely.
const TITLE_ENDINGS: &str = "长总板理任记傅师士老";

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
            // Inside a sentence 本人 also means "my own" (流至本人房屋上), so it introduces a
            // name only at the start of one.
            let at_sentence_start = before[..before.len() - '本'.len_utf8()]
                .chars()
                .next_back()
                .is_none_or(is_punctuation_or_space);
            let start = skip_colon(text, after);
            if at_sentence_start
                && let Some(span) = name_after(text, start, Strictness::Punctuation)
            {
                push(out, PiiKind::PersonName, span, SELF_CONFIDENCE);
            }
        }
        '人' if ["联系", "申请", "投诉", "举报", "反映", "当事", "负责"]
            .iter()
            .any(|role| before.ends_with(role)) =>
        {
            let mut start = skip_colon(text, after);
            let has_colon = start != after;
            if !has_colon && (text[start..].starts_with('是') || text[start..].starts_with('为'))
            {
                start += 3;
            }
            // Without a colon, a role word may start an ordinary sentence (申请人包括所有员工),
            // so the name must end at punctuation. 联系人 is followed by a name often enough.
            let is_contact = before.ends_with("联系");
            let strictness = if has_colon || is_contact {
                Strictness::FollowerAllowed
            } else {
                Strictness::Punctuation
            };
            if let Some(span) = name_after(text, start, strictness) {
                let confidence = if is_contact {
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

fn is_punctuation_or_space(c: char) -> bool {
    !is_han(c) && !c.is_alphanumeric()
}

/// Returns whether the given name ends like a title or form of address (王厅长, 田老板, 龚总).
fn ends_with_title(name: &[(usize, char)], surname_len: usize) -> bool {
    name.len() > surname_len && name.last().is_some_and(|&(_, c)| TITLE_ENDINGS.contains(c))
}

/// The rule for the character after a name that follows its context phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// Punctuation, a space or the end of the text.
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
        if !given_ok || ends_with_title(name, surname_len) {
            continue;
        }
        let next = chars.get(length).map(|&(_, c)| c);
        let ends_ok = match strictness {
            Strictness::Punctuation => next.is_none_or(is_punctuation_or_space),
            Strictness::FollowerAllowed => next.is_none_or(|c| !is_han(c) || FOLLOWERS.contains(c)),
        };
        if !ends_ok {
            continue;
        }
        // 张伟家住…: prefer 张伟 to 张伟家 when the last character usually follows a name,
        // unless punctuation confirms the longer name (我叫龙国和，).
        let last = name[length - 1].1;
        if strictness == Strictness::FollowerAllowed
            && length > surname_len + 1
            && FOLLOWERS.contains(last)
            && !next.is_none_or(is_punctuation_or_space)
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
    let chars: Vec<(usize, char)> = text[..title].char_indices().rev().take(5).collect();

    // Candidates from the shortest (王先生) to the longest (欧阳小明先生). The shortest one
    // that a word boundary precedes wins (找张文先生, 游客唐女士); without such a boundary the
    // shortest one does.
    let mut shortest = None;
    for length in 1..=4.min(chars.len()) {
        let start = chars[length - 1].0;
        let name = &text[start..title];
        let compound = COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s));
        let surname_len = if compound { 2 } else { 1 };
        if length < surname_len || length - surname_len > 2 {
            continue;
        }
        let first = chars[length - 1].1;
        if !compound && !SURNAMES.contains(first) {
            continue;
        }
        let given_ok = chars[..length - surname_len]
            .iter()
            .all(|&(_, c)| is_han(c) && !NOT_IN_NAME.contains(c));
        let ends_in_title = length > surname_len && TITLE_ENDINGS.contains(chars[0].1);
        if !given_ok || ends_in_title {
            continue;
        }
        let preceded_by_boundary = chars
            .get(length)
            .is_none_or(|&(_, c)| !is_han(c) || PRECEDERS.contains(c));
        if preceded_by_boundary {
            push(out, PiiKind::PersonName, start..title, TITLE_CONFIDENCE);
            return;
        }
        shortest.get_or_insert(start);
    }
    if let Some(start) = shortest {
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
        assert_eq!(names("我叫龙国和，今年64岁"), ["龙国和"]);
        assert_eq!(names("举报人：刘洋。"), ["刘洋"]);
    }

    #[test]
    fn self_reference_needs_punctuation() {
        assert_eq!(names("本人赵雷，身份证号"), ["赵雷"]);
        assert!(names("本人于2019年入职").is_empty());
        assert!(names("本人向贵部门反映").is_empty());
        assert!(names("本人是本小区业主").is_empty());
        assert!(names("本人连续2个月").is_empty());
        assert!(names("铁棚的水流至本人房屋上，").is_empty());
        assert!(names("申请人包括所有员工").is_empty());
    }

    #[test]
    fn titles_are_not_given_names() {
        assert!(names("负责人田老板此人").is_empty());
        assert!(names("尊敬的王厅长先生").is_empty());
        assert_eq!(names("负责人：刘稳，"), ["刘稳"]);
    }

    #[test]
    fn names_before_titles() {
        assert_eq!(names("联系王先生"), ["王"]);
        assert_eq!(names("物业的李女士说"), ["李"]);
        assert_eq!(names("，刘德华先生"), ["刘德华"]);
        assert_eq!(names("找张文先生"), ["张文"]);
        assert_eq!(names("其间我和游客唐女士"), ["唐"]);
        assert_eq!(names("找到司马强涵女士，"), ["司马强涵"]);
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
