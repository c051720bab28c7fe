-- Embeddings cached per article (so re-runs never embed twice), and the resumable state of
-- stateful stages (deduplication, online clustering), bounded in size by their settings.

CREATE TABLE embeddings (
    article_id  TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BLOB NOT NULL,   -- headline and lead
    headline    BLOB NOT NULL    -- headline alone
) WITHOUT ROWID;

CREATE TABLE stage_state (
    stage  TEXT PRIMARY KEY,
    data   BLOB NOT NULL
) WITHOUT ROWID;

-- For an undated article: the earliest it can have been written, from its own past references.
ALTER TABLE articles ADD COLUMN not_before TEXT;
