-- What lists of events show and filter on, kept beside each stored analysis so that a page of events reads
-- a few short rows, not every analysis (a row of event_analyses is mostly its JSON): its title, first summary
-- line, the most independent outlets behind any one of its facts, its outlets and its entities. Written with
-- the analysis (save_event_analyses).

CREATE TABLE event_heads (
    event_id       TEXT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    lead           TEXT NOT NULL,
    corroboration  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE event_outlets (
    event_id  TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    outlet    TEXT NOT NULL,
    PRIMARY KEY (event_id, outlet)
) WITHOUT ROWID;
CREATE INDEX event_outlets_outlet ON event_outlets (outlet);

CREATE TABLE event_entities (
    event_id   TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    entity_id  TEXT NOT NULL,
    mentions   INTEGER NOT NULL,
    PRIMARY KEY (event_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX event_entities_entity ON event_entities (entity_id);

-- Analyses stored before this migration: the same columns from their JSON.
INSERT INTO event_heads (event_id, title, lead, corroboration)
    SELECT event_id, COALESCE(json_extract(analysis, '$.title'), ''),
           COALESCE(json_extract(analysis, '$.summary[0].text'), ''),
           COALESCE((SELECT MAX(json_extract(f.value, '$.independent_outlets')) FROM json_each(analysis, '$.facts') f), 0)
    FROM event_analyses;
INSERT OR IGNORE INTO event_outlets (event_id, outlet)
    SELECT event_id, json_extract(o.value, '$.outlet') FROM event_analyses, json_each(analysis, '$.coverage.outlets') o;
INSERT OR IGNORE INTO event_entities (event_id, entity_id, mentions)
    SELECT event_id, json_extract(e.value, '$.id'), json_extract(e.value, '$.mentions')
    FROM event_analyses, json_each(analysis, '$.entities') e;
