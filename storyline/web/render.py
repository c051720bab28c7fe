"""Drawing pages: the templates' environment, where pages link to (server, static site or the single-file
report), and the report as one HTML page. No web framework here: the CLI's report and export use it too."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from ..analyze.coverage import outlet_table
from ..config import Settings
from ..store.base import SNIPPET_CLOSE, SNIPPET_OPEN
from . import views

_UNSAFE_IN_NAMES = re.compile(r"[^\w.-]")
# A file name's bytes, at most, before its suffix: file systems allow 255 (an outlet's name can be any length).
_MAX_NAME_BYTES = 200
_NAME_HASH_CHARS = 16


def static_name(key: str) -> str:
    """A page's file name in a static site: the key with anything but letters, digits, '.', '-' and '_' made
    '_' (a file opened from disk is looked up by its decoded name, so no %-escapes; no '/' can lead out of the
    site's folder), a long one cut and told apart by a hash of the key."""
    name = _UNSAFE_IN_NAMES.sub("_", key)
    if len(name.encode()) <= _MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(key.encode()).hexdigest()[:_NAME_HASH_CHARS]
    kept = name.encode()[: _MAX_NAME_BYTES - _NAME_HASH_CHARS - 1].decode(errors="ignore")
    return f"{kept}-{digest}"


class Links:
    """Where pages are: on the server (``/events/ID``) or in a static site (``events/ID.html``, relative to
    the page's folder, so the site opens from disk)."""

    def __init__(self, root: str = "/", suffix: str = "") -> None:
        self.root = root
        self.suffix = suffix

    def _page(self, kind: str, key: str) -> str:
        return f"{self.root}{kind}/{static_name(key) if self.suffix else quote(key, safe='')}{self.suffix}"

    def home(self) -> str:
        return self.root + ("index.html" if self.suffix else "")

    def event(self, key: str) -> str:
        return self._page("events", key)

    def event_data(self, key: str) -> str | None:
        """The event's report as JSON: the API's on a server, a file beside the page in a static site."""
        if self.suffix:
            return f"{self.root}events/{static_name(key)}.json"
        return f"{self.root}api/events/{quote(key, safe='')}"

    def storyline(self, key: str) -> str | None:
        return self._page("storylines", key)

    def article(self, key: str) -> str:
        return self._page("articles", key)

    def sentence(self, article: str, index: int) -> str:
        """A sentence of an article: the article's page, scrolled to the sentence and highlighted."""
        return f"{self.article(article)}#s{index}"

    def entity(self, key: str) -> str | None:
        return self._page("entities", key)

    def outlet(self, key: str) -> str | None:
        return self._page("outlets", key)

    def storylines(self) -> str | None:
        return self.root + ("storylines.html" if self.suffix else "storylines")

    def outlets(self) -> str | None:
        return self.root + ("outlets.html" if self.suffix else "outlets")

    def static(self, name: str) -> str:
        return f"{self.root}static/{name}"

    @property
    def live(self) -> bool:
        """Whether search and filters work (a server answers them; a static site has none)."""
        return not self.suffix


class ReportLinks(Links):
    """Links inside the single-file HTML report: articles and their sentences, events and storylines are
    parts of the page; entities and outlets have no page in it (None: the name is shown unlinked)."""

    def __init__(self) -> None:
        super().__init__(root="#", suffix=".html")

    def home(self) -> str:
        return "#"

    def event(self, key: str) -> str:
        return f"#{key}"

    def event_data(self, key: str) -> str | None:
        return None

    def storyline(self, key: str) -> str | None:
        return f"#{key}"

    def article(self, key: str) -> str:
        return f"#{key}"

    def sentence(self, article: str, index: int) -> str:
        return f"#{article}-s{index}"

    def entity(self, key: str) -> str | None:
        return None

    def outlet(self, key: str) -> str | None:
        return None

    def storylines(self) -> str | None:
        return None

    def outlets(self) -> str | None:
        return None


def render_report_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (styles inline, every source in it), drawn with the web
    app's own templates."""
    from importlib import resources

    css = resources.files("storyline.web").joinpath("static", "style.css").read_text(encoding="utf-8")
    context = {"split": lambda outlets: [], "split_column": ""}
    return render("report.html.j2", ReportLinks(), report=report, css=Markup(css), **context,
                  events={e["id"]: e for e in report["events"]},
                  articles={a["id"]: a for a in report["articles"]})  # fmt: skip


def _highlight(snippet: str) -> Markup:
    """A search snippet with its matches in <mark>, everything else escaped."""
    return Markup(str(escape(snippet)).replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>"))


def _web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address; anything else (javascript:, data:) is not linked."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("storyline.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = lambda value: (value or "")[:10]
    env.filters["highlight"] = _highlight
    env.filters["web_url"] = _web_url
    env.globals["plural"] = _plural
    env.globals["coverage_matrix"] = views.coverage_matrix
    env.globals["label_grid"] = views.label_grid
    env.globals["timeline_axis"] = views.timeline_axis
    env.globals["events_axis"] = views.events_axis
    env.globals["quotes_by_speaker"] = views.quotes_by_speaker
    env.globals["article_outlets"] = views.article_outlets
    return env


def render(template: str, links: Links, **context: Any) -> str:
    return environment().get_template(template).render(links=links, **context)


def split_of(outlets: tuple[str, ...] | list[str], table_path: str, column: str) -> list[tuple[str, int]]:
    """How many of ``outlets`` have each known value of ``column`` in the outlet table."""
    table = outlet_table(table_path)
    counts = Counter(v for o in outlets if (v := table.get(o, {}).get(column)))
    return sorted(counts.items())


def shared_context(settings: Settings) -> dict[str, Any]:
    """What every page template gets beside its own data: how to split an event's outlets by the outlet table."""
    column = settings.outlets.one_sided_column

    def split(outlets: tuple[str, ...] | list[str]) -> list[tuple[str, int]]:
        return split_of(outlets, settings.outlets.table, column)

    return {"split": split, "split_column": column}
