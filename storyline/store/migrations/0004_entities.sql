-- Store-wide entities as the analysis stage last decided them: the name shown (no title in front) and
-- the type a vote over all their mentions gives. Mentions point here through entity_id.

CREATE TABLE entities (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    type  TEXT NOT NULL
) WITHOUT ROWID;
