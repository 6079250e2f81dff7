-- The rest of the city's AI framework: the technology inventory (deployment environments,
-- compute, datasets, models and their lineage), education and AI literacy programmes, ROI
-- scenarios and the roadmap.
--
-- Lineage runs application -> model -> dataset, and model -> compute. Applications are
-- rows of `ai_applications`; nothing here adds columns to that table.

-- Where models run, and the highest data classification (GB/T 43697-2024: general <
-- important < core) each environment is approved to process.
CREATE TABLE ai_environments (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    internet_isolated INTEGER NOT NULL CHECK (internet_isolated IN (0, 1)),
    approved_classification TEXT NOT NULL
        CHECK (approved_classification IN ('general', 'important', 'core')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ai_compute_resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    -- The accelerator model, such as 'Ascend 910B' or 'H20'; 'cpu' for CPU-only nodes.
    accelerator TEXT NOT NULL,
    accelerator_count INTEGER NOT NULL CHECK (accelerator_count >= 0),
    -- Peak dense FP16 throughput in PFLOPS, as the vendor states it.
    capacity_pflops REAL NOT NULL CHECK (capacity_pflops >= 0),
    -- Average share of capacity in use over the last month, 0 to 1.
    utilisation REAL NOT NULL CHECK (utilisation >= 0 AND utilisation <= 1),
    internet_isolated INTEGER NOT NULL CHECK (internet_isolated IN (0, 1)),
    environment_code TEXT NOT NULL REFERENCES ai_environments (code),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ai_datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- The organisation responsible for the data.
    owner TEXT NOT NULL,
    -- Where the data comes from, such as '12345 hotline work orders'.
    source TEXT NOT NULL,
    classification TEXT NOT NULL CHECK (classification IN ('general', 'important', 'core')),
    personal_information INTEGER NOT NULL CHECK (personal_information IN (0, 1)),
    -- The legal basis of processing; required when the data holds personal information.
    legal_basis TEXT NOT NULL DEFAULT '',
    licence TEXT NOT NULL DEFAULT '',
    size_gb REAL NOT NULL CHECK (size_gb >= 0),
    update_frequency TEXT NOT NULL
        CHECK (update_frequency IN ('once', 'real_time', 'daily', 'weekly', 'monthly',
                                    'quarterly', 'yearly')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (personal_information = 0 OR legal_basis <> '')
);

CREATE TABLE ai_models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    base_model TEXT NOT NULL,
    version TEXT NOT NULL,
    -- Who owns the intellectual property, and of which kind the owner is. A model trained
    -- on public data belongs to the public sector.
    ip_owner TEXT NOT NULL,
    ip_owner_kind TEXT NOT NULL CHECK (ip_owner_kind IN ('public_sector', 'vendor', 'joint')),
    trained_on_public_data INTEGER NOT NULL CHECK (trained_on_public_data IN (0, 1)),
    environment_code TEXT NOT NULL REFERENCES ai_environments (code),
    -- The compute resource the model is served from, when known.
    compute_id INTEGER REFERENCES ai_compute_resources (id),
    -- Evaluation results as a JSON object of metric name to number, such as {"accuracy": 0.91}.
    evaluation TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (trained_on_public_data = 0 OR ip_owner_kind = 'public_sector')
);

CREATE TABLE ai_model_datasets (
    model_id INTEGER NOT NULL REFERENCES ai_models (id),
    dataset_id INTEGER NOT NULL REFERENCES ai_datasets (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (model_id, dataset_id)
);

CREATE TABLE ai_application_models (
    application_id INTEGER NOT NULL REFERENCES ai_applications (id),
    model_id INTEGER NOT NULL REFERENCES ai_models (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (application_id, model_id)
);

-- Education and AI literacy, at four levels.
CREATE TABLE ai_programmes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    level TEXT NOT NULL
        CHECK (level IN ('basic_schooling', 'higher_education', 'vocational', 'public')),
    -- The partner organisation, such as a university or vendor; empty when none.
    partner TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ai_courses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id INTEGER NOT NULL REFERENCES ai_programmes (id),
    code TEXT NOT NULL UNIQUE,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    hours REAL NOT NULL CHECK (hours > 0),
    -- The AI application the course trains business staff to use, when it is such a course.
    application_id INTEGER REFERENCES ai_applications (id),
    created_at TEXT NOT NULL
);

CREATE TABLE ai_course_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id INTEGER NOT NULL REFERENCES ai_courses (id),
    -- City-local date, YYYY-MM-DD.
    starts_on TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

-- Counts per session and department, not per person: the register needs reach, not names.
CREATE TABLE ai_enrolments (
    session_id INTEGER NOT NULL REFERENCES ai_course_sessions (id),
    department_code TEXT NOT NULL REFERENCES departments (code),
    enrolled INTEGER NOT NULL CHECK (enrolled >= 0),
    completed INTEGER NOT NULL CHECK (completed >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (session_id, department_code),
    CHECK (completed <= enrolled)
);

-- Staff per department, the denominator of training coverage.
CREATE TABLE ai_department_staff (
    department_code TEXT PRIMARY KEY REFERENCES departments (code),
    staff INTEGER NOT NULL CHECK (staff > 0),
    updated_at TEXT NOT NULL
);

-- Saved ROI calculator inputs; results are computed when read.
CREATE TABLE ai_roi_scenarios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    application_id INTEGER REFERENCES ai_applications (id),
    -- The calculator's inputs as a JSON object.
    inputs TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The roadmap: four fixed phases and their milestones.
CREATE TABLE ai_roadmap_phases (
    code TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);

INSERT INTO ai_roadmap_phases (code, ordinal, name_zh, name_en) VALUES
    ('strategy', 1, '战略规划与生态构建', 'Strategic planning and ecosystem building'),
    ('technology', 2, '技术建设与试点应用', 'Technology and pilots'),
    ('talent', 3, '人才培养与治理完善', 'Talent and governance'),
    ('iteration', 4, '持续迭代与公众参与', 'Continuous iteration and public engagement');

CREATE TABLE ai_milestones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    phase_code TEXT NOT NULL REFERENCES ai_roadmap_phases (code),
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    owner TEXT NOT NULL,
    -- City-local date, YYYY-MM-DD.
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'in_progress', 'done', 'blocked')),
    -- What progress counts: 'manual' takes manual_progress; every other measure counts
    -- linked items in the store against target.
    measure TEXT NOT NULL
        CHECK (measure IN ('manual', 'pilots', 'applications_in_use', 'datasets', 'models',
                           'programmes', 'completions')),
    target INTEGER CHECK (target > 0),
    manual_progress REAL NOT NULL DEFAULT 0 CHECK (manual_progress >= 0 AND manual_progress <= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (measure = 'manual' OR target IS NOT NULL)
);

CREATE INDEX ai_milestones_phase ON ai_milestones (phase_code, due_on);
