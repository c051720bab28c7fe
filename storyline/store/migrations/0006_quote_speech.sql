-- Whether a quote reports words (1) or a cue verb's noun phrase object, an act or a stance (0: "expressed
-- support for X"). Quotes stored before this were all taken for speech; the analysis stage (version 3)
-- finds them again, marked.
ALTER TABLE quotes ADD COLUMN speech INTEGER NOT NULL DEFAULT 1;
