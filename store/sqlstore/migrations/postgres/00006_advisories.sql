-- +goose Up
-- Security advisories (CSAF 2.0 documents) imported for matching: one
-- revision per tracking id, the newest imported. current_release and
-- imported are microseconds since 1970 UTC.
CREATE TABLE advisories (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    publisher       TEXT NOT NULL,
    version         TEXT NOT NULL,
    current_release BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    file            TEXT NOT NULL,
    doc             TEXT NOT NULL,
    imported        BIGINT NOT NULL,
    by_user         TEXT NOT NULL
);

-- +goose Down
DROP TABLE advisories;
