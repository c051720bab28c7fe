"""Property-based tests (hypothesis) on the readers, the time normalizer, the quote extractor and the fact
aligner: on any input they raise nothing but the engine's own errors, and what they return is well formed
(offsets inside the text and slicing to the stated text, valid TimeML values, citations of real sentences)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from storyline.analyze.facts import ParaphraseScorer, event_facts, fact_sentences
from storyline.analyze.paraphrase import load_paraphrase_model
from storyline.config import load_settings
from storyline.errors import StorylineError
from storyline.ingest import READERS
from storyline.ingest.metadata import is_after, latest_date, parse_date
from storyline.model import Article, Span, TimeRef
from storyline.nlp.analysis import anchor_date
from storyline.nlp.quotes import find_quotes, quote_segments
from storyline.nlp.sentences import split_sentences
from storyline.nlp.spacy_pipeline import load_spacy
from storyline.nlp.timexes import tag_times, time_ranges

SETTINGS = load_settings()
# `make test` draws the same examples every run (derandomized); STORYLINE_EXPLORE=10 draws ten times as many,
# at random, to look for more.
EXPLORE = int(os.environ.get("STORYLINE_EXPLORE", "0"))


def examples(count: int) -> settings:
    """``count`` examples per property: enough to find what the bad-input corpus did not, few enough for
    `make test`; no deadline (the first parse of a run is slow)."""
    return settings(
        max_examples=count * max(EXPLORE, 1),
        derandomize=not EXPLORE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


FAST = examples(150)
PARSED = examples(60)

# Words the rules and the readers react to, so that random text reaches them instead of passing by.
VOCABULARY = [
    "January", "Feb.", "March", "May", "Dec", "Monday", "Wednesday", "Friday", "weekend", "today", "yesterday",
    "tomorrow", "tonight", "morning", "night", "last", "next", "this", "ago", "later", "earlier", "early", "late",
    "mid-", "week", "weeks", "month", "months", "year", "years", "decade", "century", "quarter", "Q3", "half",
    "spring", "winter", "Christmas", "Easter", "the", "a", "in", "on", "by", "since", "until", "from", "to",
    "through", "between", "and", "-", "–", "each", "every", "daily", "1", "2", "3", "12", "20", "22", "31", "99",
    "1990s", "2023", "1999", "0000", "9999", "10000", "3/20", "2023-03-20", "20.03.2023", "10:30", "p.m.",
    "two", "twenty-one", "thousand", "hundred", "1/2", "half", "first", "second", "past", "present", "future",
    "said", "says", "told", "reporters", "he", "she", "they", "Putin", "President", "Maria", "Lopez", "officials",
    "according", "will", "would", "was", "has", "\"", "“", "”", "«", "»", "„", "'", "‘", "’", "``", "''", ":",
    ",", ".", "!", "?", "(", ")", "\n", "\n\n", "—",
]  # fmt: skip
words = st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=6), max_size=60).map(" ".join)
texts = words | st.text(max_size=200)
# The calendar's first and last days too: "yesterday" on the first, "Christmas" on the last.
anchors = st.none() | st.sampled_from([date.min, date.max]) | st.dates()

# Dates as sources write them, from the calendar's first day to its last, with or without a time zone.
dates = (
    st.dates().map(date.isoformat)
    | st.datetimes(timezones=st.none() | st.timezones()).map(datetime.isoformat)
    | st.datetimes().map(lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S GMT"))
)

_DAY_VALUE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIMEX_VALUE = re.compile(
    r"(?:(?:\d{4}|XXXX)(?:-(?:\d{2}|XX)(?:-(?:\d{2}|XX))?|-W(?:\d{2}|XX)(?:-(?:[1-7]|WE))?|-Q[1-4]|-H[12]"
    r"|-(?:SP|SU|FA|WI))?|\d{2,3})(?:T(?:\d{2}:\d{2}|MO|AF|EV|NI))?"
    r"|PRESENT_REF|PAST_REF|FUTURE_REF"
    r"|P(?:\d+|X)(?:Y|M|W|D|DE|CE|Q|H)(?:\d+[MDH])?(?:T\d+H)?|PT(?:\d+|X)[HMS](?:\d+[MS])?"
)


def assert_valid_timex(value: str) -> None:
    assert _TIMEX_VALUE.fullmatch(value), value
    day = _DAY_VALUE.match(value)
    if day:
        date.fromisoformat(day.group(0))  # a real day: no 2023-02-30, no year 0
    month = re.match(r"\d{4}-(\d{2})(?!\d)", value)
    if month:
        assert 1 <= int(month.group(1)) <= 12, value
    week = re.match(r"\d{4}-W(\d{2})", value)
    if week:
        assert 1 <= int(week.group(1)) <= 53, value


def assert_spans_of(text: str, spans: tuple[Span, ...] | list[TimeRef]) -> None:
    for span in spans:
        assert 0 <= span.start < span.end <= len(text), span
        assert text[span.start : span.end] == span.text, span


# -- readers -----------------------------------------------------------------------------------------------------


# Random text in the shape of a feed entry and of a web page, so that it reaches the parsers' inner paths.
documents = st.builds(
    "<rss version='2.0'><channel><item><title>{}</title><pubDate>{}</pubDate><description>{}</description>"
    "</item></channel></rss>".format,
    texts,
    dates | texts,
    texts,
) | st.builds(
    "<html><head><title>{}</title><meta property='article:published_time' content='{}'></head>"
    "<body><article><p>{}</p><script>{}</script></article></body></html>".format,
    texts,
    dates | texts,
    texts,
    texts,
)


@FAST
@given(
    data=st.binary(max_size=600) | texts.map(str.encode) | documents.map(str.encode),
    suffix=st.sampled_from(sorted(READERS)),
)
def test_properties_readers_on_any_bytes_give_articles_or_input_errors(data: bytes, suffix: str) -> None:
    path = f"any{suffix}"
    try:
        items = list(READERS[suffix](data, path, SETTINGS.ingest))
    except StorylineError:
        return
    for item in items:
        if isinstance(item, Article):
            assert item.text.strip() and "\x00" not in item.text
            assert item.path and item.path.startswith(path)
            assert item.id == Article.make_id(item.text, item.title, item.url, item.outlet)
        else:
            assert item.path.startswith(path) and item.code and path in item.message


@FAST
@given(
    record=st.dictionaries(
        st.sampled_from(["text", "title", "url", "published", "source", "outlet", "id", "author", "lang"]),
        st.none() | st.booleans() | st.integers() | st.floats() | texts | st.lists(st.integers(), max_size=2) | dates,
    )
)
def test_properties_jsonl_reader_on_any_record(record: dict[str, object]) -> None:
    import json

    data = (json.dumps(record) + "\n").encode()
    items = list(READERS[".jsonl"](data, "any.jsonl", SETTINGS.ingest))
    assert items
    for item in items:
        if isinstance(item, Article) and item.published:
            assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}Z?)?)?)?", item.published), item.published
            assert not is_after(item.published, latest_date(SETTINGS.ingest.max_future_days))


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")


@FAST
@given(moment=st.datetimes(timezones=st.none() | st.timezones()))
def test_properties_metadata_dates_read_back_as_the_same_moment(moment: datetime) -> None:
    parsed = parse_date(moment.isoformat())
    if parsed is None:
        # Only a moment whose UTC day falls outside the calendar (the year 1 east of Greenwich) is unknown.
        offset = moment.utcoffset()
        assert offset is not None and moment.year in (1, 9999), moment
        return
    assert _ISO.fullmatch(parsed), parsed
    expected = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    assert datetime.fromisoformat(parsed.removesuffix("Z")) == expected.replace(microsecond=0)


# -- the time normalizer -----------------------------------------------------------------------------------------


@FAST
@given(text=texts, anchor=anchors)
def test_properties_time_refs_are_spans_of_the_text_with_valid_values(text: str, anchor: date | None) -> None:
    refs = tag_times(text, anchor)
    assert_spans_of(text, refs)
    assert all(first.end <= second.start for first, second in pairwise(refs))
    for ref in time_ranges(refs, text):
        assert_spans_of(text, [ref])
        assert ref.type in ("DATE", "TIME", "DURATION", "SET")
        assert_valid_timex(ref.value)
        if ref.end_value is not None:
            assert_valid_timex(ref.end_value)
            assert ref.end_value >= ref.value, ref


# -- the quote extractor -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_spacy()


@FAST
@given(text=texts)
def test_properties_quote_segments_are_spans_of_the_text(text: str) -> None:
    for segment in quote_segments(text):
        assert 0 <= segment.start < segment.end <= len(text)


@PARSED
@given(text=words)
def test_properties_quotes_are_spans_of_the_text(nlp: Language, text: str) -> None:
    for quote in find_quotes(nlp(text)):
        assert quote.content, quote
        for spans in (quote.content, quote.cue, quote.source):
            assert_spans_of(text, spans)


# -- the fact aligner --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scorer() -> ParaphraseScorer:
    return ParaphraseScorer(load_paraphrase_model(SETTINGS.embed.model))


def _article(number: int, text: str, published: date | None, outlet: str | None) -> Article:
    sentences = split_sentences(text, "en", SETTINGS.nlp)
    published_text = published.isoformat() if published else None
    times = tuple(time_ranges(tag_times(text, anchor_date(published_text)), text))
    article = Article(id=f"a-{number:016x}", text=text, outlet=outlet, published=published_text)
    return replace(article, sentences=sentences, times=times)


@PARSED
@given(
    bodies=st.lists(
        st.tuples(words.filter(str.strip), st.none() | st.dates(), st.sampled_from([None, "one.com", "two.org"])),
        min_size=1,
        max_size=4,
    ),
    seed=st.integers(0, 2**32 - 1),
    close=st.floats(0.0, 1.0),
)
def test_properties_facts_cite_real_sentences_once_per_article(
    scorer: ParaphraseScorer, bodies: list[tuple[str, date | None, str | None]], seed: int, close: float
) -> None:
    articles = [_article(n, text, published, outlet) for n, (text, published, outlet) in enumerate(bodies)]
    sentences = fact_sentences(articles)
    # Vectors near one shared direction (``close`` of the way), so that some pairs pass the cosine floors.
    rng = np.random.default_rng(seed)
    dimensions = 512
    shared = rng.standard_normal(dimensions)
    raw = close * shared + (1 - close) * rng.standard_normal((len(sentences), dimensions))
    vectors = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)
    facts = event_facts("e-0", articles, sentences, vectors, scorer, SETTINGS.facts)
    event(f"facts found: {bool(facts)}")
    by_id = {a.id: a for a in articles}
    for fact in facts:
        assert len(fact.sources) >= 2
        cited_articles = [c.article for c in fact.sources]
        assert len(set(cited_articles)) == len(cited_articles), "one sentence per article per fact"
        for citation in fact.sources:
            sentence = by_id[citation.article].sentences[citation.sentence]
            assert sentence.index == citation.sentence and sentence.text == citation.text
        assert fact.text in {c.text for c in fact.sources}
        assert 1 <= fact.independent_outlets <= fact.outlets <= len(fact.sources)
        assert fact.origin is None or fact.origin in cited_articles
