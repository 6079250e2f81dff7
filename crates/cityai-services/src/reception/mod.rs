//! The reception assistant's dialogue: what a citizen's message means and what the
//! assistant does next.
//!
//! [`rules::understand`] reads a message with keyword cues and the place, time and phone
//! extractors; [`llm::understand`] asks an LLM for the same reading as JSON and keeps only
//! what the message itself supports. [`decide`] then moves the [`DialogueState`] on and
//! returns the [`Action`] to take. This module does not store anything, answer questions or
//! create requests: the HTTP server performs the action, with facts from the store and the
//! knowledge base only.

pub mod llm;
pub mod rules;

use serde::{Deserialize, Serialize};

/// What a citizen's message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// A question the knowledge base may answer.
    Question,
    /// A complaint or a request for service, which becomes a request.
    Complaint,
    /// A status check of a request by id or token.
    Status,
    /// Agreement with the summary shown.
    Confirm,
    /// The citizen gives up the current complaint.
    Cancel,
    /// The citizen wants a person.
    Human,
    /// The citizen corrects a detail already given.
    Correction,
    /// The answer to the question the assistant asked.
    Answer,
    /// A greeting with nothing else.
    Greeting,
    /// Text that carries no meaning (keyboard mashing, punctuation only).
    Nonsense,
    /// Meaningful text that fits none of the above.
    Unknown,
}

impl Intent {
    /// Returns the stable name used in the API and in stored turns.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Question => "question",
            Intent::Complaint => "complaint",
            Intent::Status => "status",
            Intent::Confirm => "confirm",
            Intent::Cancel => "cancel",
            Intent::Human => "human",
            Intent::Correction => "correction",
            Intent::Answer => "answer",
            Intent::Greeting => "greeting",
            Intent::Nonsense => "nonsense",
            Intent::Unknown => "unknown",
        }
    }

    /// Parses a name written by [`Intent::as_str`].
    pub fn parse(name: &str) -> Option<Intent> {
        [
            Intent::Question,
            Intent::Complaint,
            Intent::Status,
            Intent::Confirm,
            Intent::Cancel,
            Intent::Human,
            Intent::Correction,
            Intent::Answer,
            Intent::Greeting,
            Intent::Nonsense,
            Intent::Unknown,
        ]
        .into_iter()
        .find(|intent| intent.as_str() == name)
    }
}

/// A detail a request needs before it is submitted, in the order the assistant asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// What happened.
    What,
    /// Where.
    Place,
    /// When.
    Time,
    /// A phone number, or the citizen's wish not to be contacted.
    Contact,
}

impl Slot {
    /// Every slot, in asking order.
    pub const ALL: [Slot; 4] = [Slot::What, Slot::Place, Slot::Time, Slot::Contact];

    /// Returns the stable name used in the API's `missing` list.
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::What => "what",
            Slot::Place => "place",
            Slot::Time => "time",
            Slot::Contact => "contact",
        }
    }
}

/// How the citizen may be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    /// A mobile or landline number.
    Phone(String),
    /// The citizen does not want to be contacted.
    NotWanted,
}

/// The details of a complaint collected so far, in the citizen's words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub what: Option<String>,
    pub place: Option<String>,
    pub time: Option<String>,
    pub contact: Option<Contact>,
}

impl Draft {
    /// Returns the slots still empty, in asking order.
    pub fn missing(&self) -> Vec<Slot> {
        Slot::ALL
            .into_iter()
            .filter(|slot| match slot {
                Slot::What => self.what.is_none(),
                Slot::Place => self.place.is_none(),
                Slot::Time => self.time.is_none(),
                Slot::Contact => self.contact.is_none(),
            })
            .collect()
    }

    /// Overwrites each slot that `details` fills. Returns whether anything changed.
    pub fn apply(&mut self, details: &Details) -> bool {
        let before = self.clone();
        if details.what.is_some() {
            self.what.clone_from(&details.what);
        }
        if details.place.is_some() {
            self.place.clone_from(&details.place);
        }
        if details.time.is_some() {
            self.time.clone_from(&details.time);
        }
        if details.contact.is_some() {
            self.contact.clone_from(&details.contact);
        }
        *self != before
    }

    /// Returns whether no slot is filled.
    pub fn is_empty(&self) -> bool {
        self.missing().len() == Slot::ALL.len()
    }
}

