"""Quote and attribution extraction, on invented sentences, and its PolNeAR-style evaluator."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path

import pytest
from spacy.language import Language

from storyline.analyze.quotes import event_quotes, quote_text
from storyline.config import Settings
from storyline.errors import InputError
from storyline.evaluate.quotes import evaluate_quotes, format_quotes, normalized
from storyline.model import Mention, Quote, Span
from storyline.nlp.analysis import speaker_entity
from storyline.nlp.quotes import find_quotes, quote_segments
from storyline.nlp.spacy_pipeline import load_spacy
from storyline.report.render import as_said
from storyline.store import SQLiteStore

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_spacy()


def quotes_of(nlp: Language, text: str) -> list[Quote]:
    return find_quotes(nlp(text))


def only_direct(nlp: Language, text: str) -> Quote:
    found = [q for q in quotes_of(nlp, text) if q.direct]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ('"We will rebuild the bridge by spring," Mayor Maria Lopez said.', '"We will rebuild the bridge by spring,"'),
        ("“We will rebuild the bridge by spring,” Mayor Maria Lopez said.", "“We will rebuild the bridge by spring,”"),
        ("‘We will rebuild the bridge by spring,’ Mayor Maria Lopez said.", "‘We will rebuild the bridge by spring,’"),
        ("«We will rebuild the bridge by spring», Mayor Maria Lopez said.", "«We will rebuild the bridge by spring»"),
        ("„We will rebuild the bridge by spring“, Mayor Maria Lopez said.", "„We will rebuild the bridge by spring“"),
        (
            "``We will rebuild the bridge by spring,'' Mayor Maria Lopez said.",
            "``We will rebuild the bridge by spring,''",
        ),
        (
            "''We will rebuild the bridge by spring,'' Mayor Maria Lopez said.",
            "''We will rebuild the bridge by spring,''",
        ),
        ("'We will rebuild the bridge by spring,' Mayor Maria Lopez said.", "'We will rebuild the bridge by spring,'"),
    ],
)
def test_quotes_every_quote_mark_style(nlp: Language, text: str, content: str) -> None:
    quote = only_direct(nlp, text)
    assert [span.text for span in quote.content] == [content]
    assert [span.text for span in quote.cue] == ["said"]
    assert [span.text for span in quote.source] == ["Mayor Maria Lopez"]
    assert quote.speaker == "Maria Lopez"


@pytest.mark.parametrize(
    ("text", "cue", "source"),
    [
        ("Maria Lopez said: “The bridge will reopen in May.”", "said", "Maria Lopez"),
        ("Maria Lopez told reporters, “The bridge will reopen in May.”", "told", "Maria Lopez"),
        ("“The bridge will reopen in May,” said Maria Lopez, the mayor of the city.", "said", "Maria Lopez"),
        ("“The bridge will reopen in May.” — Maria Lopez", "—", "Maria Lopez"),
        ("Maria Lopez wrote on Twitter:\n\n“The bridge will reopen in May.”", "wrote", "Maria Lopez"),
    ],
)
def test_quotes_speaker_before_after_dash_and_lead_in(nlp: Language, text: str, cue: str, source: str) -> None:
    quote = only_direct(nlp, text)
    assert [span.text for span in quote.content] == ["“The bridge will reopen in May.”"] or quote.content[0].text == (
        "“The bridge will reopen in May,”"
    )
    assert [span.text for span in quote.cue] == [cue]
    assert quote.source[0].text.startswith(source)
    assert quote.speaker == "Maria Lopez"


def test_quotes_colon_lead_in_without_verb(nlp: Language) -> None:
    quote = only_direct(nlp, "From the mayor’s office:\n\n“The bridge will reopen in May.”")
    assert [span.text for span in quote.cue] == [":"]
    assert [span.text for span in quote.source] == ["the mayor’s office"]


def test_quotes_speaker_in_the_middle_joins_both_pieces(nlp: Language) -> None:
    quote = only_direct(nlp, "“The bridge will reopen in May,” Lopez said. “We have the money.”")
    assert [span.text for span in quote.content] == ["“The bridge will reopen in May,”", "“We have the money.”"]
    assert [span.text for span in quote.source] == ["Lopez"]


def test_quotes_running_over_several_paragraphs(nlp: Language) -> None:
    text = (
        "Maria Lopez spoke to the council on Tuesday.\n\n"
        "“The bridge will reopen in May,” Lopez said. “We have the money.\n\n"
        "“The contractor starts on Monday. He has promised to finish by the autumn.”\n\n"
        "The council voted to approve the plan."
    )
    quote = only_direct(nlp, text)
    assert [span.text for span in quote.content] == [
        "“The bridge will reopen in May,”",
        "“We have the money.",
        "“The contractor starts on Monday. He has promised to finish by the autumn.”",
    ]
    assert quote.speaker == "Maria Lopez"  # the partial name expanded


def test_quote_segments_pair_marks_and_skip_apostrophes() -> None:
    text = 'The mayor\'s plan, called \'Bridges First\', won. "It\'s done," she said.\n\n"One.\n\n"Two."'
    segments = [text[s.start : s.end] for s in quote_segments(text)]
    assert segments == ["'Bridges First'", '"It\'s done,"', '"One.', '"Two."']
    groups = [s.group for s in quote_segments(text)]
    assert groups[2] == groups[3] != groups[1]


@pytest.mark.parametrize(
    ("text", "cue", "source", "content"),
    [
        ("Maria Lopez said that the bridge would reopen in May.", "said", "Maria Lopez",
         ["that the bridge would reopen in May"]),
        ("Maria Lopez told reporters the bridge would reopen in May.", "told", "Maria Lopez",
         ["the bridge would reopen in May"]),
        ("The bridge will reopen in May, Maria Lopez said.", "said", "Maria Lopez", ["The bridge will reopen in May"]),
        ("The bridge, Maria Lopez said, will reopen in May.", "said", "Maria Lopez",
         ["The bridge", "will reopen in May"]),
        ("According to Maria Lopez, the bridge will reopen in May.", "According to", "Maria Lopez",
         ["the bridge will reopen in May"]),
        ("Maria Lopez warned that repairs could take longer.", "warned", "Maria Lopez",
         ["that repairs could take longer"]),
        ("John Carter claimed the costs were too high.", "claimed", "John Carter", ["the costs were too high"]),
        ("The union argued that workers needed more time.", "argued", "The union", ["that workers needed more time"]),
        ("John Carter denied the report.", "denied", "John Carter", ["the report"]),
        ("The council announced a new budget.", "announced", "The council", ["a new budget"]),
        ("Officials said the bridge was safe.", "said", "Officials", ["the bridge was safe"]),
    ],
)  # fmt: skip
def test_quotes_indirect_speech(nlp: Language, text: str, cue: str, source: str, content: list[str]) -> None:
    (quote,) = quotes_of(nlp, text)
    assert not quote.direct
    assert [span.text for span in quote.cue] == [cue]
    assert [span.text for span in quote.source] == [source]
    assert [span.text for span in quote.content] == content


def test_quotes_passive_report_has_no_source(nlp: Language) -> None:
    (quote,) = quotes_of(nlp, "It was reported that the bridge had been closed.")
    assert quote.source == ()
    assert quote.speaker is None
    assert quote.content[0].text == "that the bridge had been closed"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Maria Lopez visited the site on Monday. She said the work was on schedule.", "Maria Lopez"),
        (
            "Maria Lopez said she was pleased with the work. John Carter, the contractor, said he agreed with her. "
            "“It will be done soon,” she said.",
            "Maria Lopez",
        ),
        ("Dmitry Peskov spoke to journalists on Monday. The spokesman said the talks had stalled.", "Dmitry Peskov"),
        ("Kremlin spokesman Dmitry Peskov said the talks had stalled.", "Dmitry Peskov"),
        ("Dmitry Peskov spoke to journalists on Monday. Later, Peskov said the talks had stalled.", "Dmitry Peskov"),
        (
            "Yuri Ushakov, the Kremlin's foreign policy adviser, met the envoys on Tuesday. "
            "The Kremlin's foreign policy adviser added that a summit was possible.",
            "Yuri Ushakov",
        ),
        ('Yuri Ushakov met the envoys on Tuesday. "The meeting was useful," he said.', "Yuri Ushakov"),
    ],
)
def test_quotes_speaker_resolution(nlp: Language, text: str, speaker: str) -> None:
    assert quotes_of(nlp, text)[-1].speaker == speaker


def test_quotes_a_name_beside_the_sources_noun_is_the_speaker_whatever_its_kind(nlp: Language) -> None:
    text = (
        "The Kremlin said the talks went well. The ministry confirmed the visit, according to the Russian "
        "state-run news agency RIA Novosti."
    )
    (according,) = [q for q in quotes_of(nlp, text) if text[q.cue[0].start : q.cue[0].end] == "according to"]
    assert according.speaker == "RIA Novosti"  # not the Kremlin, the last organisation to speak


def test_quotes_scare_quotes_are_not_direct_quotes(nlp: Language) -> None:
    found = quotes_of(nlp, "The plan, which critics call a “bridge to nowhere,” passed on Monday.")
    assert not any(q.direct for q in found)


def test_quotes_spans_index_the_text_and_are_sorted(nlp: Language) -> None:
    text = "“We are ready,” Lopez said. Carter said the plan was late. According to the council, work starts soon."
    found = quotes_of(nlp, text)
    assert found == quotes_of(nlp, text)  # deterministic
    assert [q.content[0].start for q in found] == sorted(q.content[0].start for q in found)
    for quote in found:
        for span in (*quote.content, *quote.cue, *quote.source):
            assert text[span.start : span.end] == span.text


def test_evaluate_quotes_on_fixture() -> None:
    scores = evaluate_quotes(FIXTURES / "quotes.jsonl")
    assert scores.documents == 2
    assert (scores.direct.gold, scores.all.gold) == (2, 4)
    assert scores.direct.content_overlap.f1 == 1.0
    assert scores.direct.source.f1 == 1.0
    assert scores.all.content_overlap.recall == 1.0
    assert scores.all.content_exact.recall == 1.0
    assert json.loads(json.dumps(dataclasses.asdict(scores)))["direct"]["gold"] == 2
    table = format_quotes(scores)
    assert "direct" in table and "all" in table


def test_normalized_trims_marks_and_merges_touching_spans() -> None:
    text = "“A b,” he said. “C d.”"
    assert normalized(text, [(0, 6), (16, 22)]) == ((1, 4), (17, 20))
    assert normalized(text, [(0, 3), (3, 6)]) == ((1, 4),)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("{not json", "*"),
        ('{"id": "x", "attributions": []}', "text"),
        ('{"id": "x", "text": "Hi.", "attributions": [{"content": [], "source": null, "cue": []}]}',
         "attributions.is_direct_quote"),
        ('{"id": "x", "text": "Hi.", "attributions": [{"content": [{"start": 0, "end": 99}], "source": null, '
         '"cue": [], "is_direct_quote": false}]}', "attributions.content"),
    ],
)  # fmt: skip
def test_evaluate_quotes_bad_line_names_file_and_line(tmp_path: Path, line: str, field: str) -> None:
    path = tmp_path / "bad.jsonl"
    good = (FIXTURES / "quotes.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        evaluate_quotes(path)
    assert "bad.jsonl" in str(raised.value) and "line 2" in str(raised.value)
    assert f"'{field}'" in str(raised.value)


def test_quotes_reported_clause_keeps_a_pronoun_subject_the_parse_made_an_object(nlp: Language) -> None:
    # The small model reads "claimed it would work" as "claimed [it]" + a subjectless clause.
    text = "The plan was criticized by President Joe Biden, who claimed it would likely only work in Russia's favor."
    (quote,) = quotes_of(nlp, text)
    assert [span.text for span in quote.content] == ["it would likely only work in Russia's favor"]
    assert quote.speaker == "Joe Biden"


def test_quotes_role_noun_source_is_not_a_name_inside_the_statement(nlp: Language) -> None:
    text = (
        "China's President Xi Jinping will make an official visit to Russia next year, "
        "the Kremlin's ambassador to Beijing said on Dec. 27."
    )
    (quote,) = quotes_of(nlp, text)
    assert [span.text for span in quote.source] == ["the Kremlin's ambassador to Beijing"]
    assert quote.speaker != "Xi Jinping"


# ---------------------------------------------------------------- issue 16: who said what


@pytest.mark.parametrize(
    ("text", "speech"),
    [
        ("Beijing looks to show support for the Russian president.", False),
        ("The Kremlin also announced a calendar of the upcoming meetings.", False),
        ("Beijing has denied allegations of aiding the war effort.", False),
        ("John Carter denied the report.", False),
        ("Western allies warned Beijing not to do so.", True),
        ("Maria Lopez said that the bridge would reopen in May.", True),
        ('China has criticized its rivals for "exacerbating" the war.', True),
    ],
)
def test_quotes_noun_phrase_objects_are_kept_but_not_speech(nlp: Language, text: str, speech: bool) -> None:
    (quote,) = quotes_of(nlp, text)
    assert quote.speech is speech


def test_quotes_words_of_a_talk_to_come_are_the_announcers(nlp: Language) -> None:
    # The words of a talk to come are those of whoever announced it just before.
    text = (
        "“The visit will take place in March,” the Kremlin said.\n\n"
        "Xi Jinping and Vladimir Putin plan to discuss “deepening cooperation in the international arena.”"
    )
    quote = [q for q in quotes_of(nlp, text) if q.direct][-1]
    assert quote.cue[0].text == "discuss"
    assert quote.speaker == "Kremlin"
    assert [span.text for span in quote.source] == ["the Kremlin"]


@pytest.mark.parametrize(
    ("text", "cue", "content"),
    [
        ("The Kremlin said Xi Jinping and Vladimir Putin will discuss “topical issues of partnership.”", "said",
         "Xi Jinping and Vladimir Putin will discuss “topical issues of partnership.”"),
        ('The Kremlin confirmed the visit, saying the two leaders would discuss "strategic cooperation."', "saying",
         'the two leaders would discuss "strategic cooperation."'),
    ],
)  # fmt: skip
def test_quotes_talk_to_come_announced_by_a_speech_verb_is_its_whole_clause(
    nlp: Language, text: str, cue: str, content: str
) -> None:
    quote = next(q for q in quotes_of(nlp, text) if q.cue[0].text == cue)
    assert [span.text for span in quote.content] == [content]
    assert (quote.speaker, quote.direct, quote.speech) == ("Kremlin", False, True)
    assert not [q for q in quotes_of(nlp, text) if q.direct]  # the quoted words are not a second quote


def test_quotes_role_noun_is_the_person_the_article_gives_that_title(nlp: Language) -> None:
    text = (
        "Yuri Ushakov met the envoys on Tuesday. China's President Xi Jinping will make an official visit to "
        "Russia next year, the Kremlin's ambassador to Beijing said on Dec. 27.\n\n"
        "Speaking to Russian media, Ambassador Igor Morgulov said plans were being drawn up."
    )
    first, second = quotes_of(nlp, text)
    assert [span.text for span in first.source] == ["the Kremlin's ambassador to Beijing"]
    assert first.speaker == second.speaker == "Igor Morgulov"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Multiple U.S. officials have publicly stated that China was considering providing aid.", "U.S. officials"),
        ("Two senior Chinese diplomats said the visit was a priority.", "senior Chinese diplomats"),
        ("Officials said the bridge was safe.", None),  # nothing to say who they are
        # Counted and definite: a group the article has named before.
        ("The two leaders said the talks were productive.", "The two leaders"),
        ("Both leaders said the talks were productive.", "Both leaders"),
    ],
)
def test_quotes_group_of_people_keeps_its_head_noun(nlp: Language, text: str, speaker: str | None) -> None:
    (quote,) = quotes_of(nlp, text)
    assert quote.speaker == speaker


def test_speaker_entity_is_not_what_a_group_belongs_to() -> None:
    text = "Multiple U.S. officials said so."
    source = (Span(0, 23, text[:23]),)
    us = Mention(9, 13, "U.S.", "GPE", "ent-us")
    officials = Quote((Span(24, 31, "said so"),), (), source, False, "U.S. officials")
    assert speaker_entity(officials, (us,)) is None
    # A source the extractor could not name still links to the name inside it ("a statement by the ministry").
    assert speaker_entity(replace(officials, speaker=None), (us,)) == "ent-us"
    ushakov = Mention(0, 12, "Yury Ushakov", "PERSON", "ent-ushakov")
    described = Quote((), (), (Span(0, 40, "Yury Ushakov, the Kremlin's adviser"),), False, "Yury Ushakov, the Kremlin")
    assert speaker_entity(described, (ushakov,)) == "ent-ushakov"


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ('Antony Blinken warned Wang Yi that doing so "would have serious consequences in our relationship."',
         'that doing so "would have serious consequences in our relationship."'),
        ('In the declaration, the two leaders said the "friendship between the two states has no limits."',
         'the "friendship between the two states has no limits."'),
        ('Beijing will "maintain an objective stance on the crisis," the ministry said.',
         'Beijing will "maintain an objective stance on the crisis,"'),
    ],
)  # fmt: skip
def test_quotes_content_has_its_quote_marks_in_pairs(nlp: Language, text: str, content: str) -> None:
    quote = next(q for q in quotes_of(nlp, text) if q.cue[0].text in ("warned", "said"))
    assert [span.text for span in quote.content] == [content]


def _balanced(text: str) -> bool:
    return sum(text.count(mark) for mark in '"“”«»„') % 2 == 0


def test_quotes_sample_who_said_what(ingested: SQLiteStore, settings: Settings) -> None:
    """The defects issue 16 found in the sample's quotes."""
    articles = ingested.articles(with_annotations=True)
    shown = event_quotes(articles, {}, None, settings.report)
    assert shown and all(_balanced(quote["text"]) for quote in shown)
    quotes = {Path(a.path or "").name[:3]: a.quotes for a in articles}

    def said(prefix: str, words: str) -> Quote:
        return next(q for q in quotes[prefix] if any(words in span.text for span in q.content))

    assert not said("001", "support for Russian President").speech
    assert not said("003", "a calendar of").speech
    assert said("002", "deepening Russian–Chinese cooperation").speaker == "Kremlin"
    morgulov = said("004", "will make an official visit")
    assert morgulov.speaker == "Igor Morgulov"
    assert morgulov.entity is not None and ingested.entities([morgulov.entity])[morgulov.entity][0] == "Igor Morgulov"
    officials = said("000", "considering providing lethal aid")
    assert (officials.speaker, officials.entity) == ("U.S. officials", None)


