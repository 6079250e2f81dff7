-- New and deleted requests are counted per department and status once per statement
-- instead of once per row. The row trigger of migration 16 updated one counts row for every
-- request written, and PostgreSQL keeps every version of a row that an open transaction
-- updates, so each update walked past all the earlier ones. An import of many rows in one
-- transaction slowed down with the square of its size. A statement now updates each counts
-- row it touches once.
--
-- Updates keep the row trigger of migration 16: it fires only when a request's status or
-- department changes. PostgreSQL allows no column list on a statement trigger with
-- transition tables, so a statement trigger would run on every update of a request, such as
-- the search indexer's.
DROP TRIGGER request_counts_insert ON requests;

CREATE FUNCTION request_counts_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO request_counts (department_code, status, n)
    SELECT COALESCE(department_code, ''), status, COUNT(*)
    FROM new_rows
    GROUP BY COALESCE(department_code, ''), status
    ON CONFLICT (department_code, status) DO UPDATE SET n = request_counts.n + EXCLUDED.n;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION request_counts_remove() RETURNS trigger AS $$
BEGIN
    UPDATE request_counts AS kept SET n = kept.n - gone.n
    FROM (
        SELECT COALESCE(department_code, '') AS department_code, status, COUNT(*) AS n
        FROM old_rows
        GROUP BY COALESCE(department_code, ''), status
    ) AS gone
    WHERE kept.department_code = gone.department_code AND kept.status = gone.status;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER request_counts_insert AFTER INSERT ON requests
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION request_counts_add();

CREATE TRIGGER request_counts_delete AFTER DELETE ON requests
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION request_counts_remove();

-- The inbox lists every request newest first. PostgreSQL sorts NULL first in a descending
-- order unless told otherwise, so the ascending index on submitted_at does not give this
-- order, and each inbox page sorted the whole table.
CREATE INDEX requests_inbox_idx ON requests (submitted_at DESC NULLS LAST, id DESC);
