-- The files `storyline watch` has read (or failed to read), as they were when read: a file is read again only
-- when its size or modification time changes, so a restart does not re-read a folder.

CREATE TABLE seen_files (
    path      TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('ingested', 'failed')),
    articles  INTEGER NOT NULL,
    error     TEXT
) WITHOUT ROWID;
