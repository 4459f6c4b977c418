-- +goose Up
-- The zones of a finding's two sides, for the console's zone and crane
-- filters and its per-crane counts.
ALTER TABLE findings ADD COLUMN src_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN dst_zone TEXT NOT NULL DEFAULT '';
UPDATE findings SET src_zone = COALESCE(json_extract(data, '$.src.zone'), ''),
                    dst_zone = COALESCE(json_extract(data, '$.dst.zone'), '');
CREATE INDEX findings_src_zone ON findings (src_zone, severity DESC, site, id, suppression);
CREATE INDEX findings_dst_zone ON findings (dst_zone, severity DESC, site, id, suppression);

-- +goose Down
DROP INDEX findings_dst_zone;
DROP INDEX findings_src_zone;
ALTER TABLE findings DROP COLUMN dst_zone;
ALTER TABLE findings DROP COLUMN src_zone;
