-- The first schema of harborwatch serve's store (PostgreSQL). Times are
-- microseconds since 1970 UTC; 0 stands for "not set" where a column is
-- NOT NULL.

-- +goose Up
CREATE TABLE sites (
    id      TEXT PRIMARY KEY,
    yaml    TEXT NOT NULL,
    model   TEXT NOT NULL,
    updated BIGINT NOT NULL,
    by_user TEXT NOT NULL
);

CREATE TABLE captures (
    id       TEXT PRIMARY KEY,
    site     TEXT NOT NULL,
    name     TEXT NOT NULL,
    path     TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    size     BIGINT NOT NULL,
    status   TEXT NOT NULL,
    stats    TEXT NOT NULL DEFAULT '',
    error    TEXT NOT NULL DEFAULT '',
    by_user  TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created  BIGINT NOT NULL,
    started  BIGINT,
    finished BIGINT
);
CREATE INDEX captures_site ON captures (site, created);
CREATE INDEX captures_sha ON captures (site, sha256, created);
CREATE INDEX captures_status ON captures (status, created);

CREATE TABLE suppressions (
    id      TEXT PRIMARY KEY,
    site    TEXT NOT NULL,
    rule    TEXT NOT NULL,
    src     TEXT NOT NULL,
    dst     TEXT NOT NULL,
    zone    TEXT NOT NULL,
    asset   TEXT NOT NULL,
    reason  TEXT NOT NULL,
    author  TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

CREATE TABLE findings (
    site        TEXT NOT NULL,
    id          TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    count       BIGINT NOT NULL,
    occurrences BIGINT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    suppression TEXT,
    search      TEXT NOT NULL,
    updated     BIGINT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (site, id)
);
-- The indexes that order findings end with suppression so that the
-- effective state is judged from the index.
CREATE INDEX findings_order ON findings (severity DESC, site, id, suppression);
CREATE INDEX findings_site ON findings (site, severity DESC, id, suppression);
CREATE INDEX findings_site_state ON findings (site, state, severity DESC, id, suppression);
CREATE INDEX findings_state ON findings (state, severity DESC, site, id, suppression);
CREATE INDEX findings_rule ON findings (rule, severity DESC, site, id, suppression);
CREATE INDEX findings_id ON findings (id);
CREATE INDEX findings_suppression ON findings (suppression);

CREATE TABLE finding_changes (
    n          BIGSERIAL PRIMARY KEY,
    site       TEXT NOT NULL,
    id         TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    capture    TEXT NOT NULL,
    FOREIGN KEY (site, id) REFERENCES findings (site, id) ON DELETE CASCADE
);
CREATE INDEX finding_changes_finding ON finding_changes (site, id, n);

CREATE TABLE assets (
    site       TEXT NOT NULL,
    id         TEXT NOT NULL,
    data       TEXT NOT NULL,
    fields     TEXT NOT NULL,
    first_seen BIGINT,
    last_seen  BIGINT,
    updated    BIGINT NOT NULL,
    changes    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, id)
);

CREATE TABLE asset_changes (
    n          BIGSERIAL PRIMARY KEY,
    site       TEXT NOT NULL,
    id         TEXT NOT NULL,
    at         BIGINT NOT NULL,
    capture    TEXT NOT NULL,
    field      TEXT NOT NULL,
    from_value TEXT NOT NULL,
    to_value   TEXT NOT NULL,
    FOREIGN KEY (site, id) REFERENCES assets (site, id) ON DELETE CASCADE
);
CREATE INDEX asset_changes_asset ON asset_changes (site, id, n);

CREATE TABLE events (
    n          BIGSERIAL PRIMARY KEY,
    site       TEXT NOT NULL,
    capture_id TEXT NOT NULL,
    ts         BIGINT NOT NULL,
    proto      TEXT NOT NULL,
    op         TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX events_ts ON events (ts, n);
CREATE INDEX events_site ON events (site, ts, n);
CREATE INDEX events_capture ON events (capture_id);

CREATE TABLE users (
    name     TEXT PRIMARY KEY,
    role     TEXT NOT NULL,
    password TEXT NOT NULL,
    created  BIGINT NOT NULL
);

CREATE TABLE tokens (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL,
    hash    BYTEA NOT NULL UNIQUE,
    created BIGINT NOT NULL,
    expires BIGINT,
    revoked BIGINT,
    by_user TEXT NOT NULL
);

CREATE TABLE audit (
    seq    BIGINT PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    remote TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev   TEXT NOT NULL,
    hash   TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit;
DROP TABLE tokens;
DROP TABLE users;
DROP TABLE events;
DROP TABLE asset_changes;
DROP TABLE assets;
DROP TABLE finding_changes;
DROP TABLE findings;
DROP TABLE suppressions;
DROP TABLE captures;
DROP TABLE sites;
