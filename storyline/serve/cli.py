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

from ..errors import StorylineError

# Every command imports what it needs itself: `storyline --help` and the read commands must answer at once,
# not after loading the pipeline, its models and their libraries (tests/test_cli_startup.py checks).
if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from ..config import Settings
    from ..errors import InputError
    from ..ingest import Notice
    from ..store import Store
    from .terminal import ProgressReport

Scores = TypeVar("Scores", bound="DataclassInstance")
# `report --format`'s choices, written out: the report package (and its templates) loads only for `report`.
REPORT_FORMATS = ("json", "md", "html")


class Context:
    """Options given once, at the edge, shared by every command."""

    def __init__(self, config: str | None, db: str | None) -> None:
        self.config = config
        self.db_option = db
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from ..config import load_settings

            overrides = {"store": {"path": self.db_option}} if self.db_option else None
            self._settings = load_settings(self.config, overrides)
        return self._settings

    @contextmanager
    def store(self) -> Iterator[Store]:
        from ..store import open_store

        with open_store(self.settings.store.path) as store:
            yield store


def _db_option(function: Any) -> Any:
    """``--db`` on every command, as on the group (``storyline ingest x --db my.db`` reads naturally)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.find_object(Context).db_option = value  # type: ignore[union-attr]

    return click.option(
        "--db",
        metavar="DB",
        expose_value=False,
        callback=remember,
        help="SQLite file or postgresql:// URL (default: storyline.db, or $STORYLINE_DB).",
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
@click.option(
    "--db", metavar="DB", envvar="STORYLINE_DB", help="SQLite file or postgresql:// URL (default: storyline.db)."
)
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
    from ..ingest import Notice
    from ..pipeline import ingest as run_ingest
    from .terminal import err, escape, out

    settings = obj.settings

    def show(item: InputError | Notice) -> None:
        if isinstance(item, Notice):
            err.print(f"[yellow]warning[/] {escape(item.message)}")
        else:
            err.print(f"[red]error[/] {escape(item.message)}")

    with obj.store() as store, _progress("ingest", settings) as progress:
        result = run_ingest(store, paths, settings, progress, show)
        total, shown = store.count_articles(), store.path
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
        f"The store {escape(shown)} holds {total}."
    )
    if failures or result.notices:
        _print_problems(failures, result.notices)
    if failures:
        sys.exit(1)


def _print_problems(failures: Sequence[InputError], notices: Sequence[Notice]) -> None:
    """What an ingest skipped (E codes) or stored with a warning (W codes): a row per code, with how many
    inputs had it and the first of them (its path and the problem)."""
    from .terminal import Column, escape, fitted_table, out

    by_code: dict[str, list[InputError | Notice]] = {}
    problems: list[InputError | Notice] = [*failures, *notices]
    for problem in problems:
        by_code.setdefault(problem.code, []).append(problem)
    cells = [
        [code or "—", str(len(found)), escape(found[0].message.removeprefix(f"[{code}] "))]
        for code, found in sorted(by_code.items())
    ]
    title = f"{len(failures)} skipped, {len(notices)} warning{'s' * (len(notices) != 1)}, by code"
    columns = [Column("code"), Column("inputs", justify="right")]
    out.print(fitted_table(title, columns, cells, Column("first of them")))


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="ray",
    show_default=True,
    help="ray: reading, the per-article stages and the NLP parse on Ray, clustering in time partitions in parallel; "
    "local: as `ingest`.",
)
@click.option(
    "--address",
    metavar="ADDR",
    help="The Ray cluster to join (its head: host:6379, as `ray start --head` prints); default: a Ray started here.",
)
@_db_option
@click.pass_obj
def backfill(obj: Context, paths: tuple[str, ...], engine: str, address: str | None) -> None:
    """Read a large archive from PATHS and process it, spread over a Ray cluster.

    The store ends as `ingest` leaves it: the same tables, the same report.
    With a cluster, install storyline (with the `ray` extra) on every machine;
    the driver, where this runs, alone writes the store (--db: a SQLite file
    here, or a postgresql:// URL that the web app reads while it fills).
    """
    if engine == "local":
        click.get_current_context().invoke(ingest, paths=paths)
        return
    from ..ingest import Notice
    from ..pipeline.backfill import backfill as run_backfill
    from .terminal import err, escape, out

    def show(item: InputError | Notice) -> None:
        colour, kind = ("yellow", "warning") if isinstance(item, Notice) else ("red", "error")
        err.print(f"[{colour}]{kind}[/] {escape(item.message)}")

    settings = obj.settings
    with obj.store() as store, _progress("backfill", settings) as progress:
        result = run_backfill(store, paths, settings, address, show, progress)
        total, shown = store.count_articles(), store.path
    read, added, failures = result.read, result.added, result.failures
    if read == 0 and not failures:
        err.print(f"[red]error[/] no articles found in {escape(', '.join(paths))}.")
        sys.exit(1)
    phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in result.seconds.items())
    out.print(
        f"Read {read} article{'s' * (read != 1)}: {added} new, {read - added} already stored; "
        f"{len(failures)} input{'s' * (len(failures) != 1)} failed; clustered in {result.partitions} "
        f"partition{'s' * (result.partitions != 1)} ({phases}). The store {escape(shown)} holds {total}."
    )
    if failures:
        sys.exit(1)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--skip",
    multiple=True,
    metavar="STAGE",
    help="Leave out this stage, as pipeline.skip does (repeat it): --skip analysis --skip event-analysis "
    "places articles in events without the NLP analysis.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per file on stdout, with its timings.")
@_db_option
@click.pass_obj
def watch(obj: Context, folder: str, skip: tuple[str, ...], as_json: bool) -> None:
    """Ingest each file written into FOLDER, as it is written, until Ctrl-C.

    Reads first what FOLDER holds that was not read before (or changed since):
    the store records the files read, so a restart reads only what is new.
    A file that cannot be read is reported and read again only once it
    changes. One line per file on stderr: its articles, its event, and the
    milliseconds from its last write to its event assignment.
    """
    from ..pipeline.watch import FileIngested, Watcher
    from .terminal import err, escape

    settings = obj.settings
    if skip:
        settings = replace(settings, pipeline=replace(settings.pipeline, skip=settings.pipeline.skip + skip))

    def show(done: FileIngested) -> None:
        if as_json:
            click.echo(json.dumps(asdict(done) | {"latency_ms": round(done.latency_ms, 2)}), nl=True)
            sys.stdout.flush()
        if done.status == "failed":
            err.print(f"[red]error[/] {escape(done.error or done.path)}")
            return
        count = len(done.articles)
        events = ", ".join(done.events) or "none"
        err.print(
            f"watch: {escape(done.path)}: {count} article{'s' * (count != 1)} ({done.added} new), "
            f"event{'s' * (len(done.events) > 1)} {events}, {done.latency_ms:.0f} ms"
            + (f"; [yellow]{escape(done.error)}[/]" if done.error else "")
        )

    with obj.store() as store:
        watcher = Watcher(store, folder, settings, show)
        err.print(f"Watching {escape(str(watcher.folder))} (Ctrl-C stops); the store is {escape(settings.store.path)}.")
        try:
            watcher.run()
        except KeyboardInterrupt:
            err.print("Stopped.")


def _progress(task: str, settings: Settings) -> ProgressReport:
    """Progress of a long run on stderr, as the settings say (bars on a terminal, plain lines elsewhere)."""
    from .terminal import ProgressReport

    pipeline = settings.pipeline
    return ProgressReport(task, pipeline.progress_min_articles, pipeline.progress_every_seconds)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="json", show_default=True)
@click.option("--event", "event_id", metavar="ID", help="Only this event (its articles and storyline).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE, not stdout.")
@_db_option
@click.pass_obj
def report(obj: Context, fmt: str, event_id: str | None, output: str | None) -> None:
    """The story report: JSON (the contract), Markdown or self-contained HTML."""
    from ..report import build_report, render_report

    with obj.store() as store:
        document = build_report(store, event_id)
    rendered = render_report(document, fmt)
    if output:
        from .terminal import err, escape

        Path(output).write_text(rendered, encoding="utf-8")
        err.print(f"Wrote {escape(output)} ({len(document['events'])} events).")
    else:
        click.echo(rendered, nl=False)


def _emit_json(rows: list[dict[str, Any]]) -> None:
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


def _plain(text: str | None) -> str:
    """``text`` on one line, as rich prints it literally."""
    from .terminal import escape

    return escape(" ".join((text or "").split()))


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
    from .terminal import Column, fitted_table, out

    if not rows:
        out.print("No events yet: run `storyline ingest PATH` first.")
        return
    columns = [Column("event"), Column("first seen"), Column("articles", justify="right"),
               Column("outlets", max_width=30, drop=1)]  # fmt: skip
    cells = [
        [row["id"], (row["first_seen"] or "unknown")[:10], str(row["articles"]),
         _plain(", ".join(row["outlets"]) or "—"), _plain(row["title"])]
        for row in rows
    ]  # fmt: skip
    out.print(fitted_table(f"{len(rows)} events", columns, cells, Column("title")))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def storylines(obj: Context, as_json: bool) -> None:
    """Storylines: events linked over time, each with what it is about and its events, oldest first."""
    from ..report import storyline_documents

    with obj.store() as store:
        rows = storyline_documents(store)
    if as_json:
        _emit_json(rows)
        return
    from .terminal import escape, out

    if not rows:
        out.print("No storylines yet: run `storyline ingest PATH` first.")
        return
    for row in rows:
        days = " to ".join(dict.fromkeys(d for d in (row["first_seen"], row["last_seen"]) if d)) or "undated"
        count = len(row["events"])
        out.print(f"[bold]{_plain(row['title'])}[/bold] [dim]{row['id']}[/dim]")
        about = ", ".join(a["name"] for a in row["about"])
        out.print(f"  {count} event{'s' * (count != 1)}, {days}" + (f"; about {escape(about)}" if about else ""))
        for event in row["events"]:
            # One line each on a terminal, the title cut to fit; piped, whole (soft-wrapped).
            line = f"    {(event['first_seen'] or 'undated'):<10} {event['id']}  {_plain(event['title'])}"
            out.print(line, no_wrap=True, overflow="ellipsis")


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
    from ..report import event_documents

    with obj.store() as store:
        rows = _store_entities(event_documents(store, event_id))
    rows = [r for r in rows if not entity_type or r["type"] == entity_type.upper()]
    if as_json:
        _emit_json(rows)
        return
    from .terminal import Column, fitted_table, out

    columns = [Column("entity", max_width=30), Column("type"), Column("mentions", justify="right"),
               Column("articles", justify="right", drop=1)]  # fmt: skip
    cells = [
        [_plain(row["name"]), row["type"], str(row["mentions"]), str(len(row["articles"])),
         _plain("; ".join(row["aliases"]))]
        for row in rows
    ]  # fmt: skip
    out.print(fitted_table(f"{len(rows)} entities", columns, cells, Column("also called")))


@cli.command()
@click.option("--event", "event_id", metavar="ID", help="Only this event (default: every event, each on its own).")
@click.option("--min-outlets", default=1, show_default=True, type=click.IntRange(min=1),
              help="Only facts at least this many independent outlets report.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def facts(obj: Context, event_id: str | None, min_outlets: int, as_json: bool) -> None:
    """What each event's sources say alike, most independent outlets first, and where they disagree."""
    from ..report import event_documents

    with obj.store() as store:
        events = event_documents(store, event_id)
    rows = [{"event": e["id"], **f} for e in events for f in e["facts"] if f["independent_outlets"] >= min_outlets]
    disagreements = [{"event": e["id"], **c} for e in events for c in e["conflicts"]]
    if as_json:
        click.echo(json.dumps({"facts": rows, "conflicts": disagreements}, ensure_ascii=False, indent=2))
        return
    from .terminal import escape, out

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
    from ..report import event_documents
    from ..report.render import as_said

    with obj.store() as store:
        rows = [{"event": event["id"], **row} for event in event_documents(store, event_id) for row in event["quotes"]]
    if speaker:
        rows = [r for r in rows if speaker.casefold() in (r["speaker_name"] or "").casefold()]
    if as_json:
        _emit_json(rows)
        return
    from .terminal import escape, out

    for row in rows:
        text = as_said(row["text"], row["direct"])
        cited = ", ".join(f"{s['article']} §{s['sentence']}" for s in row["sources"])
        out.print(f"[bold]{escape(row['speaker_name'] or 'unattributed')}[/bold]: {escape(text)} [dim]({cited})[/dim]")
        for variant in row["variants"]:
            cited = ", ".join(f"{s['article']} §{s['sentence']}" for s in variant["sources"])
            shown = as_said(variant["text"], variant["direct"])
            out.print(f"    also reported as: {escape(shown)} [dim]({cited})[/dim]")
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
    from .terminal import Column, fitted_table, out

    if not rows:
        out.print("No articles: run `storyline ingest PATH` first.")
        return
    # Where the terminal is narrow, how the day is known goes first, then the language and length, then the event.
    columns = [Column("article"), Column("outlet", max_width=24), Column("published"), Column("dated by", drop=4),
               Column("lang", drop=3), Column("sent.", justify="right", drop=2), Column("event", drop=1)]  # fmt: skip
    cells = [
        [row["id"], _plain(row["outlet"] or "—"), (row["published"] or "unknown")[:10], row["published_source"] or "—",
         row["lang"] or "—", str(row["sentences"]), row["event"] or "—", _plain(row["headline"])]
        for row in rows
    ]  # fmt: skip
    out.print(fitted_table(f"{len(rows)} articles", columns, cells, Column("headline")))


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_obj
def search(obj: Context, query: str, limit: int, as_json: bool) -> None:
    """Full-text search over titles and text (all words must match)."""
    from ..store.base import SNIPPET_CLOSE, SNIPPET_OPEN

    with obj.store() as store:
        hits = store.search(query, limit)
    if as_json:
        _emit_json([{**asdict(h), "snippet": h.highlighted("**", "**")} for h in hits])
        return
    from .terminal import Column, escape, fitted_table, out

    if not hits:
        out.print(f"No article matches {escape(repr(query))}.")
        return
    columns = [Column("article"), Column("outlet", max_width=24, drop=1), Column("published")]
    cells = []
    for hit in hits:
        snippet = _plain(hit.snippet).replace(SNIPPET_OPEN, "[bold yellow]").replace(SNIPPET_CLOSE, "[/]")
        cells.append([hit.article, _plain(hit.outlet or "—"), (hit.published or "unknown")[:10], snippet])
    # The snippet wraps: cut short, it could lose the very words that matched.
    table = fitted_table(f"{len(hits)} matches for {escape(repr(query))}", columns, cells, Column("match"), wrap=True)
    out.print(table)


@cli.group(name="eval")
def eval_group() -> None:
    """Measure quality on annotated data (see ../shared/data/README.md for the formats)."""


def _with_model(settings: Settings, model: str | None) -> Settings:
    if not model:
        return settings
    from ..cluster import check_model_name

    check_model_name(model)
    return replace(settings, cluster=replace(settings.cluster, model=model))


Result = TypeVar("Result")


def _each_file(
    task: str, settings: Settings, files: Sequence[str], evaluate: Callable[[str, ProgressReport], Result]
) -> list[Result]:
    """``evaluate`` on each of ``files`` in turn, saying on stderr which one and how far it is."""
    results = []
    with _progress(task, settings) as progress:
        for number, file in enumerate(files, 1):
            progress.note(f"file {number}/{len(files)} ({Path(file).name})")
            results.append(evaluate(file, progress))
    return results


@eval_group.command(name="clustering")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", type=click.Path(dir_okay=False), help="Clustering model file (default: the shipped one).")
@click.option("--cache", type=click.Path(file_okay=False), help="Keep articles and embeddings here between runs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_clustering(obj: Context, files: tuple[str, ...], model: str | None, cache: str | None, as_json: bool) -> None:
    """Stream each FILE (clustering format) in time order; print BCubed and pairwise P/R/F1."""
    from ..evaluate.clustering import evaluate_clustering

    settings = _with_model(obj.settings, model)
    results = _each_file(
        "eval clustering", settings, files, lambda f, progress: evaluate_clustering(f, settings, cache, progress)
    )
    if as_json:
        _emit_json([r.to_json() for r in results])
        return
    from .terminal import escape, out

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
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Cluster this many times, every run after the first on vectors moved by rounding noise (1e-7): the spread "
    "of the figures.",
)
@click.pass_obj
def eval_storylines(obj: Context, files: tuple[str, ...], cache: str | None, as_json: bool, repeats: int) -> None:
    """Storylines of each FILE: BCubed against topics (Timeline17 format, all topics in one stream), and for
    any file the largest storyline's share of events and a sample of storylines to read."""
    from ..evaluate.storylines import evaluate_storylines

    settings = obj.settings
    results = _each_file(
        "eval storylines",
        settings,
        files,
        lambda f, progress: evaluate_storylines(f, settings, cache, progress, repeats),
    )
    if as_json:
        _emit_json([r.to_json() for r in results])
        return
    from .terminal import escape, out

    for r in results:
        scores = f"; BCubed P {r.bcubed.precision:.3f} R {r.bcubed.recall:.3f} F1 {r.bcubed.f1:.3f}" if r.bcubed else ""
        out.print(
            f"{escape(Path(r.file).name)}: {r.articles} articles, {r.topics} topics -> {r.events} events in "
            f"{r.storylines} storylines{scores}; the largest holds {r.largest_events} events "
            f"({r.largest_share:.1%}) ({r.seconds:.0f} s)"
        )
        if r.repeats:
            f1 = r.f1_runs
            spread = f"; BCubed F1 mean {sum(f1) / len(f1):.3f}, {min(f1):.3f} to {max(f1):.3f}" if f1 else ""
            shares = [r.largest_share, *(x.largest_share for x in r.repeats)]
            out.print(
                f"  {len(shares)} runs (vectors moved by rounding noise after the first){spread}; the largest "
                f"storyline {min(shares):.1%} to {max(shares):.1%}"
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
    from .terminal import escape, out

    for result in results:
        out.print(escape(describe(result)))


@eval_group.command(name="entities")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_entities(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Entities across each event's outlets (NewsWCL50 format): BCubed of entities against coded actors."""
    from ..evaluate.entities import evaluate_entities, format_entities

    settings = obj.settings
    results = _each_file("eval entities", settings, files, lambda f, _: evaluate_entities(Path(f), settings))
    _emit_scores(results, format_entities, as_json)


@eval_group.command(name="framing")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_framing(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Mention groups across each event's outlets (NewsWCL50 format), all codes and per kind (actors, countries,
    the rest), names alone, names then concepts and predicates, and a lumped reference (every concept of an event
    one group): BCubed, MUC, CEAF-e, CoNLL F1 and best-match F1."""
    from ..evaluate.framing import evaluate_framing, format_framing

    settings = obj.settings
    results = _each_file("eval framing", settings, files, lambda f, _: evaluate_framing(Path(f), settings))
    _emit_scores(results, format_framing, as_json)


@eval_group.command(name="temporal")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_temporal(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Tag time expressions in each FILE (TimeML jsonl, relative to its `dct`); TempEval-3 span, type, value F1."""
    from ..evaluate.temporal import evaluate_temporal, format_temporal

    results = _each_file("eval temporal", obj.settings, files, lambda f, _: evaluate_temporal(Path(f)))
    _emit_scores(results, format_temporal, as_json)


@eval_group.command(name="timelines")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_timelines(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Write each topic's timeline from its pool (Timeline17 format); date F1, AR1-F, AR2-F per topic and mean."""
    from ..evaluate.timelines import evaluate_timelines, format_timelines

    results = _each_file("eval timelines", obj.settings, files, lambda f, _: evaluate_timelines(Path(f)))
    _emit_scores(results, format_timelines, as_json)


@eval_group.command(name="quotes")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_quotes(obj: Context, files: tuple[str, ...], as_json: bool) -> None:
    """Find quotes in each FILE (PolNeAR format); content F1 (exact, overlap) and source F1, direct and all."""
    from ..evaluate.quotes import evaluate_quotes, format_quotes

    settings = obj.settings
    results = _each_file(
        "eval quotes", settings, files, lambda f, _: evaluate_quotes(Path(f), settings.nlp.spacy_model)
    )
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

    settings = obj.settings
    results = _each_file(
        "eval conflicts",
        settings,
        files,
        lambda f, progress: evaluate_conflicts(f, settings, max_events, progress=progress),
    )
    if as_json:
        _emit_json([r.to_json() for r in results])
        return
    from .terminal import escape, out

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
    from ..evaluate.summaries import evaluate_summaries, format_summaries

    settings = obj.settings
    results = _each_file("eval summaries", settings, files, lambda f, _: evaluate_summaries(Path(f), settings, budget))
    _emit_scores(results, format_summaries, as_json)


@eval_group.command(name="facts")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", type=click.Path(dir_okay=False), help="Paraphrase model file (default: the shipped one).")
@click.option("--folds", default=10, show_default=True, type=click.IntRange(min=2),
              help="Cross-validation folds, for a file the model was trained on.")  # fmt: skip
@click.option("--encoder-folds", default=5, show_default=True, type=click.IntRange(min=2),
              help="Folds for the cross-encoder on such a file (a fine-tuning each, needs torch).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def eval_facts(
    obj: Context, files: tuple[str, ...], model: str | None, folds: int, encoder_folds: int, as_json: bool
) -> None:
    """Do two sentences say the same thing? Accuracy, P/R/F1 against the always-yes baseline on each FILE
    ({"sentence1", "sentence2", "paraphrase"}), cross-validated on a file the model learned from."""
    from ..evaluate.facts import evaluate_facts, format_facts
    from .terminal import err, escape

    settings = obj.settings
    results = _each_file(
        "eval facts",
        settings,
        files,
        lambda f, _: evaluate_facts(
            Path(f), settings, model or "", folds, encoder_folds, lambda message: err.print(escape(message))
        ),
    )
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
    from ..evaluate.train import train_clustering
    from .terminal import err, escape

    with _progress("train clustering", obj.settings):
        model = train_clustering(list(files), obj.settings, cache)
    Path(output).write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    err.print(f"Wrote {escape(output)}, trained on {', '.join(model.trained_on)}.")


@train_group.command(name="facts")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write.")
@click.option("--cross-encoder", "encoder", metavar="NAME",
              help="Also fine-tune a cross-encoder for English pairs into the folder NAME beside the model file "
              "(needs torch: make .venv/.installed-bench; ~10 minutes for msrp-train).")  # fmt: skip
@click.pass_obj
def train_facts_command(obj: Context, files: tuple[str, ...], output: str, encoder: str | None) -> None:
    """Fit the paraphrase model (do two sentences say the same thing?) on FILES (facts format), for the
    configured embedding model."""
    from ..evaluate.facts import train_facts
    from .terminal import err, escape

    with _progress("train facts", obj.settings):
        model = train_facts(list(files), obj.settings)
        if encoder:
            from ..evaluate.cross_encoder import attach_cross_encoder

            model = attach_cross_encoder(model, list(files), Path(output).parent / encoder,
                                         lambda message: err.print(escape(message)))  # fmt: skip
    Path(output).write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    err.print(f"Wrote {escape(output)}, trained on {', '.join(model.trained_on)} ({model.embedding}).")


def main() -> None:
    """Console-script entry point."""
    cli()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes answering requests (one per core serves most).")  # fmt: skip
@_db_option
@click.pass_obj
def serve(obj: Context, host: str, port: int, workers: int) -> None:
    """Serve the web app and the REST API over the store (uploads need $STORYLINE_TOKEN).

    Pages at http://HOST:PORT/, the API under /api (its docs at /api/docs).
    """
    import os

    import uvicorn

    from ..web.app import DB_ENV, create_app
    from ..web.server import server_options

    settings = obj.settings
    from ..store.base import shown_location

    shown = shown_location(settings.store.path)
    click.echo(f"storyline: serving {shown} at http://{host}:{port}/ (API docs: /api/docs)", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **server_options(settings.serve))
        return
    # Worker processes build the app themselves, from the environment: the same settings file and database.
    os.environ[DB_ENV] = settings.store.path
    if obj.config:
        os.environ["STORYLINE_CONFIG"] = obj.config
    uvicorn.run("storyline.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                **server_options(settings.serve))  # fmt: skip


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
    click.echo(f"Wrote {written} pages to {folder}/ — open {Path(folder) / 'index.html'}", err=True)


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
    from ..report import event_documents
    from ..report.exports import render_facts

    with obj.store() as store:
        text = render_facts(event_documents(store, event_id), fmt, min_outlets)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
