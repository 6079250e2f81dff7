//! Choosing the console language: `?lang=` sets it and a cookie remembers it.

use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use cityai_core::Lang;

const COOKIE_NAME: &str = "cityai_lang";

/// Picks the language from `?lang=`, then the cookie, then `Accept-Language`, then the
/// server default. Returns the language and, when `?lang=` chose it, the cookie to set.
pub(crate) fn negotiate(
    query_lang: Option<&str>,
    headers: &HeaderMap,
    default: Lang,
) -> (Lang, Option<HeaderValue>) {
    if let Some(lang) = query_lang.and_then(|l| l.parse::<Lang>().ok()) {
        let cookie = format!(
            "{COOKIE_NAME}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            lang.tag()
        );
        return (lang, HeaderValue::from_str(&cookie).ok());
    }
    if let Some(lang) = cookie_lang(headers) {
        return (lang, None);
    }
    let accepted = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(preferred);
    (accepted.unwrap_or(default), None)
}

/// Returns the supported language that an `Accept-Language` value weighs highest, the
/// earlier one on a tie, or `None` when it accepts neither.
fn preferred(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for entry in accept_language.split(',') {
        let mut parts = entry.split(';');
        let Some(Ok(lang)) = parts.next().map(|tag| tag.trim().parse::<Lang>()) else {
            continue;
        };
        let weight = parts
            .filter_map(|param| param.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if weight > 0.0 && best.is_none_or(|(_, best_weight)| weight > best_weight) {
            best = Some((lang, weight));
        }
    }
    best.map(|(lang, _)| lang)
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| value.parse().ok())
}

/// Adds `Set-Cookie` to `headers` when a cookie was chosen.
pub(crate) fn set_cookie(headers: &mut HeaderMap, cookie: Option<HeaderValue>) {
    if let Some(cookie) = cookie {
        headers.insert(SET_COOKIE, cookie);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_beats_cookie_and_sets_it() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("cityai_lang=zh-CN"));
        let (lang, cookie) = negotiate(Some("en"), &headers, Lang::ZhCn);
        assert_eq!(lang, Lang::En);
        assert!(cookie.is_some());
    }

    #[test]
    fn cookie_beats_accept_language() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("other=1; cityai_lang=en"));
        headers.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-CN,zh;q=0.9"),
        );
        assert_eq!(negotiate(None, &headers, Lang::ZhCn), (Lang::En, None));
    }

    #[test]
    fn accept_language_weights_choose() {
        let cases = [
            ("fr, en;q=0.5", Some(Lang::En)),
            ("zh-CN,zh;q=0.9,en;q=0.8", Some(Lang::ZhCn)),
            ("en;q=0.2, zh;q=0.9", Some(Lang::ZhCn)),
            ("en-GB;q=0, zh-TW", None),
            ("de", None),
        ];
        for (value, expected) in cases {
            assert_eq!(preferred(value), expected, "{value}");
        }
    }

    #[test]
    fn falls_back_to_default() {
        let (lang, cookie) = negotiate(Some("klingon"), &HeaderMap::new(), Lang::En);
        assert_eq!(lang, Lang::En);
        assert!(cookie.is_none());
    }
}
