-- Personal data masked at rest: title and body hold masked text, which every reader gets
-- (lists, exports, model training, prompts). The originals are kept in restricted columns
-- that only Store::request_unmasked reads, and each such read is audited.

ALTER TABLE requests ADD COLUMN restricted_title TEXT;
ALTER TABLE requests ADD COLUMN restricted_body TEXT;
-- Comma-separated kinds of personal data found, such as 'mobile,resident_id'; '' for none.
ALTER TABLE requests ADD COLUMN pii_kinds TEXT;
-- 0 for rows stored before masking existed; Store::open masks them and sets 1.
ALTER TABLE requests ADD COLUMN pii_scanned BIGINT NOT NULL DEFAULT 0;
