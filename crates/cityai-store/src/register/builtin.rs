//! CityAI's own AI features as register entries, registered when the store opens.
//!
//! Each feature runs only while its entry's gate is open. A new installation records an
//! installation approval for each, so that a fresh system works (see
//! [`Store::ensure_builtin_ai_application`]). The AI office then reviews, suspends or retires
//! them like any other application. An entry that exists is never overwritten.

use chrono::{DateTime, Utc};

use super::{ApplicationFields, ModelType, PublicationCategory, RiskLevel};
use crate::{Result, Store};

/// The register code of automatic routing and assignment.
pub const ROUTING: &str = "cityai.routing";
/// The register code of AI reply drafting.
pub const REPLY_DRAFTING: &str = "cityai.reply_drafting";
/// The register code of LLM-written knowledge answers.
pub const LLM_ANSWERS: &str = "cityai.llm_answers";
/// The register code of the reception assistant.
pub const RECEPTION: &str = "cityai.reception";

/// The codes of every built-in feature.
pub const BUILTIN_CODES: [&str; 4] = [ROUTING, REPLY_DRAFTING, LLM_ANSWERS, RECEPTION];

fn fields(code: &str) -> ApplicationFields {
    let common = ApplicationFields {
        name_zh: String::new(),
        name_en: String::new(),
        category: "public_service".to_owned(),
        risk_level: RiskLevel::Medium,
        model_type: ModelType::Industry,
        publication_category: PublicationCategory::Impactful,
        description: String::new(),
        rationale: String::new(),
        owner: "人工智能办公室 / AI office".to_owned(),
        contact: String::new(),
        lead_department: String::new(),
        human_oversight: String::new(),
        decision_process: String::new(),
        data_description: String::new(),
        risks: String::new(),
        impact_assessments: String::new(),
        legal_basis: String::new(),
        supplier: "CityAI (open source, run by the city)".to_owned(),
        priority: false,
        genai_filing: None,
    };
    match code {
        ROUTING => ApplicationFields {
            name_zh: "诉求智能分拨".to_owned(),
            name_en: "Automatic routing of requests".to_owned(),
            description: "按本市已标注的历史诉求训练的分类器，为新诉求建议事项分类和承办部门；置信度达到阈值时自动派单。 \
                A classifier trained on the city's labelled requests suggests the category and department of each new request and assigns it when the confidence reaches the threshold."
                .to_owned(),
            rationale: "缩短诉求分拨时间。 Shortens the time from intake to the responsible department.".to_owned(),
            human_oversight: "低于阈值的诉求进入人工分拨队列；坐席可确认或改正每一次分拨，改正用于再训练。 \
                Requests below the threshold go to the triage queue; operators confirm or correct every routing, and corrections retrain the router."
                .to_owned(),
            decision_process: "只决定由哪个部门办理，不决定诉求结果。 Decides only which department handles a request, never its outcome.".to_owned(),
            data_description: "诉求标题和正文，个人信息已脱敏。 Request titles and texts with personal data masked.".to_owned(),
            risks: "分错部门会延误办理；准确率和改正率按月监测。 A wrong department delays the request; accuracy and corrections are monitored.".to_owned(),
            ..common
        },
        REPLY_DRAFTING => ApplicationFields {
            name_zh: "答复意见辅助起草".to_owned(),
            name_en: "AI reply drafting".to_owned(),
            description: "根据相似的历史答复和政策条文起草答复稿，标注为人工智能生成，由承办人修改并批准。 \
                Drafts an official reply from similar past replies and policy passages, labelled as AI-generated, for a handler to edit and approve."
                .to_owned(),
            rationale: "减少承办人起草时间。 Saves handlers' drafting time.".to_owned(),
            human_oversight: "每份答复都由承办人修改和批准后才发布。 Every reply is edited and approved by a handler before it is published.".to_owned(),
            decision_process: "只提供草稿，不发布任何内容。 Provides a draft only; publishes nothing.".to_owned(),
            data_description: "脱敏后的诉求文本、知识库中一般级别的条文和历史答复。 Masked request text, general-classification knowledge passages and past replies.".to_owned(),
            risks: "草稿可能引用不相关的条文；承办人核对依据。 A draft may quote an unrelated passage; the handler checks the basis.".to_owned(),
            publication_category: PublicationCategory::Other,
            ..common
        },
        LLM_ANSWERS => ApplicationFields {
            name_zh: "大模型知识问答".to_owned(),
            name_en: "LLM knowledge answers".to_owned(),
            description: "大语言模型根据检索到的政策和问答条文生成带引用的回答。 \
                A large language model writes answers with citations from the retrieved policy and FAQ passages."
                .to_owned(),
            rationale: "让工作人员和市民更快找到依据。 Helps staff and citizens find the basis faster.".to_owned(),
            human_oversight: "回答标注为人工智能生成，并列出引用原文供核对。 Answers are labelled as AI-generated and list the quoted passages for checking.".to_owned(),
            decision_process: "仅供参考，不作为决定依据。 For information only, never the basis of a decision.".to_owned(),
            data_description: "知识库中一般级别的条文，脱敏后发送给本市内网的模型服务。 General-classification passages, masked, sent to the city's internal model endpoint.".to_owned(),
            risks: "模型可能编造内容；只允许依据引用条文作答。 The model may invent content; it may answer only from the cited passages.".to_owned(),
            model_type: ModelType::General,
            ..common
        },
        _ => ApplicationFields {
            name_zh: "智能接待助手".to_owned(),
            name_en: "Reception assistant".to_owned(),
            description: "在公开页面与市民对话，回答问题、查询进度，或把投诉整理成完整工单。 \
                Talks with citizens on the public page: answers questions, reports status, or turns a complaint into a complete request."
                .to_owned(),
            rationale: "全天候受理，减少重复追问。 Takes requests at any hour and asks for missing details once.".to_owned(),
            human_oversight: "市民确认摘要后才提交；随时可转人工。 Nothing is submitted before the citizen confirms the summary; a person is offered at any time.".to_owned(),
            decision_process: "不决定诉求结果，提交的工单按常规流程办理。 Decides no outcome; submitted requests follow the normal path.".to_owned(),
            data_description: "市民在对话中输入的内容，存储前脱敏。 What citizens type, masked before it is stored.".to_owned(),
            risks: "可能误解市民意图；未理解时转人工。 It may misread a citizen; when it does not understand, it offers a person.".to_owned(),
            ..common
        },
    }
}

impl Store {
    /// Registers every built-in feature that has no entry yet, each with an installation
    /// approval from `now`. Returns how many were new.
    ///
    /// # Errors
    ///
    /// As [`Store::ensure_builtin_ai_application`].
    pub async fn ensure_builtin_ai_applications(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut added = 0;
        for code in BUILTIN_CODES {
            if self
                .ensure_builtin_ai_application(code, &fields(code), now)
                .await?
            {
                added += 1;
            }
        }
        Ok(added)
    }
}