def test_quotes_reported_clause_leaves_out_a_noun_phrase_coordinated_with_it(nlp: Language) -> None:
    text = (
        "The proposal was criticized by Joe Biden, who claimed it would likely only work in Russia's favor, "
        "and other top Western officials."
    )
    (quote,) = quotes_of(nlp, text)
    assert quote.speaker == "Joe Biden"
    assert [span.text for span in quote.content] == ["it would likely only work in Russia's favor"]


def test_quotes_a_statement_inside_a_speakers_statement_is_not_a_second_line(
    ingested: SQLiteStore, settings: Settings
) -> None:
    articles = ingested.articles(with_annotations=True)
    shown = event_quotes(articles, {}, None, settings.report)
    found = [q for a in articles for q in a.quotes if q.speech and not q.direct and not q.speaker]
    assert any("Chinese companies had exported" in quote_text(q) for q in found)  # "data showed that …"
    unattributed = [q["text"] for q in shown if q["speaker_name"] is None]
    assert not [text for text in unattributed if any(text in q["text"] and text != q["text"] for q in shown)]
    assert not any(text.startswith("Chinese companies had exported") for text in unattributed)


@pytest.mark.parametrize(
    ("text", "direct", "shown"),
    [
        ("We will rebuild", True, "“We will rebuild”"),
        ('"exacerbating" the war', True, '"exacerbating" the war'),  # partly quoted: its own marks say which words
        ("the bridge would reopen", False, "the bridge would reopen"),
    ],
)
def test_as_said_puts_quote_marks_around_words_said_verbatim(text: str, direct: bool, shown: str) -> None:
    assert as_said(text, direct) == shown


def test_quotes_a_closing_attribution_hung_on_the_verb_before_is_its_own(nlp: Language) -> None:
    text = (
        "Customs data showed that Chinese companies had exported rifles to Russian entities, Politico reported "
        "on March 16."
    )
    found = {text[q.cue[0].start : q.cue[0].end]: q for q in quotes_of(nlp, text)}
    shown = " ".join(text[c.start : c.end] for c in found["showed"].content)
    assert "Politico" not in shown  # what the data showed, not who reported it
    assert found["reported"].speaker == "Politico"
    assert text[found["reported"].content[0].start :].startswith("Customs data showed")
