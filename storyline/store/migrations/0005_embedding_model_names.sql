-- Embeddings record the model that made them (embed.model), not the stage's name: switching models
-- re-embeds. Every vector stored before this was made by all-MiniLM-L6-v2.
UPDATE embeddings SET model = 'minilm-l6-v2' WHERE model = 'embed';

-- Every run asks which models made the stored vectors: an index answers without reading the vectors.
CREATE INDEX embeddings_model ON embeddings (model);
