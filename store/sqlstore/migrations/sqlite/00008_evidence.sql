-- Findings' evidence files published by sensors (harborwatch serve --nats
-- fetches them from the NATS object store): the newest per site and finding.

-- +goose Up
CREATE TABLE finding_evidence (
    site       TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    sensor     TEXT NOT NULL,
    run        TEXT NOT NULL,
    object     TEXT NOT NULL,
    format     TEXT NOT NULL,
    packets    BIGINT NOT NULL,
    bytes      BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    stored     BIGINT NOT NULL,
    data       BLOB NOT NULL,
    PRIMARY KEY (site, finding_id)
);

-- +goose Down
DROP TABLE finding_evidence;
