"""Backfill: an archive through the engine's own stages into the same store that ``ingest`` writes, with the heavy
work spread over a Ray cluster.

Reading, the stateless article stages (language, sentences, date bounds, embedding) and the NLP parse run as Ray Data
``map_batches`` over callable classes: each actor loads its models once. What carries state across the whole stream
stays on the driver, in the order one machine runs it: deduplication, and the linking of parsed names to store-wide
entities. The online clusterer finds events in time partitions, one Ray task each, every partition first replaying
the days before it (the events still active when it starts); the merge renames each partition's events after the
earlier events that hold most of their replayed articles. Storylines link events further apart than any replay, so
they are not taken from the partitions: the cluster stage then runs once more here, over the whole stream in the
order one machine runs it, each article given its merged event (no join decided again), and links the storylines as
one machine links them given those events. That pass is a pipeline run: the driver alone writes the store, through
the calls the pipeline makes, and a normal pipeline run at the end does whatever is left (the event analysis, and
any article still pending), so the store ends as ``ingest`` leaves it.

Ray is imported only here, and only when a backfill runs: ``pip install 'storyline[ray]'``.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from ..cluster import ClusterStage, DocumentFrequencies, OnlineClusterer, timestamp_days
from ..config import BackfillSettings, ClusterSettings, EntitySettings, IngestSettings, NlpSettings, Settings
from ..embed import EmbeddingStage, load_embedder
from ..errors import ConfigError, Errors, InputError
from ..ingest import STDIN, Notice, input_files, read_file
from ..model import Article
from ..nlp.analysis import AnalysisStage, Annotations, annotate
from ..nlp.dates import DateBoundStage
from ..nlp.language import LanguageStage
from ..nlp.sentences import SentenceStage
from ..nlp.terms import HASH_SIZE, term_bags
from ..store import Store
from .runner import Pipeline, PipelineRun, Progress
from .stages import EventStage, Stage, default_stages, preparation_stages

# The stages whose work is per article and stateless, run on Ray actors in this order (those not skipped).
RAY_STAGES = (LanguageStage.name, SentenceStage.name, DateBoundStage.name, EmbeddingStage.name)
# The term bags whose document frequencies the clusterer keeps.
TERM_PARTS = ("body", "title", "names")
# Articles added to the store per transaction while reading, as ``ingest`` does.
_ADD_BATCH = 256

# Told of each input that failed, and of each notice, as it happens.
Reporter = Callable[[InputError | Notice], None]


@dataclass
class BackfillResult:
    """What a backfill read, stored and could not read; its partitions; the seconds of each of its phases."""

    read: int = 0
    added: int = 0
    failures: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    partitions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    run: PipelineRun = field(default_factory=PipelineRun)
    reembedded: bool = False


# -- Ray, imported on demand ------------------------------------------------------------------------------------------


def import_ray() -> Any:
    """The ``ray`` module with Ray Data, or the coded error that says how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ConfigError(Errors.E026.format(reason=exc)) from exc
    return ray


def connect(ray: Any, address: str | None) -> None:
    """Join the Ray cluster at ``address`` (``ray start --head`` there), or start one on this machine."""
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(Errors.E027.format(address=address, reason=exc)) from exc


