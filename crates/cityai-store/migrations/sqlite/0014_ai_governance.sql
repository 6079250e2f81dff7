-- The governance register: the public fields of each AI application, selection by weighted
-- criteria, ethical review by the expert committee, funds, monitoring, the organisations
-- taking part, and moderated public feedback.
--
-- The register fields follow the UK Algorithmic Transparency Recording Standard (ATRS) and
-- the Dutch Algoritmeregister standard; docs/ai-register.md maps each column to both.

-- ATRS tier 1: a plain description, and whom to contact.
ALTER TABLE ai_applications ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_applications ADD COLUMN contact TEXT NOT NULL DEFAULT '';
-- ATRS tier 2 "owner and responsibility": the accountable organisation and role.
ALTER TABLE ai_applications ADD COLUMN owner TEXT NOT NULL DEFAULT '';
-- ATRS "rationale" and benefits; the Dutch "goal and impact" combines it with the description.
ALTER TABLE ai_applications ADD COLUMN rationale TEXT NOT NULL DEFAULT '';
-- ATRS "human oversight", the Dutch "human intervention".
ALTER TABLE ai_applications ADD COLUMN human_oversight TEXT NOT NULL DEFAULT '';
-- ATRS "decision-making process": how the output enters a decision.
ALTER TABLE ai_applications ADD COLUMN decision_process TEXT NOT NULL DEFAULT '';
-- ATRS "data" and the Dutch "data sources".
ALTER TABLE ai_applications ADD COLUMN data_description TEXT NOT NULL DEFAULT '';
-- ATRS "risks", the Dutch "risk management".
ALTER TABLE ai_applications ADD COLUMN risks TEXT NOT NULL DEFAULT '';
-- ATRS "impact assessments" (data protection, equality, ethics), the Dutch "impact assessment".
ALTER TABLE ai_applications ADD COLUMN impact_assessments TEXT NOT NULL DEFAULT '';
-- The Dutch "legal basis" (wettelijke basis).
ALTER TABLE ai_applications ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
-- ATRS "external supplier", the Dutch "provider" (leverancier).
ALTER TABLE ai_applications ADD COLUMN supplier TEXT NOT NULL DEFAULT '';
-- The Dutch publication category.
ALTER TABLE ai_applications ADD COLUMN publication_category TEXT NOT NULL DEFAULT 'other'
    CHECK (publication_category IN ('high_risk', 'impactful', 'other'));
ALTER TABLE ai_applications ADD COLUMN model_type TEXT NOT NULL DEFAULT 'general'
    CHECK (model_type IN ('industry', 'regional', 'general'));
ALTER TABLE ai_applications ADD COLUMN lead_department TEXT NOT NULL DEFAULT '';
-- 1 for an application the city marked as a priority.
ALTER TABLE ai_applications ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
-- The filing number of a generative AI service under China's generative AI measures, if any.
ALTER TABLE ai_applications ADD COLUMN genai_filing TEXT;

