-- What the event analysis stage computed for each event (facts, conflicts, quotes, labels, summary,
-- timeline), as JSON of storyline.model.EventAnalysis. ``signature`` names the articles and the analysis
-- version it was computed from: when an event's articles change, so does the signature it should have,
-- and the event is analysed again.

CREATE TABLE event_analyses (
    event_id   TEXT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    signature  TEXT NOT NULL,
    analysis   TEXT NOT NULL
) WITHOUT ROWID;
