-- Stage runs by stage and version: which versions of a stage processed the stored articles (an embedding stage
-- of another version means vectors to make again) is read before every pipeline run, one index seek per
-- version instead of a scan of every article's runs.

CREATE INDEX stage_runs_stage_version ON stage_runs (stage, version);
