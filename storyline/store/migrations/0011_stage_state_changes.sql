-- What a stateful stage (the deduplicator, the clusterer) changed in each batch since its whole state (stage_state)
-- was last saved, in order (seq from 1): saved instead of the whole state after most batches, dropped when the
-- whole state is saved again. A run resumes from the whole state with these applied.

CREATE TABLE stage_state_changes (
    stage  TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (stage, seq)
);
