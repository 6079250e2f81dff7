-- The counts per department and status are kept once per statement instead of once per row.
-- The row triggers of migration 16 updated one counts row for every request written, and
-- PostgreSQL keeps every version of a row that an open transaction updates, so each update
-- walked past all the earlier ones: an import of many rows in one transaction slowed down
-- with the square of its size. A statement now updates each counts row it touches once.
DROP TRIGGER request_counts_insert ON requests;
DROP TRIGGER request_counts_update ON requests;
DROP FUNCTION request_counts_keep();

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

CREATE FUNCTION request_counts_move() RETURNS trigger AS $$
BEGIN
    WITH moved AS (
        SELECT COALESCE(o.department_code, '') AS old_department, o.status AS old_status,
               COALESCE(n.department_code, '') AS new_department, n.status AS new_status
        FROM old_rows AS o
        JOIN new_rows AS n ON n.id = o.id
        WHERE o.status IS DISTINCT FROM n.status
           OR o.department_code IS DISTINCT FROM n.department_code
    ),
    changes AS (
        SELECT old_department AS department_code, old_status AS status, -COUNT(*) AS n
        FROM moved
        GROUP BY old_department, old_status
        UNION ALL
        SELECT new_department, new_status, COUNT(*)
        FROM moved
        GROUP BY new_department, new_status
    )
    INSERT INTO request_counts (department_code, status, n)
    SELECT department_code, status, CAST(SUM(n) AS BIGINT)
    FROM changes
    GROUP BY department_code, status
    ON CONFLICT (department_code, status) DO UPDATE SET n = request_counts.n + EXCLUDED.n;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER request_counts_insert AFTER INSERT ON requests
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION request_counts_add();

CREATE TRIGGER request_counts_delete AFTER DELETE ON requests
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION request_counts_remove();

CREATE TRIGGER request_counts_update AFTER UPDATE ON requests
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION request_counts_move();
