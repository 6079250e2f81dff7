//! The page frame shared by every console page.

use cityai_core::Lang;
use cityai_core::i18n::t;
use maud::{DOCTYPE, Markup, html};

use crate::auth::{CSRF_FIELD, Principal};

/// The console's style sheet and script, served from the binary.
pub(crate) const STYLESHEET_PATH: &str = "/static/console.css";
pub(crate) const SCRIPT_PATH: &str = "/static/console.js";
pub(crate) const STYLESHEET: &str = include_str!("../static/console.css");
pub(crate) const SCRIPT: &str = include_str!("../static/console.js");

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
                // No favicon request: an empty data URL keeps the browser from asking for one.
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(STYLESHEET_PATH);
                script src=(SCRIPT_PATH) defer {}
            }
            body {
                header {
                    a.brand href=(home(user)) { (t(lang, "app.name")) }
                    @if let Some(user) = user {
                        @let reads_requests = !matches!(user.role(), cityai_core::Role::Citizen | cityai_core::Role::AiOffice);
                        nav aria-label=(t(lang, "nav.main")) {
                            @if reads_requests {
                                a href="/dashboard" { (t(lang, "nav.dashboard")) }
                            }
                            @if user.role() != cityai_core::Role::AiOffice {
                                a href="/requests" { (t(lang, "nav.requests")) }
                            }
                            @if matches!(user.role(), cityai_core::Role::Operator | cityai_core::Role::Handler | cityai_core::Role::Reviewer) {
                                a href="/triage" { (t(lang, "nav.triage")) }
                            }
                            @if reads_requests {
                                a href="/hotspots" { (t(lang, "nav.hotspots")) }
                                a href="/knowledge" { (t(lang, "nav.knowledge")) }
                            }
                            @if matches!(user.role(), cityai_core::Role::Auditor | cityai_core::Role::Admin) {
                                a href="/audit" { (t(lang, "nav.audit")) }
                            }
                            @if user.role() != cityai_core::Role::Citizen {
                                a href="/framework" { (t(lang, "nav.framework")) }
                            }
                            @if matches!(user.role(), cityai_core::Role::Reviewer | cityai_core::Role::Admin | cityai_core::Role::Auditor | cityai_core::Role::AiOffice) {
                                a href="/register" { (t(lang, "nav.register")) }
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

/// Returns the first page of a viewer: the register for the AI office, which reads no
/// requests, and the request list for everyone else.
pub(crate) fn home(user: Option<&Principal>) -> &'static str {
    match user.map(Principal::role) {
        Some(cityai_core::Role::AiOffice) => "/register",
        _ => "/requests",
    }
}

/// Returns the language the switch link offers.
pub(crate) fn other(lang: Lang) -> Lang {
    match lang {
        Lang::ZhCn => Lang::En,
        Lang::En => Lang::ZhCn,
    }
}
