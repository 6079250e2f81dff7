-- PostgreSQL keeps the counts per department and status with statement triggers from this
-- version on. SQLite updates a row in place, so its row triggers of migration 16 stay as
-- they are; this step only keeps the two schemas at the same version.
SELECT 1;
