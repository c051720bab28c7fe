-- The SQLite schema as of its migration 0009 (storyline/store/migrations/), in PostgreSQL's terms. Ids, dates
-- and names that lists sort on compare byte by byte (COLLATE "C"), as SQLite compares text: both stores list
-- in the same order whatever the database's locale. Full-text search reads a generated tsvector column.

CREATE TABLE storylines (
    id     TEXT COLLATE "C" PRIMARY KEY,
    title  TEXT NOT NULL
);

CREATE TABLE events (
    id            TEXT COLLATE "C" PRIMARY KEY,
    title         TEXT NOT NULL,
    storyline_id  TEXT COLLATE "C" REFERENCES storylines(id)
);
CREATE INDEX events_storyline ON events (storyline_id);

CREATE TABLE articles (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- ingest order
    id                TEXT COLLATE "C" NOT NULL UNIQUE,
    path              TEXT,
    external_id       TEXT,
    url               TEXT,
    outlet            TEXT COLLATE "C",
    title             TEXT,
    author            TEXT,
    published         TEXT COLLATE "C",
    published_source  TEXT CHECK (published_source IN ('metadata', 'text', 'feed', 'inferred')),
    lang              TEXT,
    text              TEXT NOT NULL,
    duplicate_of      TEXT COLLATE "C" REFERENCES articles(id),
    event_id          TEXT COLLATE "C" REFERENCES events(id),
    -- For an undated article: the earliest it can have been written, from its own past references.
    not_before        TEXT COLLATE "C",
    -- Words of title and body, lower-cased, not stemmed (like SQLite's unicode61 tokenizer).
    search            TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', COALESCE(title, '') || ' ' || text)) STORED
);
CREATE INDEX articles_event_published ON articles (event_id, published);
CREATE INDEX articles_published ON articles (published);
CREATE INDEX articles_search ON articles USING GIN (search);

CREATE TABLE sentences (
    article_id  TEXT COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    paragraph   INTEGER NOT NULL,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (article_id, idx)
);

CREATE TABLE stage_runs (
    article_id  TEXT COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    stage       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (article_id, stage)
);

CREATE TABLE embeddings (
    article_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BYTEA NOT NULL,   -- headline and lead, float32
    headline    BYTEA NOT NULL    -- headline alone
);
CREATE INDEX embeddings_model ON embeddings (model);

CREATE TABLE stage_state (
    stage  TEXT PRIMARY KEY,
    data   BYTEA NOT NULL
);

CREATE TABLE mentions (
    article_id  TEXT COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    type        TEXT NOT NULL,
    entity_id   TEXT COLLATE "C" NOT NULL,
    label       TEXT,
    PRIMARY KEY (article_id, start, "end")
);
CREATE INDEX mentions_entity ON mentions (entity_id);

CREATE TABLE time_refs (
    article_id  TEXT COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    mod         TEXT,
    end_value   TEXT,
    tense       TEXT,
    PRIMARY KEY (article_id, start, "end")
);

CREATE TABLE quotes (
    article_id  TEXT COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    direct      BOOLEAN NOT NULL,
    speaker     TEXT,
    entity_id   TEXT COLLATE "C",
    content     TEXT NOT NULL,   -- JSON [[start, end, text], ...]
    cue         TEXT NOT NULL,
    source      TEXT NOT NULL,
    speech      BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (article_id, idx)
);
CREATE INDEX quotes_entity ON quotes (entity_id);

CREATE TABLE entities (
    id    TEXT COLLATE "C" PRIMARY KEY,
    name  TEXT COLLATE "C" NOT NULL,
    type  TEXT NOT NULL
);

-- Kept as text, not JSONB: the report serves the stored JSON as it was written.
CREATE TABLE event_analyses (
    event_id   TEXT COLLATE "C" PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    signature  TEXT NOT NULL,
    analysis   TEXT NOT NULL
);

CREATE TABLE event_heads (
    event_id       TEXT COLLATE "C" PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    lead           TEXT NOT NULL,
    corroboration  INTEGER NOT NULL
);

CREATE TABLE event_outlets (
    event_id  TEXT COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    outlet    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (event_id, outlet)
);
CREATE INDEX event_outlets_outlet ON event_outlets (outlet);

CREATE TABLE event_entities (
    event_id   TEXT COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    entity_id  TEXT COLLATE "C" NOT NULL,
    mentions   INTEGER NOT NULL,
    PRIMARY KEY (event_id, entity_id)
);
CREATE INDEX event_entities_entity ON event_entities (entity_id);

-- Each event's first and last publication time and article count, kept in step with articles by triggers
-- (as in SQLite): a page of events reads an index. ``last_key`` is ``last_seen`` or '' when undated.
CREATE TABLE event_spans (
    event_id    TEXT COLLATE "C" PRIMARY KEY,
    first_seen  TEXT COLLATE "C",
    last_seen   TEXT COLLATE "C",
    last_key    TEXT COLLATE "C" NOT NULL,
    articles    INTEGER NOT NULL
);
CREATE INDEX event_spans_latest ON event_spans (last_key DESC, event_id);

CREATE FUNCTION event_spans_refresh(wanted TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_spans WHERE event_id = wanted;
    INSERT INTO event_spans (event_id, first_seen, last_seen, last_key, articles)
        SELECT event_id, MIN(published), MAX(published), COALESCE(MAX(published), ''), COUNT(*)
        FROM articles WHERE event_id = wanted GROUP BY event_id;
END $$;

CREATE FUNCTION event_spans_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.event_id IS NOT NULL THEN
        PERFORM event_spans_refresh(OLD.event_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.event_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.event_id IS DISTINCT FROM OLD.event_id) THEN
        PERFORM event_spans_refresh(NEW.event_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER event_spans_insert AFTER INSERT ON articles FOR EACH ROW EXECUTE FUNCTION event_spans_follow();
CREATE TRIGGER event_spans_update AFTER UPDATE OF event_id, published ON articles
    FOR EACH ROW WHEN (OLD.event_id IS DISTINCT FROM NEW.event_id OR OLD.published IS DISTINCT FROM NEW.published)
    EXECUTE FUNCTION event_spans_follow();
CREATE TRIGGER event_spans_delete AFTER DELETE ON articles FOR EACH ROW EXECUTE FUNCTION event_spans_follow();

-- Bumped by every write transaction: readers keep whole-store answers until it moves (PostgresStore.cached).
CREATE TABLE store_changes (
    id       BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    counter  BIGINT NOT NULL
);
INSERT INTO store_changes (id, counter) VALUES (TRUE, 0);
