-- Lists filtered by status in either order walk an index instead of sorting every match:
-- newest first (the inbox) and oldest first (the triage queue).
CREATE INDEX requests_status_submitted_idx
    ON requests (status, submitted_at DESC NULLS LAST, id DESC);
CREATE INDEX requests_status_oldest_idx
    ON requests (status, (submitted_at IS NULL), submitted_at, id);
