-- Articles as read, the sentences every citation points to, events and storylines,
-- and which pipeline stage has processed which article (for incremental runs).

CREATE TABLE storylines (
    id     TEXT PRIMARY KEY,
    title  TEXT NOT NULL
);

CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    storyline_id  TEXT REFERENCES storylines(id)
);

CREATE TABLE articles (
    seq               INTEGER PRIMARY KEY,  -- ingest order; also the FTS rowid
    id                TEXT NOT NULL UNIQUE,
    path              TEXT,
    external_id       TEXT,
    url               TEXT,
    outlet            TEXT,
    title             TEXT,
    author            TEXT,
    published         TEXT,
    published_source  TEXT CHECK (published_source IN ('metadata', 'text', 'feed', 'inferred')),
    lang              TEXT,
    text              TEXT NOT NULL,
    duplicate_of      TEXT REFERENCES articles(id),
    event_id          TEXT REFERENCES events(id)
);
CREATE INDEX articles_event ON articles(event_id);
CREATE INDEX articles_published ON articles(published);

CREATE TABLE sentences (
    article_id  TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    paragraph   INTEGER NOT NULL,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (article_id, idx)
) WITHOUT ROWID;

CREATE TABLE stage_runs (
    article_id  TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    stage       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (article_id, stage)
) WITHOUT ROWID;

-- Full-text search over titles and bodies, kept in step with articles by triggers.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
END;
