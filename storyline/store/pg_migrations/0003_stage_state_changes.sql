-- What a stateful stage changed in each batch since its whole state was last saved (SQLite migration 0011).

CREATE TABLE stage_state_changes (
    stage  TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    data   BYTEA NOT NULL,
    PRIMARY KEY (stage, seq)
);
