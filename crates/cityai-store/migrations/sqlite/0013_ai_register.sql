-- The city's register of AI applications (AI 应用场景), the base of AI governance.
--
-- Every AI application the city runs or plans has one row, including CityAI's own AI
-- features, which are registered on first start under fixed codes such as
-- 'cityai.routing'. Details of selection, ethical review, funding and monitoring live in
-- their own tables and refer to `ai_applications (id)`.

CREATE TABLE ai_applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- A stable short code, unique, such as 'cityai.routing' or 'health.triage-2027'.
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- One of the configurable application categories, such as 'public_service'.
    category TEXT NOT NULL,
    -- The lifecycle stage.
    stage TEXT NOT NULL DEFAULT 'proposed'
        CHECK (stage IN ('proposed', 'under_review', 'pilot', 'in_use', 'suspended', 'retired')),
    risk_level TEXT NOT NULL DEFAULT 'medium' CHECK (risk_level IN ('low', 'medium', 'high')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX ai_applications_category_stage ON ai_applications (category, stage);
