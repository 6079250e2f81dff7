-- Lists filtered by status in either order walk an index instead of sorting every match:
-- newest first (the inbox) and oldest first (the triage queue). The table's rowid is the
-- request id, which every index carries last, so both orders end with the id for free.
CREATE INDEX requests_status_submitted_idx ON requests (status, submitted_at);
CREATE INDEX requests_status_oldest_idx ON requests (status, submitted_at IS NULL, submitted_at);
