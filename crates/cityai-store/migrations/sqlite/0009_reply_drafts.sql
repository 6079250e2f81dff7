-- Reply drafts that handlers edit and approve, and who approved each published reply.
--
-- A draft keeps the text as it was generated beside the text as edited, so that the
-- published reply can say whether AI-generated text was kept. Drafts are never deleted:
-- a newer draft for the same request supersedes the older one.

CREATE TABLE reply_drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    -- The text as generated, never changed afterwards.
    generated_body TEXT NOT NULL,
    -- The current text, as the handler last saved it.
    body TEXT NOT NULL,
    -- 'template' for the built-in drafter, 'llm:<model>' when an LLM wrote it.
    generator TEXT NOT NULL,
    -- The passages and past replies the draft drew on, as JSON.
    sources TEXT NOT NULL,
    -- The implicit AIGC metadata of the generated text, as JSON.
    aigc TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'superseded')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT,
    approved_by TEXT,
    approved_at TEXT
);

CREATE INDEX reply_drafts_request_idx ON reply_drafts (request_id);

-- Who approved a reply written in CityAI, and how much of its text the AI wrote: NULL for
-- replies that came with imported history.
ALTER TABLE replies ADD COLUMN approved_by TEXT;
ALTER TABLE replies ADD COLUMN draft_id INTEGER REFERENCES reply_drafts (id);
-- The share of the published text's runs of four characters that come from the generated draft,
-- from 0 (written by a person) to 1 (kept as generated).
ALTER TABLE replies ADD COLUMN ai_share REAL;

-- The request timeline reads the audit events about one request.
CREATE INDEX audit_events_target_idx ON audit_events (target);

-- The dashboard counts routing decisions of a period and open requests by age.
CREATE INDEX routing_decisions_created_idx ON routing_decisions (created_at);
CREATE INDEX requests_status_received_idx ON requests (status, received_at);

-- The request list counts matches by status within a category or a department.
CREATE INDEX requests_category_status_idx ON requests (category_path, status);
CREATE INDEX requests_department_status_idx ON requests (department_code, status);
