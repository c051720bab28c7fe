-- What the analysis stage finds in each article: entity mentions (linked to store-wide entity ids),
-- time expressions (TimeML values) and quotes. Offsets index articles.text.

CREATE TABLE mentions (
    article_id  TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    type        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    label       TEXT,
    PRIMARY KEY (article_id, start, "end")
) WITHOUT ROWID;
CREATE INDEX mentions_entity ON mentions (entity_id);

CREATE TABLE time_refs (
    article_id  TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    mod         TEXT,
    end_value   TEXT,
    tense       TEXT,
    PRIMARY KEY (article_id, start, "end")
) WITHOUT ROWID;

CREATE TABLE quotes (
    article_id  TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    direct      INTEGER NOT NULL,
    speaker     TEXT,
    entity_id   TEXT,
    content     TEXT NOT NULL,   -- JSON [[start, end, text], ...]
    cue         TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (article_id, idx)
) WITHOUT ROWID;
CREATE INDEX quotes_entity ON quotes (entity_id);
