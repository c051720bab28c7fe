"""The `storyline` command line: ingest, report, and look around the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..cluster import check_model_name
from ..config import Settings, load_settings
from ..errors import InputError, StorylineError
from ..evaluate.clustering import evaluate_clustering
from ..evaluate.entities import evaluate_entities, format_entities
from ..evaluate.facts import evaluate_facts, format_facts, train_facts
from ..evaluate.framing import evaluate_framing, format_framing
from ..evaluate.quotes import evaluate_quotes, format_quotes
from ..evaluate.storylines import evaluate_storylines
from ..evaluate.summaries import evaluate_summaries, format_summaries
from ..evaluate.temporal import evaluate_temporal, format_temporal
from ..evaluate.timelines import evaluate_timelines, format_timelines
from ..evaluate.train import train_clustering
from ..ingest import Notice
from ..pipeline import ingest as run_ingest
from ..report import FORMATS, build_report, event_documents, render_report
from ..store import SQLiteStore, open_store
from ..store.sqlite import SNIPPET_CLOSE, SNIPPET_OPEN

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Scores = TypeVar("Scores", bound="DataclassInstance")

_TRUNCATE_TITLE = 80

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Context:
    """Options given once, at the edge, shared by every command."""

    def __init__(self, config: str | None, db: str | None) -> None:
        self.config = config
        self.db_option = db
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides = {"store": {"path": self.db_option}} if self.db_option else None
            self._settings = load_settings(self.config, overrides)
        return self._settings

    @contextmanager
    def store(self) -> Iterator[SQLiteStore]:
        with open_store(self.settings.store.path) as store:
            yield store


def _db_option(function: Any) -> Any:
    """``--db`` on every command, as on the group (``storyline ingest x --db my.db`` reads naturally)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.find_object(Context).db_option = value  # type: ignore[union-attr]

    return click.option(
        "--db",
        metavar="FILE",
        expose_value=False,
        callback=remember,
        help="SQLite database (default: storyline.db, or $STORYLINE_DB).",
    )(function)


