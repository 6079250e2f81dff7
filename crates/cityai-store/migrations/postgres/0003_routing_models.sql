-- Trained routing models. The model file is stored whole, so that every node of an
-- installation routes with the same model; at most one row is active.

CREATE TABLE routing_models (
    version TEXT PRIMARY KEY,
    trained_at TEXT NOT NULL,
    rows_trained BIGINT NOT NULL,
    data_sha256 TEXT NOT NULL,
    -- The model's metadata and training report as JSON, for listing without loading the model.
    report TEXT NOT NULL,
    model BYTEA NOT NULL,
    active BIGINT NOT NULL DEFAULT 0
);