/// Where the dialogue stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No complaint in progress.
    #[default]
    Idle,
    /// Collecting the details of a complaint.
    Collecting,
    /// The summary was shown; the citizen confirms or corrects it.
    Confirming,
    /// The complaint was submitted as a request.
    Submitted,
}

impl Phase {
    /// Returns the stable name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Collecting => "collecting",
            Phase::Confirming => "confirming",
            Phase::Submitted => "submitted",
        }
    }
}

/// The state a conversation carries from one message to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogueState {
    pub phase: Phase,
    pub draft: Draft,
    /// The slot the assistant asked for last.
    pub asked: Option<Slot>,
    /// The assistant asked for a request id or token to check.
    pub asked_status_ref: bool,
    /// Consecutive messages the assistant could not understand.
    pub misunderstood: u8,
    /// The request this conversation created.
    pub request_id: Option<i64>,
}

/// How a citizen names a request whose status they want.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusRef {
    /// The request number.
    Id(i64),
    /// The 32-character public token handed out at intake.
    Token(String),
}

/// Details a message gives, each in the citizen's words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    pub what: Option<String>,
    pub place: Option<String>,
    pub time: Option<String>,
    pub contact: Option<Contact>,
}

/// What a message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understanding {
    pub intent: Intent,
    pub details: Details,
    pub status_ref: Option<StatusRef>,
    /// `rules` or `llm`, for the record of how the message was read.
    pub reader: &'static str,
}

/// The number of consecutive messages not understood after which the assistant offers a
/// person.
pub const HANDOFF_AFTER_MISUNDERSTOOD: u8 = 2;

/// What the assistant does after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ask for this detail of the complaint.
    Ask(Slot),
    /// Show the summary and ask the citizen to confirm it.
    Confirm,
    /// Submit the draft as a request.
    Submit,
    /// Answer the question from the knowledge base.
    Answer,
    /// Look up the status of a request.
    Status(StatusRef),
    /// Ask for the request id or token to check.
    AskStatusRef,
    /// The complaint in progress was dropped, or there was none (`false`).
    Cancelled(bool),
    /// Offer a person and record the handoff for staff.
    Handoff,
    /// Introduce the assistant.
    Greet,
    /// Say that the message was not understood and what the assistant can do.
    NotUnderstood,
    /// This conversation already submitted a request.
    AlreadySubmitted(i64),
}

impl Action {
    /// Returns whether the dialogue should remind the citizen of the complaint in progress
    /// after this action.
    pub fn interrupts_complaint(&self) -> bool {
        matches!(
            self,
            Action::Answer
                | Action::Status(_)
                | Action::AskStatusRef
                | Action::NotUnderstood
                | Action::Handoff
        )
    }
}

/// Moves `state` on by one understood message and returns the action to take.
///
/// Details given while a complaint is in progress fill or overwrite its slots, whatever
/// the intent, so that "不对，地点是…" and a bare answer both work. A question or a status
/// check in the middle of a complaint leaves the complaint where it was.
pub fn decide(state: &mut DialogueState, understanding: &Understanding) -> Action {
    let in_complaint = matches!(state.phase, Phase::Collecting | Phase::Confirming);
    if understanding.intent != Intent::Nonsense && understanding.intent != Intent::Unknown {
        state.misunderstood = 0;
    }
    if understanding.intent != Intent::Status {
        state.asked_status_ref = false;
    }

    match understanding.intent {
        Intent::Cancel => {
            if in_complaint {
                state.phase = Phase::Idle;
                state.draft = Draft::default();
                state.asked = None;
                Action::Cancelled(true)
            } else {
                Action::Cancelled(false)
            }
        }
        Intent::Human => Action::Handoff,
        Intent::Status => match &understanding.status_ref {
            Some(reference) => Action::Status(reference.clone()),
            None => {
                state.asked_status_ref = true;
                Action::AskStatusRef
            }
        },
        Intent::Question => Action::Answer,
        Intent::Greeting if !in_complaint => Action::Greet,
        Intent::Confirm if state.phase == Phase::Confirming => Action::Submit,
        Intent::Complaint if state.phase == Phase::Submitted => match state.request_id {
            Some(id) => Action::AlreadySubmitted(id),
            None => start_complaint(state, &understanding.details),
        },
        Intent::Complaint if !in_complaint => start_complaint(state, &understanding.details),
        Intent::Complaint | Intent::Answer | Intent::Correction | Intent::Confirm
            if in_complaint =>
        {
            state.draft.apply(&understanding.details);
            next_step(state)
        }
        Intent::Nonsense | Intent::Unknown | Intent::Greeting if in_complaint => {
            not_understood(state)
        }
        _ => not_understood(state),
    }
}

