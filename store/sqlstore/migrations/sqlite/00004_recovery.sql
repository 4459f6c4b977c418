-- +goose Up
-- The recovery registers: integrity baselines (signed manifests, every
-- version kept), their verifications, backups and spares. Times are
-- microseconds since 1970 UTC; NULL where a time may be unknown.
CREATE TABLE baselines (
    id       TEXT PRIMARY KEY,
    seq      BIGINT NOT NULL,
    site     TEXT NOT NULL,
    asset    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    source   TEXT NOT NULL,
    key_id   TEXT NOT NULL,
    manifest TEXT NOT NULL,
    path     TEXT NOT NULL DEFAULT '',
    created  BIGINT NOT NULL,
    by_user  TEXT NOT NULL
);
CREATE UNIQUE INDEX baselines_asset ON baselines (asset, seq);

CREATE TABLE verifications (
    id       TEXT PRIMARY KEY,
    site     TEXT NOT NULL,
    asset    TEXT NOT NULL,
    baseline TEXT NOT NULL,
    status   TEXT NOT NULL,
    result   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    by_user  TEXT NOT NULL
);
CREATE INDEX verifications_asset ON verifications (asset, at);
CREATE INDEX verifications_at ON verifications (at);

CREATE TABLE backups (
    id             TEXT PRIMARY KEY,
    crane          TEXT NOT NULL,
    asset          TEXT NOT NULL,
    item           TEXT NOT NULL,
    system         TEXT NOT NULL,
    location       TEXT NOT NULL,
    offline        BOOLEAN NOT NULL,
    sha256         TEXT NOT NULL,
    size           BIGINT NOT NULL,
    taken_at       BIGINT NOT NULL,
    restore_tested BIGINT,
    restore_result TEXT NOT NULL,
    restore_by     TEXT NOT NULL,
    verified       BIGINT,
    verify_result  TEXT NOT NULL,
    note           TEXT NOT NULL,
    updated        BIGINT NOT NULL,
    by_user        TEXT NOT NULL
);
CREATE INDEX backups_crane ON backups (crane, asset, item, id);

CREATE TABLE spares (
    id                  TEXT PRIMARY KEY,
    crane               TEXT NOT NULL,
    component           TEXT NOT NULL,
    model               TEXT NOT NULL,
    on_hand             INTEGER NOT NULL,
    required            INTEGER NOT NULL,
    location            TEXT NOT NULL,
    firmware_compatible TEXT NOT NULL,
    rebuild_tested      BIGINT,
    note                TEXT NOT NULL,
    updated             BIGINT NOT NULL,
    by_user             TEXT NOT NULL
);
CREATE INDEX spares_crane ON spares (crane, component, id);

-- +goose Down
DROP TABLE spares;
DROP TABLE backups;
DROP TABLE verifications;
DROP TABLE baselines;
