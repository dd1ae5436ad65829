-- A creator's streams of one status (the studio's tabs), each in its listing order, so the
-- page is read from an index instead of sorting the creator's rows.
CREATE INDEX streams_creator_live
    ON streams (creator_id, participant_count DESC, started_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'LIVE';
CREATE INDEX streams_creator_scheduled
    ON streams (creator_id, scheduled_for ASC NULLS LAST, created_at, id)
    WHERE deleted_at IS NULL AND status = 'SCHEDULED';
CREATE INDEX streams_creator_ended
    ON streams (creator_id, ended_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'ENDED';
