-- +goose Up
-- Counting a site's findings by rule, severity, state and zones (the
-- console's overview and zone drawing) reads this index only, in its
-- order: no sort, no row.
CREATE INDEX findings_counts ON findings (site, rule, severity, state, src_zone, dst_zone, suppression, last_seen);

-- +goose Down
DROP INDEX findings_counts;