-- Application categories; the six defaults, and the office adds its own.
CREATE TABLE ai_categories (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

INSERT INTO ai_categories (code, name_zh, name_en, position) VALUES
    ('public_service', '公共服务', 'Public service', 1),
    ('urban_governance', '城市治理', 'Urban governance', 2),
    ('health', '医疗健康', 'Health', 3),
    ('manufacturing', '智能制造', 'Manufacturing', 4),
    ('education', '教育', 'Education', 5),
    ('low_altitude', '低空经济', 'Low-altitude economy', 6);

-- Selection criteria with their weights; the weights need not sum to 1, scores are
-- divided by the sum of the active weights.
CREATE TABLE ai_criteria (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    weight REAL NOT NULL CHECK (weight > 0),
    active INTEGER NOT NULL DEFAULT 1
);

INSERT INTO ai_criteria (code, name_zh, name_en, weight) VALUES
    ('comparable_cases', '同类案例成熟度', 'Maturity of comparable cases', 0.35),
    ('industrial_fit', '契合本市产业优势', 'Fit with the city''s industrial strengths', 0.35),
    ('government_support', '政府推动落地支持', 'Government support for implementation', 0.30);

-- One scorer's score of one application on one criterion, from 0 to 5.
CREATE TABLE ai_scores (
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    criterion_code TEXT NOT NULL REFERENCES ai_criteria (code),
    scorer TEXT NOT NULL,
    score REAL NOT NULL CHECK (score >= 0 AND score <= 5),
    note TEXT NOT NULL DEFAULT '',
    scored_at TEXT NOT NULL,
    PRIMARY KEY (application_id, criterion_code, scorer)
);

-- The year's approved scenario list; plans are updated every year.
CREATE TABLE ai_approved_lists (
    year INTEGER NOT NULL,
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    rank INTEGER NOT NULL,
    weighted_score REAL,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (year, application_id)
);

-- The expert advisory committee on AI ethics.
CREATE TABLE ai_committee_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    expertise TEXT NOT NULL,
    affiliation TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

-- A member's declared conflict of interest with one application; a conflicted member
-- cannot sit on that application's review panel.
CREATE TABLE ai_member_conflicts (
    member_id INTEGER NOT NULL REFERENCES ai_committee_members (id),
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    note TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    PRIMARY KEY (member_id, application_id)
);

-- Ethical review cases and their decisions. A decision is final; a re-review is a new case.
CREATE TABLE ai_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    kind TEXT NOT NULL CHECK (kind IN ('high_risk', 'social_experiment', 'generated_content',
                                       'installation', 're_review')),
    -- Committee member ids as a JSON array.
    panel TEXT NOT NULL DEFAULT '[]',
    decision TEXT CHECK (decision IN ('approved', 'approved_with_conditions', 'rejected')),
    conditions TEXT NOT NULL DEFAULT '',
    -- Who recorded the decision: the committee's own account or AI-office staff for it.
    decided_by TEXT,
    decided_at TEXT,
    valid_from TEXT,
    valid_until TEXT,
    re_review_on TEXT,
    opened_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK ((decision IS NULL) = (decided_at IS NULL)),
    CHECK (decision IS NULL OR decision = 'rejected' OR valid_until IS NOT NULL)
);

CREATE INDEX ai_reviews_application_idx ON ai_reviews (application_id, id);

-- Fiscal funds per application and budget year, in yuan.
CREATE TABLE ai_funds (
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    year INTEGER NOT NULL,
    budgeted INTEGER NOT NULL DEFAULT 0 CHECK (budgeted >= 0),
    allocated INTEGER NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    spent INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (application_id, year)
);

-- Monitoring records. 'measured' figures come from CityAI's own stored events, 'reported'
-- ones were entered by staff for applications outside CityAI.
CREATE TABLE ai_monitoring (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('measured', 'reported')),
    -- The figures as a JSON object of name to number.
    figures TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE INDEX ai_monitoring_application_idx ON ai_monitoring (application_id, period_end);

-- Organisations that take part: government bodies, enterprises, academia, citizen groups.
CREATE TABLE ai_organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('government', 'enterprise', 'academia', 'citizen_group')),
    created_at TEXT NOT NULL
);

CREATE TABLE ai_application_roles (
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    organisation_id INTEGER NOT NULL REFERENCES ai_organisations (id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'partner', 'supplier', 'evaluator', 'user',
                                       'advisor')),
    PRIMARY KEY (application_id, organisation_id, role)
);

-- Citizens' feedback on register entries, stored masked; shown only once published.
CREATE TABLE ai_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    body TEXT NOT NULL,
    lang TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'rejected')),
    created_at TEXT NOT NULL,
    moderated_by TEXT,
    moderated_at TEXT
);

CREATE INDEX ai_feedback_application_idx ON ai_feedback (application_id, status);
