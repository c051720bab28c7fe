"""Online event clustering and storyline linking, in one pass in time order.

Following Miranda et al. (2018): for an arriving article, candidate events come
from a vector index over the *active* (recent) events, and from the events filed
under its rarest names; several similarities between the article and each
candidate are combined by a learned model into a score; a second learned model
decides whether to join the best candidate or to start a new event. Each pair is
judged by the features that mean something for its languages (``TIERS``). Events
that fall out of the time window leave the index, so the cost and the memory per
article stay flat however long the stream. Storylines link events weeks or years
apart by the same principal actors and theme, and by the events an article nearly
joined.

The parts, each a module:

- ``judges``: the learned models (pair scorer, join-or-new decision) per tier, and their features;
- ``similarity``: TF-IDF over hashed term bags, with online document frequencies;
- ``state``: what is remembered of active events and storylines, the vector index, the decision record;
- ``events``: :class:`OnlineClusterer`, which places each article in an event;
- ``storylines``: :class:`StorylineLinker`, which links events into storylines and folds storylines;
- ``snapshot``: the clusterer's state as bytes and back;
- ``stage``: :class:`ClusterStage`, the pipeline stage, with the records it hands the store.
"""

from __future__ import annotations

from .events import OnlineClusterer
from .judges import (
    DECISION_FEATURES,
    LATE_TIERS,
    PAIR_FEATURES,
    TIER_FEATURES,
    TIERS,
    ClusteringModel,
    Judge,
    LinearModel,
    check_model_name,
    columns,
    load_clustering_model,
)
from .similarity import DocumentFrequencies, Weighted
from .stage import ClusterStage
from .state import ActiveEvent, ActiveStoryline, Decision, timestamp_days
from .storylines import StorylineLinker

__all__ = [
    "DECISION_FEATURES",
    "LATE_TIERS",
    "PAIR_FEATURES",
    "TIERS",
    "TIER_FEATURES",
    "ActiveEvent",
    "ActiveStoryline",
    "ClusterStage",
    "ClusteringModel",
    "Decision",
    "DocumentFrequencies",
    "Judge",
    "LinearModel",
    "OnlineClusterer",
    "StorylineLinker",
    "Weighted",
    "check_model_name",
    "columns",
    "load_clustering_model",
    "timestamp_days",
]
