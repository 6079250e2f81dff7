//! The reply quality check: scores an official reply to a citizen's request on five
//! dimensions, each from 0 to 1 with a reason, and gives an overall score and a verdict.
//!
//! The dimensions are relevance, completeness, basis cited, timeliness and readability; the
//! formulas are in the `dimensions` module and in `docs/reply-quality.md`. The check is a
//! pure function of the request and reply text and times: it reads no store, model or
//! index, so the command line, the console and the API give the same result for the same
//! input. Reasons are message keys with parameters from the catalogues, rendered in the
//! reader's language.

mod dimensions;
mod gold;
mod stats;

use chrono::{DateTime, FixedOffset, Utc};
use cityai_core::Lang;
use cityai_core::i18n::{Messages, t};
use serde::Serialize;

pub use dimensions::{HARD_LIMIT_WORKING_DAYS, LIMIT_WORKING_DAYS, working_days_between};
pub use gold::{GoldAgreement, GoldError, GoldRow, compare_with_gold, read_gold};
pub use stats::{Agreement, Distribution, agreement, distribution};

/// A score below this marks a dimension, or the overall score, as poor.
pub const POOR_BELOW: f64 = 0.5;

/// A completeness score below this makes the whole reply poor, whatever the other
/// dimension scores are, because good form does not rescue a reply that answers nothing.
pub const COMPLETENESS_GATE: f64 = 0.25;

/// A quality dimension of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Relevance,
    Completeness,
    Basis,
    Timeliness,
    Readability,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Relevance,
        Dimension::Completeness,
        Dimension::Basis,
        Dimension::Timeliness,
        Dimension::Readability,
    ];

    /// Returns the snake-case name used in JSON and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Relevance => "relevance",
            Dimension::Completeness => "completeness",
            Dimension::Basis => "basis",
            Dimension::Timeliness => "timeliness",
            Dimension::Readability => "readability",
        }
    }

    /// The dimension's weight in the overall score. The weights add up to 1; a dimension
    /// that is not scored drops out and the others are scaled up.
    ///
    /// Completeness weighs most because a reply that leaves the request unanswered fails
    /// its purpose. Basis weighs least because a reply that reports facts found on site
    /// needs no regulation.
    pub fn weight(self) -> f64 {
        match self {
            Dimension::Relevance => 0.25,
            Dimension::Completeness => 0.35,
            Dimension::Basis => 0.10,
            Dimension::Timeliness => 0.15,
            Dimension::Readability => 0.15,
        }
    }

    /// Returns the dimension's name in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        t(lang, self.label_key())
    }

    fn label_key(self) -> &'static str {
        match self {
            Dimension::Relevance => "reply_quality.dimension.relevance",
            Dimension::Completeness => "reply_quality.dimension.completeness",
            Dimension::Basis => "reply_quality.dimension.basis",
            Dimension::Timeliness => "reply_quality.dimension.timeliness",
            Dimension::Readability => "reply_quality.dimension.readability",
        }
    }
}

/// A catalogued message with its parameters, rendered in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The message key, such as `reply_quality.basis.none`.
    pub key: &'static str,
    /// The values of the message's `{name}` placeholders, serialized as a JSON object.
    #[serde(serialize_with = "params_as_map")]
    pub params: Vec<(&'static str, String)>,
}

fn params_as_map<S: serde::Serializer>(
    params: &[(&'static str, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(params.len()))?;
    for (name, value) in params {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

impl Reason {
    fn new(key: &'static str) -> Self {
        Self {
            key,
            params: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }

    /// Renders the message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, &dyn std::fmt::Display)> = self
            .params
            .iter()
            .map(|(name, value)| (*name, value as &dyn std::fmt::Display))
            .collect();
        Messages::global().format(lang, self.key, &args)
    }
}

/// The score of one dimension with the reasons for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionScore {
    pub dimension: Dimension,
    /// From 0 to 1, or `None` when the input lacks what the dimension needs (a timeliness
    /// check without the request time, say).
    pub score: Option<f64>,
    /// One or more messages that explain the score, in order.
    pub reasons: Vec<Reason>,
}

impl DimensionScore {
    /// Returns whether the dimension was scored and fell below [`POOR_BELOW`].
    pub fn is_poor(&self) -> bool {
        self.score.is_some_and(|score| score < POOR_BELOW)
    }

    /// Renders the reasons in `lang` as one text.
    pub fn reason_text(&self, lang: Lang) -> String {
        let parts: Vec<String> = self.reasons.iter().map(|r| r.render(lang)).collect();
        let separator = if lang == Lang::ZhCn { "" } else { " " };
        parts.join(separator)
    }
}

/// Whether a reply passes the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Good,
    Poor,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Poor => "poor",
        }
    }
}

/// The result of checking one reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// One entry per dimension, in [`Dimension::ALL`] order.
    pub dimensions: Vec<DimensionScore>,
    /// The weighted mean of the scored dimensions, from 0 to 1.
    pub overall: f64,
    pub verdict: Verdict,
    /// The reason for the verdict.
    pub verdict_reason: Reason,
}

