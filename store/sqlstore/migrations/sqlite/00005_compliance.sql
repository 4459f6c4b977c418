-- +goose Up
-- Compliance: attestations of controls, the access register and incidents.
-- Lists (sources, findings) and report fields are JSON text.
CREATE TABLE attestations (
    id         TEXT PRIMARY KEY,
    site       TEXT NOT NULL,
    control    TEXT NOT NULL,
    by_person  TEXT NOT NULL,
    statement  TEXT NOT NULL,
    document   TEXT NOT NULL,
    doc_sha256 TEXT NOT NULL,
    at         BIGINT NOT NULL,
    expires    BIGINT NOT NULL,
    author     TEXT NOT NULL,
    created    BIGINT NOT NULL,
    withdrawn  BIGINT NOT NULL
);
CREATE INDEX attestations_site ON attestations (site, control);

CREATE TABLE access_entries (
    id            TEXT PRIMARY KEY,
    site          TEXT NOT NULL,
    crane         TEXT NOT NULL,
    system        TEXT NOT NULL,
    holder        TEXT NOT NULL,
    path          TEXT NOT NULL,
    sources       TEXT NOT NULL,
    mfa           BOOLEAN NOT NULL,
    clause        TEXT NOT NULL,
    clause_sha256 TEXT NOT NULL,
    attester      TEXT NOT NULL,
    expires       BIGINT NOT NULL,
    author        TEXT NOT NULL,
    updated       BIGINT NOT NULL
);
CREATE INDEX access_entries_site ON access_entries (site, crane, system);

CREATE TABLE incidents (
    id       TEXT PRIMARY KEY,
    site     TEXT NOT NULL,
    title    TEXT NOT NULL,
    status   TEXT NOT NULL,
    findings TEXT NOT NULL,
    notes    TEXT NOT NULL,
    fields   TEXT NOT NULL,
    detected BIGINT NOT NULL,
    author   TEXT NOT NULL,
    created  BIGINT NOT NULL,
    updated  BIGINT NOT NULL
);
CREATE INDEX incidents_site ON incidents (site, created);

-- +goose Down
DROP TABLE incidents;
DROP TABLE access_entries;
DROP TABLE attestations;
