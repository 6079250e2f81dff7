-- Lists filtered by status in either order walk an index instead of sorting every match:
-- newest first (the inbox) and oldest first (the triage queue). The table's rowid is the
-- request id, which every index carries last, so both orders end with the id for free.
CREATE INDEX requests_status_submitted_idx ON requests (status, submitted_at);
CREATE INDEX requests_status_oldest_idx ON requests (status, submitted_at IS NULL, submitted_at);

-- The number of requests per department and status, kept by triggers, so that the total of
-- a list filtered only by status or department is read from a few rows instead of counted
-- over every match. Requests without a department count under ''.
CREATE TABLE request_counts (
    department_code TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (department_code, status)
);

INSERT INTO request_counts (department_code, status, n)
SELECT COALESCE(department_code, ''), status, COUNT(*) FROM requests
GROUP BY COALESCE(department_code, ''), status;

CREATE TRIGGER request_counts_insert AFTER INSERT ON requests
BEGIN
    INSERT INTO request_counts (department_code, status, n)
    VALUES (COALESCE(NEW.department_code, ''), NEW.status, 1)
    ON CONFLICT (department_code, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER request_counts_delete AFTER DELETE ON requests
BEGIN
    UPDATE request_counts SET n = n - 1
    WHERE department_code = COALESCE(OLD.department_code, '') AND status = OLD.status;
END;

CREATE TRIGGER request_counts_update AFTER UPDATE OF status, department_code ON requests
WHEN OLD.status IS NOT NEW.status OR OLD.department_code IS NOT NEW.department_code
BEGIN
    UPDATE request_counts SET n = n - 1
    WHERE department_code = COALESCE(OLD.department_code, '') AND status = OLD.status;
    INSERT INTO request_counts (department_code, status, n)
    VALUES (COALESCE(NEW.department_code, ''), NEW.status, 1)
    ON CONFLICT (department_code, status) DO UPDATE SET n = n + 1;
END;
