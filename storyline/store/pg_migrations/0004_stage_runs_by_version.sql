-- Stage runs by stage and version (SQLite migration 0012): the versions of a stage found by index seeks.

CREATE INDEX stage_runs_stage_version ON stage_runs (stage, version);