class _Group(click.Group):
    """Turns the engine's own errors into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StorylineError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), envvar="STORYLINE_CONFIG", help="Settings file (TOML).")
@click.option("--db", metavar="FILE", envvar="STORYLINE_DB", help="SQLite database (default: storyline.db).")
@click.version_option(package_name="storyline")
@click.pass_context
def cli(ctx: click.Context, config: str | None, db: str | None) -> None:
    """storyline: from a pile of news articles to cited, cross-checked stories."""
    ctx.obj = Context(config, db)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@_db_option
@click.pass_obj
def ingest(obj: Context, paths: tuple[str, ...]) -> None:
    """Read articles from PATHS (files, folders, globs, '-' for stdin) and process them.

    Supported: .txt/.md, .html, .jsonl, RSS/Atom (.rss/.atom/.xml). Articles
    already stored are skipped; a file that cannot be read is reported and the
    rest is stored. Exit status 1 when anything failed.
    """
    settings = obj.settings

    def show(item: InputError | Notice) -> None:
        if isinstance(item, Notice):
            err.print(f"[yellow]warning[/] {escape(item.message)}")
        else:
            err.print(f"[red]error[/] {escape(item.message)}")

    with obj.store() as store, _ProgressBars(settings.pipeline.progress_min_articles) as progress:
        result = run_ingest(store, paths, settings, progress, show)
        total = store.count_articles()
    if result.reembedded:
        err.print(
            f"The store's articles had been embedded with another model than {escape(settings.embed.model)} "
            "(embed.model): they were embedded again and clustered anew."
        )
    read, added, failures = result.read, result.added, result.failures
    if read == 0 and not failures:
        err.print(f"[red]error[/] no articles found in {escape(', '.join(paths))}.")
        sys.exit(1)
    out.print(
        f"Read {read} article{'s' * (read != 1)}: {added} new, {read - added} already stored; "
        f"{len(failures)} input{'s' * (len(failures) != 1)} failed. "
        f"The store {escape(settings.store.path)} holds {total}."
    )
    if failures:
        sys.exit(1)


class _ProgressBars:
    """Progress bars on the terminal for stages with enough work to wait for."""

    def __init__(self, min_items: int) -> None:
        self.min_items = min_items
        self.bars = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _ProgressBars:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(None, None, None)

    def start(self, stage: str, total: int) -> None:
        if total >= self.min_items:
            self.tasks[stage] = self.bars.add_task(stage, total=total)

    def advance(self, stage: str, done: int) -> None:
        if stage in self.tasks:
            self.bars.advance(self.tasks[stage], done)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--event", "event_id", metavar="ID", help="Only this event (its articles and storyline).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE, not stdout.")
@_db_option
@click.pass_obj
def report(obj: Context, fmt: str, event_id: str | None, output: str | None) -> None:
    """The story report: JSON (the contract), Markdown or self-contained HTML."""
    with obj.store() as store:
        document = build_report(store, event_id)
    rendered = render_report(document, fmt)
    if output:
        Path(output).write_text(rendered, encoding="utf-8")
        err.print(f"Wrote {escape(output)} ({len(document['events'])} events).")
    else:
        click.echo(rendered, nl=False)


def _truncate(text: str | None, width: int = _TRUNCATE_TITLE) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _emit_json(rows: list[dict[str, Any]]) -> None:
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def events(obj: Context, as_json: bool) -> None:
    """Events, in the order they were first reported."""
    with obj.store() as store:
        found = store.events()
        outlets = {a.id: a.outlet for a in store.articles(with_sentences=False)}
    rows: list[dict[str, Any]] = [
        {
            "id": e.id,
            "title": e.title,
            "articles": len(e.articles),
            "outlets": sorted({o for a in e.articles if (o := outlets.get(a))}),
            "first_seen": e.first_seen,
            "last_seen": e.last_seen,
            "storyline": e.storyline,
        }
        for e in found
    ]
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        out.print("No events yet: run `storyline ingest PATH` first.")
        return
    table = Table(title=f"{len(rows)} events", title_justify="left")
    table.add_column("event", no_wrap=True, min_width=18)
    for column in ("first seen", "articles", "outlets", "title"):
        table.add_column(column, overflow="fold" if column == "title" else "ellipsis")
    for row in rows:
        table.add_row(
            row["id"],
            (row["first_seen"] or "unknown")[:10],
            str(row["articles"]),
            escape(", ".join(row["outlets"]) or "—"),
            escape(_truncate(row["title"])),
        )
    out.print(table)


def _store_entities(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities over several events: one row each, its mentions, articles and names summed."""
    merged: dict[str, dict[str, Any]] = {}
    for event in events:
        for entity in event["entities"]:
            row = merged.setdefault(entity["id"], {**entity, "aliases": [], "articles": [], "mentions": 0})
            row["mentions"] += entity["mentions"]
            row["articles"] += [a for a in entity["articles"] if a not in row["articles"]]
            row["aliases"] += [a for a in entity["aliases"] if a not in row["aliases"] and a != row["name"]]
    return sorted(merged.values(), key=lambda e: (-e["mentions"], e["name"], e["id"]))


@cli.command()
@click.option("--event", "event_id", metavar="ID", help="Only this event (default: the whole store).")
@click.option("--type", "entity_type", metavar="TYPE", help="Only this type: PERSON, ORG, GPE, ...")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def entities(obj: Context, event_id: str | None, entity_type: str | None, as_json: bool) -> None:
    """Who the articles are about: entities, most mentioned first, with every name used for them."""
    with obj.store() as store:
        rows = _store_entities(event_documents(store, event_id))
    rows = [r for r in rows if not entity_type or r["type"] == entity_type.upper()]
    if as_json:
        _emit_json(rows)
        return
    table = Table(title=f"{len(rows)} entities", title_justify="left")
    for column in ("entity", "type", "mentions", "articles", "also called"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            escape(row["name"]), row["type"], str(row["mentions"]), str(len(row["articles"])),
            escape(_truncate("; ".join(row["aliases"]))),
        )  # fmt: skip
    out.print(table)


