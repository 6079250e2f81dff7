-- Departments, the category taxonomy, citizen requests and their replies.
-- Times are RFC 3339 UTC text (2019-02-28T03:25:05Z), which sorts in time order.

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE categories (
    path TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    parent_path TEXT REFERENCES categories (path),
    department_code TEXT REFERENCES departments (code)
);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "id:<source>:<external id>" or "sha256:<content hash>"; makes imports idempotent.
    dedup_key TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT,
    channel TEXT NOT NULL,
    title TEXT,
    body TEXT NOT NULL,
    submitted_at TEXT,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    citizen_ref TEXT,
    place_text TEXT,
    latitude REAL,
    longitude REAL,
    status TEXT NOT NULL,
    category_path TEXT,
    department_code TEXT,
    routing_confidence REAL,
    model_version TEXT
);

CREATE INDEX requests_status_idx ON requests (status);
CREATE INDEX requests_category_idx ON requests (category_path);
CREATE INDEX requests_department_idx ON requests (department_code);
CREATE INDEX requests_received_idx ON requests (received_at);
CREATE INDEX requests_submitted_idx ON requests (submitted_at);

CREATE TABLE replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    body TEXT NOT NULL,
    replied_at TEXT,
    -- "import" for replies that came with imported history.
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX replies_request_idx ON replies (request_id);
