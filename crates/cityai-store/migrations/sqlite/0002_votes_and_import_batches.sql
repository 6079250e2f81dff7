-- Public message-board votes, and a record of every imported file.

ALTER TABLE requests ADD COLUMN support_votes INTEGER;
ALTER TABLE requests ADD COLUMN objection_votes INTEGER;

CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    source TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    imported INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);

ALTER TABLE requests ADD COLUMN import_batch_id INTEGER REFERENCES import_batches (id);
