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

-- Staff of the AI office keep the register, so the users table admits their role. SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt under the same name.
-- Sessions and API keys refer to users: their foreign keys are checked at commit, and
-- inserting the rows again into the new table satisfies them once more.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE users_copy AS SELECT * FROM users;

DROP TABLE users;

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL
        CHECK (role IN ('citizen', 'operator', 'handler', 'reviewer', 'admin', 'auditor',
                        'ai_office')),
    -- The one department a handler works for; NULL for every other role.
    department_code TEXT REFERENCES departments (code),
    -- An Argon2id hash in PHC string format; never the password.
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((role = 'handler') = (department_code IS NOT NULL))
);

INSERT INTO users (id, username, role, department_code, password_hash, disabled, created_at,
                   updated_at)
SELECT id, username, role, department_code, password_hash, disabled, created_at, updated_at
FROM users_copy;

DROP TABLE users_copy;
