//! The AI register's rules in the store, on a real SQLite database: gates, stage moves,
//! review decisions and masked feedback.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use cityai_store::{
    ApplicationFields, Decision, GateClosed, ModelType, NewDecision, PublicationCategory,
    ReviewKind, RiskLevel, Stage, Store, StoreError,
};

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cityai_store::testing::database_url_in(dir.path()))
        .await
        .unwrap();
    (dir, store)
}

fn fields(risk_level: RiskLevel) -> ApplicationFields {
    ApplicationFields {
        name_zh: "智慧停车诱导".to_owned(),
        name_en: "Parking guidance".to_owned(),
        category: "urban_governance".to_owned(),
        risk_level,
        model_type: ModelType::Regional,
        publication_category: PublicationCategory::Other,
        description: String::new(),
        rationale: String::new(),
        owner: String::new(),
        contact: String::new(),
        lead_department: String::new(),
        human_oversight: String::new(),
        decision_process: String::new(),
        data_description: String::new(),
        risks: String::new(),
        impact_assessments: String::new(),
        legal_basis: String::new(),
        supplier: String::new(),
        priority: true,
        genai_filing: None,
    }
}

fn decision(kind: Decision, from_days: i64, until_days: i64) -> NewDecision {
    let now = Utc::now();
    NewDecision {
        decision: kind,
        conditions: String::new(),
        valid_from: now + Duration::days(from_days),
        valid_until: now + Duration::days(until_days),
        re_review_on: (now + Duration::days(until_days - 1)).date_naive(),
    }
}

#[tokio::test]
async fn rejection_closes_the_gate() {
    let (_dir, store) = store().await;
    let review = store
        .open_ai_review("cityai.reception", ReviewKind::ReReview, &[], "user:office")
        .await
        .unwrap();
    store
        .decide_ai_review(
            review.id,
            &decision(Decision::Rejected, 0, 1),
            "user:office",
        )
        .await
        .unwrap();
    let gate = store.ai_gate("cityai.reception").await.unwrap();
    assert!(
        matches!(gate.closed, Some(GateClosed::Rejected { .. })),
        "{gate:?}"
    );
    let stored = store.ai_review(review.id).await.unwrap().unwrap();
    assert_eq!(stored.valid_until, None, "a rejection has no validity");
}

#[tokio::test]
async fn future_approval_is_not_yet_valid() {
    let (_dir, store) = store().await;
    let review = store
        .open_ai_review("cityai.routing", ReviewKind::ReReview, &[], "user:office")
        .await
        .unwrap();
    store
        .decide_ai_review(
            review.id,
            &decision(Decision::Approved, 10, 100),
            "user:office",
        )
        .await
        .unwrap();
    let gate = store.ai_gate("cityai.routing").await.unwrap();
    assert!(
        matches!(gate.closed, Some(GateClosed::NotYetValid { .. })),
        "{gate:?}"
    );
    let later = Utc::now() + Duration::days(11);
    assert!(
        store
            .ai_gate_at("cityai.routing", later)
            .await
            .unwrap()
            .is_open()
    );
}

#[tokio::test]
async fn stage_change_clears_the_gate_cache() {
    let (_dir, store) = store().await;
    assert!(store.ai_gate("cityai.routing").await.unwrap().is_open());
    store
        .set_ai_stage(
            "cityai.routing",
            Stage::Suspended,
            "accuracy review",
            "user:office",
        )
        .await
        .unwrap();
    let gate = store.ai_gate("cityai.routing").await.unwrap();
    assert!(
        matches!(
            gate.closed,
            Some(GateClosed::Stage {
                stage: Stage::Suspended,
                ..
            })
        ),
        "a cached open gate must not outlive the change: {gate:?}"
    );
    store
        .set_ai_stage(
            "cityai.routing",
            Stage::InUse,
            "accuracy restored",
            "user:office",
        )
        .await
        .unwrap();
    assert!(store.ai_gate("cityai.routing").await.unwrap().is_open());
}

#[tokio::test]
async fn high_risk_needs_a_panel_approval() {
    let (_dir, store) = store().await;
    store
        .create_ai_application("city.parking", &fields(RiskLevel::High), "user:office")
        .await
        .unwrap();
    let review = store
        .open_ai_review("city.parking", ReviewKind::HighRisk, &[], "user:office")
        .await
        .unwrap();
    store
        .decide_ai_review(
            review.id,
            &decision(Decision::Approved, 0, 100),
            "user:office",
        )
        .await
        .unwrap();
    let err = store
        .set_ai_stage("city.parking", Stage::Pilot, "start", "user:office")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::RegisterRule(_)), "{err}");
    assert!(err.to_string().contains("panel"), "{err}");

    let member = store
        .add_committee_member("赵研究员", "数据伦理", "", "user:office")
        .await
        .unwrap();
    let review = store
        .open_ai_review(
            "city.parking",
            ReviewKind::ReReview,
            &[member],
            "user:office",
        )
        .await
        .unwrap();
    store
        .decide_ai_review(
            review.id,
            &decision(Decision::Approved, 0, 100),
            "user:office",
        )
        .await
        .unwrap();
    let moved = store
        .set_ai_stage("city.parking", Stage::Pilot, "start", "user:office")
        .await
        .unwrap();
    assert_eq!(moved.stage, Stage::Pilot);
}

#[tokio::test]
async fn invalid_input_names_the_value() {
    let (_dir, store) = store().await;
    let err = store
        .create_ai_application("City Parking", &fields(RiskLevel::Low), "user:office")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"City Parking\""), "{err}");
    let mut unknown = fields(RiskLevel::Low);
    unknown.category = "space".to_owned();
    let err = store
        .create_ai_application("city.space", &unknown, "user:office")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownAiCategory(ref c) if c == "space"),
        "{err}"
    );

    let review = store
        .open_ai_review("cityai.routing", ReviewKind::ReReview, &[], "user:office")
        .await
        .unwrap();
    let backwards = decision(Decision::Approved, 10, 5);
    let err = store
        .decide_ai_review(review.id, &backwards, "user:office")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("valid_until"), "{err}");
}

#[tokio::test]
async fn feedback_is_stored_masked() {
    let (_dir, store) = store().await;
    let id = store
        .add_ai_feedback("cityai.routing", "分错了部门，请回电 13912345678", "zh-CN")
        .await
        .unwrap();
    let stored = store
        .ai_feedback(Some("cityai.routing"), None, 10)
        .await
        .unwrap();
    assert_eq!(stored[0].id, id);
    assert!(
        !stored[0].body.contains("13912345678"),
        "{}",
        stored[0].body
    );
    assert!(stored[0].body.contains("分错了部门"));
    let too_long = "很".repeat(cityai_store::MAX_FEEDBACK_CHARS + 1);
    let err = store
        .add_ai_feedback("cityai.routing", &too_long, "zh-CN")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("2001"), "{err}");
}

#[tokio::test]
async fn builtin_entries_cannot_be_retired() {
    let (_dir, store) = store().await;
    let err = store
        .set_ai_stage("cityai.routing", Stage::Retired, "replaced", "office")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("suspended"), "{err}");
    let gate = store.ai_gate("cityai.routing").await.unwrap();
    assert!(gate.closed.is_none(), "{gate:?}");
}
