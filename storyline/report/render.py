"""Report as JSON, Markdown or a self-contained HTML page."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, Errors
from ..model import DOUBLE_QUOTE_MARKS

if TYPE_CHECKING:
    from jinja2 import Environment

FORMATS = ("json", "md", "html")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def _md_escape(text: str) -> str:
    """Text that renders literally in Markdown (a title may hold `*` or `|`)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def as_said(text: str, direct: bool) -> str:
    """A quote as a reader sees it: words said verbatim in quote marks, unless they carry their own
    ("“exacerbating” the war": only some of the words are quoted, and their marks say which)."""
    return f"“{text}”" if direct and not text.startswith(tuple(DOUBLE_QUOTE_MARKS)) else text


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Imported here: JSON, the format scripts ask for, needs no templates.
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("storyline.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md_escape
    env.globals["as_said"] = as_said
    return env


def render_report(report: dict[str, Any], fmt: str) -> str:
    """The report in ``fmt`` (json, md or html)."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if fmt not in FORMATS:
        raise ConfigError(Errors.E012.format(kind="report format", name=fmt, known=", ".join(FORMATS)))
    if fmt == "html":
        # The web app's templates: one way to draw an event, on the server, in the static site and here.
        from ..web.render import render_report_html

        return render_report_html(report)
    template = _environment().get_template(f"report.{fmt}.j2")
    return template.render(
        report=report,
        events={e["id"]: e for e in report["events"]},
        articles={a["id"]: a for a in report["articles"]},
    )