@cli.command()
@click.option("--event", "event_id", metavar="ID", help="Only this event (default: every event, each on its own).")
@click.option("--min-outlets", default=1, show_default=True, type=click.IntRange(min=1),
              help="Only facts at least this many independent outlets report.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def facts(obj: Context, event_id: str | None, min_outlets: int, as_json: bool) -> None:
    """What each event's sources say alike, most independent outlets first, and where they disagree."""
    with obj.store() as store:
        events = event_documents(store, event_id)
    rows = [{"event": e["id"], **f} for e in events for f in e["facts"] if f["independent_outlets"] >= min_outlets]
    disagreements = [{"event": e["id"], **c} for e in events for c in e["conflicts"]]
    if as_json:
        click.echo(json.dumps({"facts": rows, "conflicts": disagreements}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        cited = ", ".join(f"{s['article']} §{s['sentence']}" for s in row["sources"])
        out.print(f"[bold]{row['independent_outlets']}[/bold] {escape(row['text'])} [dim]({cited})[/dim]")
    for conflict in disagreements:
        sides = " against ".join(
            f"{escape(c['value'])} ({', '.join(s['article'] + ' §' + str(s['sentence']) for s in c['sources'])})"
            for c in conflict["claims"]
        )
        kind = "update" if conflict["kind"] == "update" else "conflict"
        out.print(f"[yellow]{kind}[/yellow] on the {escape(conflict['about'])}: {sides}")
    if not rows and not disagreements:
        out.print("No facts reported by several outlets yet.")


@cli.command()
@click.option("--event", "event_id", metavar="ID", help="Only this event (default: every event, each on its own).")
@click.option("--speaker", metavar="NAME", help="Only quotes whose speaker's name contains NAME.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def quotes(obj: Context, event_id: str | None, speaker: str | None, as_json: bool) -> None:
    """Who said what: direct quotes and reported speech, with their speakers and sentences."""
    with obj.store() as store:
        rows = [{"event": event["id"], **row} for event in event_documents(store, event_id) for row in event["quotes"]]
    if speaker:
        rows = [r for r in rows if speaker.casefold() in (r["speaker_name"] or "").casefold()]
    if as_json:
        _emit_json(rows)
        return
    for row in rows:
        text = f"“{row['text']}”" if row["direct"] else row["text"]
        cited = ", ".join(f"{s['article']} §{s['sentence']}" for s in row["sources"])
        out.print(f"[bold]{escape(row['speaker_name'] or 'unattributed')}[/bold]: {escape(text)} [dim]({cited})[/dim]")
        for variant in row["variants"]:
            cited = ", ".join(f"{s['article']} §{s['sentence']}" for s in variant["sources"])
            out.print(f"    also reported as: {escape(variant['text'])} [dim]({cited})[/dim]")
    if not rows:
        out.print("No quotes found.")


@cli.command()
@click.option("--event", "event_id", metavar="ID", help="Only the articles of this event.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def articles(obj: Context, event_id: str | None, as_json: bool) -> None:
    """Stored articles, in publication order (undated last)."""
    with obj.store() as store:
        found = store.articles(event=event_id)
    rows: list[dict[str, Any]] = [
        {
            "id": a.id,
            "outlet": a.outlet,
            "published": a.published,
            "published_source": a.published_source,
            "lang": a.lang,
            "sentences": len(a.sentences),
            "event": a.event,
            "title": a.title,
            "headline": a.headline,
            "url": a.url,
            "path": a.path,
        }
        for a in found
    ]
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        out.print("No articles: run `storyline ingest PATH` first.")
        return
    table = Table(title=f"{len(rows)} articles", title_justify="left")
    table.add_column("article", no_wrap=True, min_width=18)
    for column in ("outlet", "published", "lang", "sent.", "event", "headline"):
        table.add_column(column, overflow="fold" if column == "headline" else "ellipsis")
    for row in rows:
        published = row["published"] or "unknown"
        if row["published_source"]:
            published += f" ({row['published_source']})"
        table.add_row(
            row["id"],
            escape(row["outlet"] or "—"),
            published,
            row["lang"] or "—",
            str(row["sentences"]),
            row["event"] or "—",
            escape(_truncate(row["headline"])),
        )
    out.print(table)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def search(obj: Context, query: str, limit: int, as_json: bool) -> None:
    """Full-text search over titles and text (all words must match)."""
    with obj.store() as store:
        hits = store.search(query, limit)
    if as_json:
        _emit_json([{**asdict(h), "snippet": h.highlighted("**", "**")} for h in hits])
        return
    if not hits:
        out.print(f"No article matches {escape(repr(query))}.")
        return
    table = Table(title=f"{len(hits)} matches for {escape(repr(query))}", title_justify="left")
    table.add_column("article", no_wrap=True, min_width=18)
    for column in ("outlet", "published", "match"):
        table.add_column(column, overflow="fold" if column == "match" else "ellipsis")
    for hit in hits:
        snippet = " ".join(escape(hit.snippet).split())
        snippet = snippet.replace(SNIPPET_OPEN, "[bold yellow]").replace(SNIPPET_CLOSE, "[/]")
        table.add_row(hit.article, escape(hit.outlet or "—"), (hit.published or "unknown")[:10], snippet)
    out.print(table)


@cli.group(name="eval")
def eval_group() -> None:
    """Measure quality on annotated data (see ../shared/data/README.md for the formats)."""


def _with_model(settings: Settings, model: str | None) -> Settings:
    if not model:
        return settings
    check_model_name(model)
    return replace(settings, cluster=replace(settings.cluster, model=model))


@eval_group.command(name="clustering")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", type=click.Path(dir_okay=False), help="Clustering model file (default: the shipped one).")
@click.option("--cache", type=click.Path(file_okay=False), help="Keep articles and embeddings here between runs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_clustering(obj: Context, files: tuple[str, ...], model: str | None, cache: str | None, as_json: bool) -> None:
    """Stream each FILE (clustering format) in time order; print BCubed and pairwise P/R/F1."""
    settings = _with_model(obj.settings, model)
    results = [evaluate_clustering(f, settings, cache) for f in files]
    if as_json:
        _emit_json([r.to_json() for r in results])
        return
    for r in results:
        out.print(
            f"{escape(Path(r.file).name)}: {r.articles} articles, {r.gold_clusters} gold events, "
            f"{r.predicted_clusters} predicted | BCubed P {r.bcubed.precision:.3f} R {r.bcubed.recall:.3f} "
            f"F1 {r.bcubed.f1:.3f} | pairwise P {r.pairwise.precision:.3f} R {r.pairwise.recall:.3f} "
            f"F1 {r.pairwise.f1:.3f} | {r.articles_per_second:.1f} articles/s"
        )
    out.print(f"model: {escape(results[0].model)}" + (" (cached articles: speed is clustering only)" if cache else ""))


@eval_group.command(name="storylines")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--cache", type=click.Path(file_okay=False), help="Keep articles and embeddings here between runs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_storylines(obj: Context, files: tuple[str, ...], cache: str | None, as_json: bool) -> None:
    """Storylines of each FILE: BCubed against topics (Timeline17 format, all topics in one stream), and for
    any file the largest storyline's share of events and a sample of storylines to read."""
    results = [evaluate_storylines(f, obj.settings, cache) for f in files]
    if as_json:
        _emit_json([r.to_json() for r in results])
        return
    for r in results:
        scores = f"; BCubed P {r.bcubed.precision:.3f} R {r.bcubed.recall:.3f} F1 {r.bcubed.f1:.3f}" if r.bcubed else ""
        out.print(
            f"{escape(Path(r.file).name)}: {r.articles} articles, {r.topics} topics -> {r.events} events in "
            f"{r.storylines} storylines{scores}; the largest holds {r.largest_events} events "
            f"({r.largest_share:.1%}) ({r.seconds:.0f} s)"
        )
        for sample in r.sample:
            out.print(f"  [bold]{escape(sample.title)}[/bold] ({sample.events} events)")
            for title in sample.event_titles:
                out.print(f"    - {escape(title)}")


def _emit_scores(results: Sequence[Scores], describe: Callable[[Scores], str], as_json: bool) -> None:
    """Evaluation results as JSON (their dataclass fields) or as each evaluator's own table."""
    if as_json:
        _emit_json([asdict(r) for r in results])
        return
    for result in results:
        out.print(escape(describe(result)))


@eval_group.command(name="entities")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_entities(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Entities across each event's outlets (NewsWCL50 format): BCubed of entities against coded actors."""
    results = [evaluate_entities(Path(f), obj.settings) for f in files]
    _emit_scores(results, format_entities, as_json)


@eval_group.command(name="framing")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_framing(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Mention groups across each event's outlets (NewsWCL50 format), all codes and per kind (actors, countries,
    the rest), names alone and names then concepts: BCubed, MUC, CEAF-e, CoNLL F1 and best-match F1."""
    results = [evaluate_framing(Path(f), obj.settings) for f in files]
    _emit_scores(results, format_framing, as_json)


@eval_group.command(name="temporal")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def eval_temporal(files: tuple[str, ...], as_json: bool) -> None:
    """Tag time expressions in each FILE (TimeML jsonl, relative to its `dct`); TempEval-3 span, type, value F1."""
    results = [evaluate_temporal(Path(f)) for f in files]
    _emit_scores(results, format_temporal, as_json)


@eval_group.command(name="timelines")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def eval_timelines(files: tuple[str, ...], as_json: bool) -> None:
    """Write each topic's timeline from its pool (Timeline17 format); date F1, AR1-F, AR2-F per topic and mean."""
    results = [evaluate_timelines(Path(f)) for f in files]
    _emit_scores(results, format_timelines, as_json)


@eval_group.command(name="quotes")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_quotes(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Find quotes in each FILE (PolNeAR format); content F1 (exact, overlap) and source F1, direct and all."""
    results = [evaluate_quotes(Path(f), obj.settings.nlp.spacy_model) for f in files]
    _emit_scores(results, format_quotes, as_json)


@eval_group.command(name="conflicts")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--events", "max_events", default=40, show_default=True, type=click.IntRange(min=0),
              help="Events of each file to run (0: all).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_conflicts(obj: Context, files: tuple[str, ...], max_events: int, as_json: bool) -> None:
    """Conflicts on each FILE (clustering format) as it is, and recall on changes made to one outlet's
    article of each event (a number, a day or a person's name)."""
    from ..evaluate.conflicts import evaluate_conflicts, format_conflicts

    results = [evaluate_conflicts(f, obj.settings, max_events) for f in files]
    if as_json:
        _emit_json([r.to_json() for r in results])
        return
    for result in results:
        out.print(escape(format_conflicts(result)))


@eval_group.command(name="summaries")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--budget", default=260, show_default=True, type=click.IntRange(min=1), help="Words of every summary.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_summaries(obj: Context, files: tuple[str, ...], budget: int, as_json: bool) -> None:
    """Summarize each cluster of each FILE (Multi-News format) with the engine, Lead, LexRank and TextRank;
    every summary cut at BUDGET words; ROUGE-1/2/L F1 against the reference."""
    results = [evaluate_summaries(Path(f), obj.settings, budget) for f in files]
    _emit_scores(results, format_summaries, as_json)


@eval_group.command(name="facts")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", type=click.Path(dir_okay=False), help="Paraphrase model file (default: the shipped one).")
@click.option("--folds", default=10, show_default=True, type=click.IntRange(min=2),
              help="Cross-validation folds, for a file the model was trained on.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_facts(obj: Context, files: tuple[str, ...], model: str | None, folds: int, as_json: bool) -> None:
    """Do two sentences say the same thing? Accuracy, P/R/F1 against the always-yes baseline on each FILE
    ({"sentence1", "sentence2", "paraphrase"}), cross-validated on a file the model learned from."""
    results = [evaluate_facts(Path(f), obj.settings, model or "", folds) for f in files]
    _emit_scores(results, format_facts, as_json)


@cli.group(name="train")
def train_group() -> None:
    """Fit the learned parts of the engine on annotated data."""


@train_group.command(name="clustering")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write.")
@click.option("--cache", type=click.Path(file_okay=False), help="Keep articles and embeddings here between runs.")
@click.pass_obj
def train_clustering_command(obj: Context, files: tuple[str, ...], output: str, cache: str | None) -> None:
    """Fit the clustering model (pair scorer and join-or-new decision) on FILES (clustering format)."""
    model = train_clustering(list(files), obj.settings, cache)
    Path(output).write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    err.print(f"Wrote {escape(output)}, trained on {', '.join(model.trained_on)}.")


@train_group.command(name="facts")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write.")
@click.pass_obj
def train_facts_command(obj: Context, files: tuple[str, ...], output: str) -> None:
    """Fit the paraphrase model (do two sentences say the same thing?) on FILES (facts format), for the
    configured embedding model."""
    model = train_facts(list(files), obj.settings)
    Path(output).write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    err.print(f"Wrote {escape(output)}, trained on {', '.join(model.trained_on)} ({model.embedding}).")


def main() -> None:
    """Console-script entry point."""
    cli()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@_db_option
@click.pass_obj
def serve(obj: Context, host: str, port: int) -> None:
    """Serve the web app and the REST API over the store (uploads need $STORYLINE_TOKEN).

    Pages at http://HOST:PORT/, the API under /api (its docs at /api/docs).
    """
    import uvicorn

    from ..web import create_app

    app = create_app(obj.settings)
    err.print(f"storyline: serving {obj.settings.store.path} at http://{host}:{port}/ (API docs: /api/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.group(name="export")
def export_group() -> None:
    """Write what the store holds as files to share: a static site, or facts as CSV, JSON or Markdown."""


@export_group.command(name="site")
@click.argument("folder", type=click.Path(file_okay=False))
@_db_option
@click.pass_obj
def export_site(obj: Context, folder: str) -> None:
    """Write the web app's pages as a static site in FOLDER (open FOLDER/index.html; no server needed)."""
    from ..web.site import export_site as write_site

    with obj.store() as store:
        written = write_site(store, obj.settings, folder)
    err.print(f"Wrote {written} pages to {folder}/ — open {Path(folder) / 'index.html'}")


@export_group.command(name="facts")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "md"]), default="csv", show_default=True)
@click.option("--event", "event_id", metavar="ID", help="Only this event.")
@click.option("--min-outlets", default=1, show_default=True, type=click.IntRange(min=1),
              help="Only facts at least this many independent outlets report.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE, not stdout.")
@_db_option
@click.pass_obj
def export_facts(obj: Context, fmt: str, event_id: str | None, min_outlets: int, output: str | None) -> None:
    """Every event's facts with their independent outlets and citations (article#sentence)."""
    from ..report.exports import render_facts

    with obj.store() as store:
        text = render_facts(event_documents(store, event_id), fmt, min_outlets)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
