//! Message catalogues: every user-facing text in zh-CN and English.
//!
//! The catalogues are TOML files under `messages/`, compiled into the binary. Keys are dotted
//! identifiers; values may contain `{name}` placeholders filled by [`Messages::format`].
//! A key missing from a catalogue renders as the key itself, and a test checks that both
//! catalogues hold the same keys with the same placeholders.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const ZH_CN_SOURCE: &str = include_str!("../messages/zh-CN.toml");
const EN_SOURCE: &str = include_str!("../messages/en.toml");

/// A language of the user interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// Returns the BCP 47 tag, as used in `lang=` attributes and the `--lang` option.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Lang {
    type Err = String;

    /// Parses `zh-CN`, `zh`, `zh_CN` or `en` (any case, with or without a region for English).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "zh-cn" | "zh" | "zh-hans" => Ok(Lang::ZhCn),
            l if l == "en" || l.starts_with("en-") => Ok(Lang::En),
            _ => Err(format!("unsupported language {s:?}: use zh-CN or en")),
        }
    }
}

/// The compiled message catalogues.
#[derive(Debug)]
pub struct Messages {
    zh_cn: HashMap<String, String>,
    en: HashMap<String, String>,
}

impl Messages {
    /// Returns the catalogues, parsed once on first use.
    pub fn global() -> &'static Messages {
        static MESSAGES: OnceLock<Messages> = OnceLock::new();
        MESSAGES.get_or_init(|| Messages {
            zh_cn: flatten_catalogue(ZH_CN_SOURCE),
            en: flatten_catalogue(EN_SOURCE),
        })
    }

    fn catalogue(&self, lang: Lang) -> &HashMap<String, String> {
        match lang {
            Lang::ZhCn => &self.zh_cn,
            Lang::En => &self.en,
        }
    }

    /// Returns the text for `key`, or the key itself when the catalogue lacks it.
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.catalogue(lang)
            .get(key)
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// Returns the text for `key` with each `{name}` replaced by its value from `args`.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
        let mut text = self.get(lang, key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), &value.to_string());
        }
        text
    }

    /// Returns every key of one catalogue, for completeness checks.
    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &str> {
        self.catalogue(lang).keys().map(String::as_str)
    }
}

/// Shorthand for `Messages::global().get(lang, key)`.
pub fn t(lang: Lang, key: &str) -> &str {
    Messages::global().get(lang, key)
}

/// Shorthand for `Messages::global().format(lang, key, args)`.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
    Messages::global().format(lang, key, args)
}

/// Flattens nested TOML tables into dotted keys.
///
/// The catalogues are compiled in and checked by tests, so a syntax error is a build defect.
/// It panics with the parser's message rather than serving an empty catalogue.
fn flatten_catalogue(source: &str) -> HashMap<String, String> {
    let table: toml::Table = match source.parse() {
        Ok(table) => table,
        Err(err) => panic!("message catalogue is not valid TOML: {err}"),
    };
    let mut out = HashMap::new();
    flatten_into(&mut out, "", &table);
    out
}

fn flatten_into(out: &mut HashMap<String, String>, prefix: &str, table: &toml::Table) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(s) => {
                out.insert(full, s.clone());
            }
            toml::Value::Table(inner) => flatten_into(out, &full, inner),
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            found.insert(rest[start + 1..start + len].to_owned());
            rest = &rest[start + len + 1..];
        }
        found
    }

    #[test]
    fn catalogues_have_same_keys() {
        let messages = Messages::global();
        let zh: BTreeSet<&str> = messages.keys(Lang::ZhCn).collect();
        let en: BTreeSet<&str> = messages.keys(Lang::En).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "keys missing from en.toml: {only_zh:?}");
        assert!(
            only_en.is_empty(),
            "keys missing from zh-CN.toml: {only_en:?}"
        );
    }

    #[test]
    fn catalogues_have_same_placeholders() {
        let messages = Messages::global();
        for key in messages.keys(Lang::ZhCn) {
            let zh = placeholders(messages.get(Lang::ZhCn, key));
            let en = placeholders(messages.get(Lang::En, key));
            assert_eq!(zh, en, "placeholders differ for {key}");
        }
    }

    #[test]
    fn format_fills_placeholders() {
        let text = tf(
            Lang::En,
            "import.summary",
            &[("imported", &3), ("duplicates", &1), ("rejected", &0)],
        );
        assert!(text.contains('3'), "{text}");
        assert!(!text.contains('{'), "{text}");
    }

    #[test]
    fn missing_key_renders_as_key() {
        assert_eq!(t(Lang::En, "no.such.key"), "no.such.key");
    }

    #[test]
    fn lang_parses_common_tags() {
        assert_eq!("zh-CN".parse::<Lang>(), Ok(Lang::ZhCn));
        assert_eq!("zh_cn".parse::<Lang>(), Ok(Lang::ZhCn));
        assert_eq!("en-GB".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
    }
}
