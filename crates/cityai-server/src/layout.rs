//! The page frame shared by every console page.

use cityai_core::Lang;
use cityai_core::i18n::t;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::auth::{CSRF_FIELD, Principal};

const STYLE: &str = r#"
:root { --fg:#1d2733; --muted:#5b6775; --line:#d6dce3; --accent:#0b5cad; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:1rem; align-items:center; justify-content:space-between; padding:.6rem 1.2rem; background:#fff; border-bottom:1px solid var(--line); flex-wrap:wrap; }
header .account { display:flex; gap:.8rem; align-items:center; }
form.logout { display:inline; margin:0; }
form.login { display:flex; flex-direction:column; gap:.7rem; max-width:22rem; background:#fff; padding:1rem; border:1px solid var(--line); border-radius:6px; }
form.login label { display:flex; flex-direction:column; font-size:.9rem; color:var(--muted); }
form.login input { font:inherit; padding:.35rem .45rem; border:1px solid var(--line); border-radius:4px; }
header .brand { font-weight:700; color:var(--fg); text-decoration:none; }
nav a, header a { color:var(--accent); margin-right:1rem; }
main { padding:1rem 1.2rem; max-width:1400px; margin:0 auto; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #f0a500; outline-offset:2px; }
form.filters { display:grid; grid-template-columns:repeat(auto-fill,minmax(11rem,1fr)); gap:.6rem 1rem; background:#fff; padding:.8rem; border:1px solid var(--line); border-radius:6px; }
form.filters label { display:flex; flex-direction:column; font-size:.85rem; color:var(--muted); }
form.filters input, form.filters select { font:inherit; padding:.3rem .4rem; border:1px solid var(--line); border-radius:4px; background:#fff; color:var(--fg); }
form.filters .actions { display:flex; align-items:flex-end; gap:.6rem; }
button { font:inherit; padding:.35rem .9rem; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:4px; cursor:pointer; }
.counts { display:flex; gap:1rem; flex-wrap:wrap; margin:.8rem 0; color:var(--muted); }
.error { background:#fdecea; border:1px solid #e0a29b; padding:.6rem .8rem; border-radius:4px; }
.table-wrap { overflow-x:auto; background:#fff; border:1px solid var(--line); border-radius:6px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef2f6; font-weight:600; white-space:nowrap; }
td.num { white-space:nowrap; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:0 .45rem; border-radius:999px; background:#e6eef8; font-size:.85rem; white-space:nowrap; }
.badge.triage { background:#fff1d6; } .badge.replied, .badge.closed { background:#e3f4e6; }
.pager { display:flex; gap:1rem; align-items:center; margin:1rem 0; }
@media (max-width: 700px) { th.optional, td.optional { display:none; } main { padding:.6rem; } }
"#;

/// Wraps `content` in the console frame: language, title, header and navigation.
///
/// `switch_href` is the current page's URL with the other language selected. `user` is the
/// signed-in viewer, shown with a sign-out button; pages for visitors pass `None`.
pub(crate) fn page(
    lang: Lang,
    title: &str,
    switch_href: &str,
    user: Option<&Principal>,
    content: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t(lang, "app.name")) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/requests" { (t(lang, "app.name")) }
                    @if let Some(user) = user {
                        nav aria-label=(t(lang, "nav.main")) {
                            a href="/requests" { (t(lang, "nav.requests")) }
                            @if user.role() != cityai_core::Role::Citizen {
                                a href="/hotspots" { (t(lang, "nav.hotspots")) }
                            }
                            @if matches!(user.role(), cityai_core::Role::Auditor | cityai_core::Role::Admin) {
                                a href="/audit" { (t(lang, "nav.audit")) }
                            }
                        }
                    }
                    div.account {
                        a href=(switch_href) hreflang=(other(lang).tag()) lang=(other(lang).tag()) {
                            (t(lang, "nav.switch_to"))
                        }
                        @if let Some(user) = user {
                            span.user {
                                (user.user.username) " · " (t(lang, &format!("role.{}", user.role().as_str())))
                            }
                            @if let Some(csrf) = user.csrf_token() {
                                form.logout method="post" action="/logout" {
                                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                                    button type="submit" { (t(lang, "auth.logout")) }
                                }
                            }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}

/// Returns the language the switch link offers.
pub(crate) fn other(lang: Lang) -> Lang {
    match lang {
        Lang::ZhCn => Lang::En,
        Lang::En => Lang::ZhCn,
    }
}
