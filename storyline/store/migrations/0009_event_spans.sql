-- Each event's first and last publication time and article count, kept in step with articles by triggers, so
-- that a page of events (latest first) reads an index, not every article. ``last_key`` is ``last_seen`` or ''
-- when undated: what lists sort on, undated last.

CREATE INDEX articles_event_published ON articles (event_id, published);
CREATE INDEX events_storyline ON events (storyline_id);

CREATE TABLE event_spans (
    event_id    TEXT PRIMARY KEY,
    first_seen  TEXT,
    last_seen   TEXT,
    last_key    TEXT NOT NULL,
    articles    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX event_spans_latest ON event_spans (last_key DESC, event_id);

INSERT INTO event_spans (event_id, first_seen, last_seen, last_key, articles)
    SELECT event_id, MIN(published), MAX(published), COALESCE(MAX(published), ''), COUNT(*)
    FROM articles WHERE event_id IS NOT NULL GROUP BY event_id;

CREATE TRIGGER event_spans_insert AFTER INSERT ON articles WHEN new.event_id IS NOT NULL BEGIN
    INSERT OR REPLACE INTO event_spans (event_id, first_seen, last_seen, last_key, articles)
        SELECT event_id, MIN(published), MAX(published), COALESCE(MAX(published), ''), COUNT(*)
        FROM articles WHERE event_id = new.event_id GROUP BY event_id;
END;
CREATE TRIGGER event_spans_update AFTER UPDATE OF event_id, published ON articles BEGIN
    DELETE FROM event_spans WHERE event_id IN (old.event_id, new.event_id);
    INSERT INTO event_spans (event_id, first_seen, last_seen, last_key, articles)
        SELECT event_id, MIN(published), MAX(published), COALESCE(MAX(published), ''), COUNT(*)
        FROM articles WHERE event_id IN (old.event_id, new.event_id) GROUP BY event_id;
END;
CREATE TRIGGER event_spans_delete AFTER DELETE ON articles WHEN old.event_id IS NOT NULL BEGIN
    DELETE FROM event_spans WHERE event_id = old.event_id;
    INSERT INTO event_spans (event_id, first_seen, last_seen, last_key, articles)
        SELECT event_id, MIN(published), MAX(published), COALESCE(MAX(published), ''), COUNT(*)
        FROM articles WHERE event_id = old.event_id GROUP BY event_id;
END;