impl QualityReport {
    /// Returns the score entry of one dimension.
    pub fn dimension(&self, dimension: Dimension) -> &DimensionScore {
        // Every report lists all dimensions, in order.
        &self.dimensions[dimension as usize]
    }

    /// Returns the report with every message rendered in `lang`, for JSON output.
    pub fn rendered(&self, lang: Lang) -> RenderedReport {
        RenderedReport {
            overall: round3(self.overall),
            verdict: self.verdict,
            verdict_reason: self.verdict_reason.render(lang),
            dimensions: self
                .dimensions
                .iter()
                .map(|d| RenderedDimension {
                    dimension: d.dimension,
                    label: d.dimension.label(lang).to_owned(),
                    score: d.score.map(round3),
                    poor: d.is_poor(),
                    reason: d.reason_text(lang),
                    reasons: d.reasons.clone(),
                })
                .collect(),
        }
    }
}

/// A [`QualityReport`] with its messages rendered in one language.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedReport {
    pub overall: f64,
    pub verdict: Verdict,
    pub verdict_reason: String,
    pub dimensions: Vec<RenderedDimension>,
}

/// One dimension of a [`RenderedReport`].
#[derive(Debug, Clone, Serialize)]
pub struct RenderedDimension {
    pub dimension: Dimension,
    /// The dimension's name in the report's language.
    pub label: String,
    pub score: Option<f64>,
    /// Whether the score is below [`POOR_BELOW`].
    pub poor: bool,
    /// The reasons rendered as one text.
    pub reason: String,
    /// The reasons as message keys and parameters, for clients that render them.
    pub reasons: Vec<Reason>,
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The input of the check: the request and the reply.
#[derive(Debug, Clone)]
pub struct ReplyCheck<'a> {
    pub title: Option<&'a str>,
    pub body: &'a str,
    /// When the citizen submitted the request.
    pub submitted_at: Option<DateTime<Utc>>,
    pub reply: &'a str,
    /// When the reply went out. For a draft, the caller passes the current time, so the
    /// check scores how timely the reply would be if sent now.
    pub replied_at: Option<DateTime<Utc>>,
    /// The city's UTC offset, which decides the calendar day of each time.
    pub city_offset: FixedOffset,
}

/// Checks a reply against its request.
pub fn check_reply(input: &ReplyCheck<'_>) -> QualityReport {
    let request = dimensions::RequestWords::of(input.title, input.body);
    let reply = dimensions::ReplyText::of(input.reply);
    let scores = vec![
        dimensions::relevance(&request, &reply),
        dimensions::completeness(&request, &reply),
        dimensions::basis(&reply),
        dimensions::timeliness(input.submitted_at, input.replied_at, input.city_offset),
        dimensions::readability(&reply),
    ];
    let (overall, verdict, verdict_reason) = verdict_of(&scores);
    QualityReport {
        dimensions: scores,
        overall,
        verdict,
        verdict_reason,
    }
}

/// Combines the dimension scores into the overall score and the verdict.
///
/// The reply is poor when completeness is below [`COMPLETENESS_GATE`], when timeliness is
/// below [`POOR_BELOW`] (past the hard limit), or when the overall score is below
/// [`POOR_BELOW`]. The gates come first, so the reason names the deciding dimension.
fn verdict_of(scores: &[DimensionScore]) -> (f64, Verdict, Reason) {
    let mut weighted = 0.0;
    let mut weights = 0.0;
    for entry in scores {
        if let Some(score) = entry.score {
            weighted += entry.dimension.weight() * score;
            weights += entry.dimension.weight();
        }
    }
    let overall = if weights > 0.0 {
        weighted / weights
    } else {
        0.0
    };
    let overall_text = format!("{overall:.2}");
    let score_of = |dimension: Dimension| {
        scores
            .iter()
            .find(|entry| entry.dimension == dimension)
            .and_then(|entry| entry.score)
    };

    if let Some(score) = score_of(Dimension::Completeness).filter(|s| *s < COMPLETENESS_GATE) {
        let reason = Reason::new("reply_quality.verdict.poor_completeness")
            .with("score", format!("{score:.2}"))
            .with("threshold", format!("{COMPLETENESS_GATE:.2}"));
        return (overall, Verdict::Poor, reason);
    }
    if let Some(score) = score_of(Dimension::Timeliness).filter(|s| *s < POOR_BELOW) {
        let reason = Reason::new("reply_quality.verdict.poor_timeliness")
            .with("score", format!("{score:.2}"))
            .with("limit", HARD_LIMIT_WORKING_DAYS);
        return (overall, Verdict::Poor, reason);
    }
    if overall < POOR_BELOW {
        let reason = Reason::new("reply_quality.verdict.poor_overall")
            .with("overall", overall_text)
            .with("threshold", format!("{POOR_BELOW:.2}"));
        return (overall, Verdict::Poor, reason);
    }
    let reason = Reason::new("reply_quality.verdict.good").with("overall", overall_text);
    (overall, Verdict::Good, reason)
}
