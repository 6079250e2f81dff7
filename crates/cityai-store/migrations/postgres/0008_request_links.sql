-- Suggested duplicate links found on intake: request_id probably repeats other_id. Links are
-- shown to staff and never merge requests.

CREATE TABLE request_links (
    request_id BIGINT NOT NULL REFERENCES requests (id),
    other_id BIGINT NOT NULL REFERENCES requests (id),
    -- near_duplicate_wording or same_place_similar_wording.
    reason TEXT NOT NULL,
    -- Shared places, similarities and the time gap, as JSON.
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_id, other_id)
);

CREATE INDEX request_links_other_idx ON request_links (other_id);