def _quiet_data(ray: Any) -> None:
    """Results in the order they went in (the driver writes them as one machine would), and no progress bars."""
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _pack(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _column(values: Sequence[bytes]) -> np.ndarray[Any, np.dtype[np.object_]]:
    """One column of a Ray Data batch: pickled values, so that the model's dataclasses cross as they are."""
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _mapped(ray: Any, items: Sequence[object], transform: Any, size: int, **options: Any) -> Iterator[list[Any]]:
    """``items`` through ``transform`` (a function, or a class: a pool of actors, each built once) on Ray Data,
    ``size`` at a time, in order; one list per batch that comes back."""
    if not items:
        return
    dataset = ray.data.from_items([{"item": _pack(item)} for item in items])
    if isinstance(transform, type):
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        options["compute"] = ray.data.ActorPoolStrategy(min_size=1, max_size=cpus)
    dataset = dataset.map_batches(transform, batch_size=size, batch_format="numpy", **options)
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        yield [pickle.loads(value) for value in batch["item"]]


# -- what runs on the cluster -----------------------------------------------------------------------------------------


def read_files(batch: dict[str, Any], settings: IngestSettings) -> dict[str, Any]:
    """Ray task: the articles of each file named in ``batch`` and its warnings, with its errors as (path, message)."""
    found: list[bytes] = []
    for packed in batch["item"]:
        for item in read_file(pickle.loads(packed), settings):
            # An InputError does not pickle back (its constructor takes two arguments): its parts do.
            found.append(_pack((item.path, item.message) if isinstance(item, InputError) else item))
    return {"item": _column(found)}


class Preparing:
    """Ray actor: the stateless article stages (``names``), their models loaded once, over batches of articles."""

    def __init__(self, settings: Settings, names: tuple[str, ...]) -> None:
        by_name = {stage.name: stage for stage in preparation_stages(settings)}
        self.stages = [by_name[name] for name in names]

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        articles = [pickle.loads(packed) for packed in batch["item"]]
        for stage in self.stages:
            articles = stage(articles)
        return {"item": _column([_pack(article) for article in articles])}


class Parsing:
    """Ray actor: the NLP parse of each (text, publication date), spaCy loaded once (:func:`annotate`)."""

    def __init__(self, nlp: NlpSettings, entities: EntitySettings) -> None:
        # Actors fill the cores between them, as the single machine's parsing workers do.
        threadpool_limits(limits=1)
        self.nlp, self.entities = nlp, entities

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [pickle.loads(packed) for packed in batch["item"]]
        return {"item": _column([_pack(found) for found in annotate(texts, self.nlp, self.entities)])}


@dataclass(frozen=True, slots=True)
class ClusterArguments:
    """What a partition's cluster stage is built from (the embedding model itself is not needed)."""

    settings: ClusterSettings
    embedding: str
    dimensions: int
    languages: tuple[str, ...] | None


@dataclass
class TermCounts:
    """How many articles of a run hold each hashed term, per bag the clusterer weighs (body, title, names), sparse;
    and how many articles: added up in stream order, the document frequencies the clusterer has at a point."""

    keys: dict[str, npt.NDArray[np.int64]]
    counts: dict[str, npt.NDArray[np.int64]]
    documents: int

    @classmethod
    def of(cls, articles: Sequence[Article]) -> TermCounts:
        dense = {part: np.zeros(HASH_SIZE, np.int64) for part in TERM_PARTS}
        for article in articles:
            bags = term_bags(article.title, article.text, article.lang)
            for part in TERM_PARTS:
                dense[part][getattr(bags, part).keys] += 1
        return cls.sparse(dense, len(articles))

    @classmethod
    def sparse(cls, dense: dict[str, npt.NDArray[np.int64]], documents: int) -> TermCounts:
        keys = {part: np.flatnonzero(counts) for part, counts in dense.items()}
        return cls(keys, {part: dense[part][keys[part]] for part in dense}, documents)

    def add_to(self, dense: dict[str, npt.NDArray[np.int64]]) -> None:
        for part in TERM_PARTS:
            dense[part][self.keys[part]] += self.counts[part]


def count_terms(articles: list[Article]) -> TermCounts:
    """Ray task: the term counts of a partition's own articles."""
    return TermCounts.of(articles)


def _frequencies(clusterer: OnlineClusterer) -> dict[str, DocumentFrequencies]:
    return {"body": clusterer.df_body, "title": clusterer.df_title, "names": clusterer.df_names}


def _seed(clusterer: OnlineClusterer, before: TermCounts, replay: Sequence[Article], tick: int) -> None:
    """Give a fresh clusterer the document frequencies and the article count that one clusterer running the whole
    stream has where ``replay`` begins: those of every article before the partition (``before``) less the replay's,
    which the replay adds back."""
    replayed = TermCounts.of(replay)
    for part, frequencies in _frequencies(clusterer).items():
        # In place: the storyline linker holds the same name frequencies.
        frequencies.assign(before.keys[part], before.counts[part])
        frequencies.counts[replayed.keys[part]] -= replayed.counts[part].astype(frequencies.counts.dtype)
        frequencies.recount()
        frequencies.documents = before.documents - replayed.documents
    clusterer.clock.tick = tick


@dataclass
class ClusteredPartition:
    """A partition clustered on its own: the event of each replayed article and of each of its own articles (by
    article id, in stream order, in the partition's ids)."""

    replayed: dict[str, str]
    placed: dict[str, str]


def cluster_partition(
    arguments: ClusterArguments, start: bytes | TermCounts, replay: list[Article], own: list[Article], tick: int
) -> ClusteredPartition:
    """Ray task: the events of ``replay`` then ``own`` (in stream order), by the online clusterer from a saved state
    (the first partition, from the store), else from nothing but the term counts of every article before
    (``start``) and the number of articles before the replay (``tick``): what a single clusterer would know of them
    besides events. Only the events come back: the driver links the storylines."""
    stage = ClusterStage(arguments.settings, arguments.embedding, arguments.dimensions, arguments.languages)
    if isinstance(start, TermCounts):
        _seed(stage.clusterer, start, replay, tick)
    else:
        stage.restore(start or None)
    replayed = {article.id: stage.clusterer.assign(article)[0] for article in replay}
    return ClusteredPartition(replayed, {article.id: stage.clusterer.assign(article)[0] for article in own})


# -- partitions and their merge (plain Python: tested without Ray) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Partition:
    """Positions in the articles to cluster (in the order one machine clusters them): the partition's own
    articles are ``[start, end)``; it first replays ``[replay, start)``, the end of the partitions before it."""

    replay: int
    start: int
    end: int


def plan_partitions(published: Sequence[str | None], settings: BackfillSettings) -> list[Partition]:
    """Cut articles in clustering order (dated by date, then undated) into partitions: the dated ones every
    ``partition_days``, each replaying the ``overlap_days`` before it; the undated ones every ``partition_articles``,
    each replaying the ``overlap_articles`` before it."""
    dated = sum(1 for value in published if value is not None)
    days: list[float] = []
    for value in published[:dated]:
        # A date that does not parse sorts with the one before it, as the store orders them.
        when = timestamp_days(value)
        days.append(when if when is not None else (days[-1] if days else 0.0))
    partitions: list[Partition] = []
    start = 0
    for i in range(1, dated + 1):
        if i == dated or days[i] - days[start] >= settings.partition_days:
            replay = start
            while replay > 0 and days[replay - 1] >= days[start] - settings.overlap_days:
                replay -= 1
            partitions.append(Partition(replay, start, i))
            start = i
    for start in range(dated, len(published), settings.partition_articles):
        end = min(start + settings.partition_articles, len(published))
        partitions.append(Partition(max(0, start - settings.overlap_articles), start, end))
    return partitions


class PartitionMerge:
    """Joins partitions clustered apart, in stream order, into one event for each article.

    A partition's event that holds replayed articles continues the earlier event holding most of them (ties: the
    earliest article's), and takes its id; every other event keeps the partition's id: made from its first article's
    id, as on one machine.
    """

    def __init__(self) -> None:
        # The event of every article merged so far.
        self.article_events: dict[str, str] = {}

    def add(self, part: ClusteredPartition) -> dict[str, str]:
        """The event of each of the partition's own articles, in the merged ids."""
        votes: dict[str, Counter[str]] = {}
        for article, event in part.replayed.items():
            if article in self.article_events:
                votes.setdefault(event, Counter())[self.article_events[article]] += 1
        events = {event: counts.most_common(1)[0][0] for event, counts in votes.items()}
        placed = {article: events.get(event, event) for article, event in part.placed.items()}
        self.article_events.update(placed)
        return placed


# -- the driver -------------------------------------------------------------------------------------------------------


def backfill(
    store: Store,
    paths: Sequence[str],
    settings: Settings,
    address: str | None = None,
    report: Reporter | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    """Read ``paths`` and process everything pending, the heavy parts on Ray (at ``address``, else a Ray started
    here, or the one this process already joined); the store ends as ``ingest`` would leave it."""
    ray = import_ray()
    joined_here = not ray.is_initialized()
    if joined_here:
        connect(ray, address)
    try:
        _quiet_data(ray)
        return _backfill(ray, store, paths, settings, report, progress)
    finally:
        if joined_here:
            ray.shutdown()


def _backfill(
    ray: Any,
    store: Store,
    paths: Sequence[str],
    settings: Settings,
    report: Reporter | None,
    progress: Progress | None,
) -> BackfillResult:
    result = BackfillResult()
    stages = default_stages(settings)
    pipeline = Pipeline.configured(stages, settings.pipeline)
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        result.seconds[phase] = time.perf_counter() - clock
        clock = time.perf_counter()

    _read(ray, store, paths, settings, result, report)
    lap("read")
    # One turn for all of it, as ``ingest`` takes: another process's run must not interleave.
    with store.serialized():
        if pipeline.stale_embeddings(store):
            result.reembedded = True
            pipeline.reembed(store)
        article_stages = [s for s in stages if not isinstance(s, EventStage)]
        _prepare(ray, store, settings, [s for s in article_stages if s.name in RAY_STAGES])
        lap("prepare")
        # Deduplication (stateful) on the driver, with whatever the Ray pass left pending before clustering.
        cluster = next((s for s in article_stages if isinstance(s, ClusterStage)), None)
        before = article_stages[: article_stages.index(cluster)] if cluster else article_stages
        Pipeline.configured(before, settings.pipeline).run(store)
        lap("dedupe")
        if cluster is not None:
            result.partitions, events = _cluster(ray, store, cluster, settings)
            lap("cluster")
            # One machine's pass over the merged stream, the events given: the storylines one machine links. (The
            # stages before it, which it needs in the pipeline, have nothing pending.)
            with cluster.given_events(events):
                Pipeline.configured([*before, cluster], settings.pipeline).run(store)
            lap("storylines")
        analysis = next((s for s in article_stages if isinstance(s, AnalysisStage)), None)
        if analysis is not None:
            _analyse(ray, store, analysis, settings)
        lap("analysis")
        result.run = pipeline.run(store, progress)
        lap("rest")
    return result


def _read(
    ray: Any,
    store: Store,
    paths: Sequence[str],
    settings: Settings,
    result: BackfillResult,
    report: Reporter | None,
) -> None:
    """Every file read by a Ray task, its articles added to the store in reading order (standard input is read
    here, after the files)."""
    files: list[str] = []
    for item in input_files(paths):
        if isinstance(item, str):
            files.append(item)
        else:
            _note(item, result, report)
    read_here = [STDIN] if STDIN in files else []
    files = [f for f in files if f != STDIN]
    batch: list[Article] = []

    def take(item: Article | InputError | Notice) -> None:
        nonlocal batch
        if not isinstance(item, Article):
            _note(item, result, report)
            return
        result.read += 1
        batch.append(item)
        if len(batch) >= _ADD_BATCH:
            result.added += len(store.add_articles(batch))
            batch = []

    for found in _mapped(ray, files, read_files, 1, fn_kwargs={"settings": settings.ingest}):
        for item in found:
            take(item if isinstance(item, Article | Notice) else InputError(*item))
    for path in read_here:
        for article in read_file(path, settings.ingest):
            take(article)
    result.added += len(store.add_articles(batch))


def _note(item: InputError | Notice, result: BackfillResult, report: Reporter | None) -> None:
    if isinstance(item, Notice):
        result.notices.append(item)
    else:
        result.failures.append(item)
    if report:
        report(item)


def _prepare(ray: Any, store: Store, settings: Settings, stages: list[Stage]) -> None:
    """The stateless stages on Ray actors over the articles the first of them has not seen, a chunk at a time;
    each stage's results saved as the pipeline saves them. What else is pending, the pipeline does later."""
    if not stages:
        return
    first = stages[0]
    names = tuple(stage.name for stage in stages)
    size = settings.backfill.batch_size
    while chunk := store.pending(first.name, first.version, settings.backfill.chunk_articles, with_sentences=False):
        for done in _mapped(ray, chunk, Preparing, size, fn_constructor_args=(settings, names)):
            for stage in stages:
                store.save_stage(stage.name, stage.version, done, stage.writes)


def _cluster(ray: Any, store: Store, stage: ClusterStage, settings: Settings) -> tuple[int, dict[str, str]]:
    """The events of the articles the cluster stage has not seen, found in partitions on Ray and merged (article id
    -> event id); how many partitions there were. Nothing is written: the cluster stage's own pass writes them."""
    count = store.count_pending(stage.name, stage.version)
    articles = store.pending(stage.name, stage.version, count, with_sentences=True, with_embeddings=True)
    if not articles:
        return 0, {}
    plan = plan_partitions([a.published for a in articles], settings.backfill)
    embedder = load_embedder(settings.embed)
    arguments = ray.put(ClusterArguments(stage.settings, embedder.name, stage.dimensions, stage.languages))
    state = Pipeline.whole_state(stage, store.load_state(stage.name))
    stage.restore(state)
    # What one clusterer would know where each partition begins, but for events: the document frequencies of every
    # article before it, added up from the counts of each partition's own articles (counted in parallel).
    counted = [ray.remote(count_terms).remote(articles[p.start : p.end]) for p in plan[:-1]]
    before = {part: frequencies.counts.astype(np.int64) for part, frequencies in _frequencies(stage.clusterer).items()}
    documents, ticks = stage.clusterer.df_body.documents, stage.clusterer.clock.tick
    task = ray.remote(cluster_partition)
    running = []
    for i, p in enumerate(plan):
        # The first partition goes on from the stored state; the others start afresh and replay.
        start: bytes | TermCounts = (state or b"") if i == 0 else TermCounts.sparse(before, documents)
        running.append(task.remote(arguments, start, articles[p.replay : p.start], articles[p.start : p.end],
                                   ticks + p.replay))  # fmt: skip
        if i < len(counted):
            own: TermCounts = ray.get(counted[i])
            own.add_to(before)
            documents += own.documents
    del articles
    merge = PartitionMerge()
    for future in running:
        merge.add(ray.get(future))
    return len(plan), merge.article_events


def _analyse(ray: Any, store: Store, stage: AnalysisStage, settings: Settings) -> None:
    """The NLP parse on Ray actors; the parses linked to store-wide entities here, in the pipeline's order, and
    saved as the pipeline saves them."""
    stage.restore(Pipeline.whole_state(stage, store.load_state(stage.name)))
    size = settings.backfill.batch_size
    arguments = (settings.nlp, settings.entities)
    while chunk := store.pending(stage.name, stage.version, settings.backfill.chunk_articles, with_sentences=False):
        texts = [(article.text, article.published) for article in chunk]
        done = 0
        for found in _mapped(ray, texts, Parsing, size, fn_constructor_args=arguments):
            annotations: list[Annotations] = found
            articles = stage.link(chunk[done : done + len(annotations)], annotations)
            done += len(annotations)
            store.save_stage(stage.name, stage.version, articles, stage.writes)
            store.save_entities(stage.changed_entities())
            store.save_state(stage.name, stage.snapshot())
