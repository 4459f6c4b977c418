-- What sensors publish over the bus (harborwatch serve --nats).

-- +goose Up
-- The id of every sensor message stored: a message delivered again is
-- recognised and skipped.
CREATE TABLE fleet_messages (
    id       TEXT PRIMARY KEY,
    site     TEXT NOT NULL,
    received BIGINT NOT NULL
);
CREATE INDEX fleet_messages_received ON fleet_messages (received);

-- What each sensor run contributed to a stored finding so far: the
-- sequence number of its latest update and its count then.
CREATE TABLE fleet_findings (
    site  TEXT NOT NULL,
    id    TEXT NOT NULL,
    run   TEXT NOT NULL,
    seq   BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (site, id, run)
);

-- Each sensor's latest heartbeat.
CREATE TABLE fleet_sensors (
    site      TEXT NOT NULL,
    sensor    TEXT NOT NULL,
    run       TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    started   BIGINT NOT NULL,
    sent      BIGINT NOT NULL,
    received  BIGINT NOT NULL,
    heartbeat TEXT NOT NULL,
    PRIMARY KEY (site, sensor)
);

-- +goose Down
DROP TABLE fleet_sensors;
DROP TABLE fleet_findings;
DROP TABLE fleet_messages;