fn start_complaint(state: &mut DialogueState, details: &Details) -> Action {
    state.phase = Phase::Collecting;
    state.draft = Draft::default();
    state.request_id = None;
    state.draft.apply(details);
    next_step(state)
}

fn next_step(state: &mut DialogueState) -> Action {
    match state.draft.missing().first() {
        Some(slot) => {
            state.phase = Phase::Collecting;
            state.asked = Some(*slot);
            Action::Ask(*slot)
        }
        None => {
            state.phase = Phase::Confirming;
            state.asked = None;
            Action::Confirm
        }
    }
}

fn not_understood(state: &mut DialogueState) -> Action {
    state.misunderstood = state.misunderstood.saturating_add(1);
    if state.misunderstood >= HANDOFF_AFTER_MISUNDERSTOOD {
        state.misunderstood = 0;
        Action::Handoff
    } else {
        Action::NotUnderstood
    }
}

/// Records that the draft was submitted as request `id`.
pub fn mark_submitted(state: &mut DialogueState, id: i64) {
    state.phase = Phase::Submitted;
    state.request_id = Some(id);
    state.asked = None;
}

/// Masks personal data in `text` with the default policy, as request text is masked.
pub fn mask(text: &str) -> String {
    cityai_text::pii::mask_text(text)
}

/// Composes the request text from a complete draft, in the conversation's language.
///
/// `labels` names the place, time and contact lines, such as `("地点", "时间", "联系电话")`.
pub fn request_body(draft: &Draft, labels: [&str; 4]) -> String {
    let [place, time, contact, no_contact] = labels;
    let mut body = draft.what.clone().unwrap_or_default();
    for (label, value) in [(place, &draft.place), (time, &draft.time)] {
        if let Some(value) = value {
            body.push_str(&format!("\n{label}{value}"));
        }
    }
    match &draft.contact {
        Some(Contact::Phone(phone)) => body.push_str(&format!("\n{contact}{phone}")),
        Some(Contact::NotWanted) => body.push_str(&format!("\n{no_contact}")),
        None => {}
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(intent: Intent, details: Details) -> Understanding {
        Understanding {
            intent,
            details,
            status_ref: None,
            reader: "rules",
        }
    }

    #[test]
    fn complaint_asks_missing_slots_in_order() {
        let mut state = DialogueState::default();
        let details = Details {
            what: Some("路灯坏了".into()),
            ..Details::default()
        };
        assert_eq!(
            decide(&mut state, &reading(Intent::Complaint, details)),
            Action::Ask(Slot::Place)
        );
        let details = Details {
            place: Some("人民路".into()),
            ..Details::default()
        };
        assert_eq!(
            decide(&mut state, &reading(Intent::Answer, details)),
            Action::Ask(Slot::Time)
        );
        assert_eq!(state.draft.missing(), [Slot::Time, Slot::Contact]);
    }

    #[test]
    fn question_keeps_the_complaint() {
        let mut state = DialogueState::default();
        let details = Details {
            what: Some("路灯坏了".into()),
            ..Details::default()
        };
        decide(&mut state, &reading(Intent::Complaint, details));
        assert_eq!(
            decide(&mut state, &reading(Intent::Question, Details::default())),
            Action::Answer
        );
        assert_eq!(state.phase, Phase::Collecting);
        assert_eq!(state.asked, Some(Slot::Place));
    }

    #[test]
    fn repeated_nonsense_offers_a_person() {
        let mut state = DialogueState::default();
        let nonsense = reading(Intent::Nonsense, Details::default());
        assert_eq!(decide(&mut state, &nonsense), Action::NotUnderstood);
        assert_eq!(decide(&mut state, &nonsense), Action::Handoff);
    }

    #[test]
    fn confirm_outside_summary_is_not_submit() {
        let mut state = DialogueState::default();
        let confirm = reading(Intent::Confirm, Details::default());
        assert_eq!(decide(&mut state, &confirm), Action::NotUnderstood);
    }
}
