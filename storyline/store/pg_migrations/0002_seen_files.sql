-- The files `storyline watch` has read (or failed to read), as they were when read (SQLite migration 0010).

CREATE TABLE seen_files (
    path      TEXT COLLATE "C" PRIMARY KEY,
    size      BIGINT NOT NULL,
    mtime_ns  BIGINT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('ingested', 'failed')),
    articles  INTEGER NOT NULL,
    error     TEXT
);
