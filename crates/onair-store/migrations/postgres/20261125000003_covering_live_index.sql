-- `streams_live` also carries `deleted_at`, so that counting listed LIVE streams never visits the
-- table even when the planner picks this index (as it does before the first ANALYZE).
DROP INDEX streams_live;
CREATE INDEX streams_live ON streams (started_at, deleted_at) WHERE status = 'LIVE';
