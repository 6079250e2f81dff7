-- Where a request's category came from, every routing decision, and staff feedback on it.

-- 'label': the category arrived with the data; 'router': the router suggested it and nobody
-- has confirmed it; 'staff': a person confirmed or corrected it. Training reads only 'label'
-- and 'staff', so the router never learns from its own unchecked suggestions.
ALTER TABLE requests ADD COLUMN category_source TEXT;
UPDATE requests SET category_source = 'label' WHERE category_path IS NOT NULL;

CREATE TABLE routing_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    model_version TEXT NOT NULL,
    category_path TEXT NOT NULL,
    confidence REAL NOT NULL,
    auto_assigned INTEGER NOT NULL,
    -- The top categories with probabilities and the evidence, as JSON.
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX routing_decisions_request_idx ON routing_decisions (request_id);

CREATE TABLE routing_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    action TEXT NOT NULL CHECK (action IN ('confirm', 'correct')),
    previous_category TEXT,
    category_path TEXT NOT NULL,
    model_version TEXT,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX routing_feedback_request_idx ON routing_feedback (request_id);
