-- Lists filtered by status in either order walk an index instead of sorting every match:
-- newest first (the inbox) and oldest first (the triage queue).
CREATE INDEX requests_status_submitted_idx
    ON requests (status, submitted_at DESC NULLS LAST, id DESC);
CREATE INDEX requests_status_oldest_idx
    ON requests (status, (submitted_at IS NULL), submitted_at, id);

-- The number of requests per department and status, kept by a trigger, so that the total of
-- a list filtered only by status or department is read from a few rows instead of counted
-- over every match. Requests without a department count under ''.
CREATE TABLE request_counts (
    department_code TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (department_code, status)
);

INSERT INTO request_counts (department_code, status, n)
SELECT COALESCE(department_code, ''), status, COUNT(*) FROM requests
GROUP BY COALESCE(department_code, ''), status;

CREATE FUNCTION request_counts_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE request_counts SET n = n - 1
        WHERE department_code = COALESCE(OLD.department_code, '') AND status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO request_counts (department_code, status, n)
        VALUES (COALESCE(NEW.department_code, ''), NEW.status, 1)
        ON CONFLICT (department_code, status) DO UPDATE SET n = request_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER request_counts_insert AFTER INSERT OR DELETE ON requests
FOR EACH ROW EXECUTE FUNCTION request_counts_keep();

CREATE TRIGGER request_counts_update AFTER UPDATE OF status, department_code ON requests
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status
      OR OLD.department_code IS DISTINCT FROM NEW.department_code)
EXECUTE FUNCTION request_counts_keep();
