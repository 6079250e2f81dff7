-- Knowledge sources (policies, FAQs, past replies, documents) and their chunks. The search
-- index is rebuilt from knowledge_chunks, so these tables are the source of truth.

CREATE TABLE knowledge_sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The id the source has in the system or file it came from; unique within a collection.
    collection TEXT NOT NULL,
    external_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('faq', 'policy', 'reply', 'document')),
    title TEXT,
    department TEXT,
    -- Validity status as published, such as 现行有效 or 已废止, and dates where known.
    status TEXT,
    valid_from TEXT,
    valid_until TEXT,
    classification TEXT NOT NULL DEFAULT 'general'
        CHECK (classification IN ('general', 'important', 'core')),
    -- SHA-256 of the text and metadata, so re-importing an unchanged source does nothing.
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (collection, external_id)
);

CREATE TABLE knowledge_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id INTEGER NOT NULL REFERENCES knowledge_sources (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    heading TEXT,
    text TEXT NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    UNIQUE (source_id, position)
);
