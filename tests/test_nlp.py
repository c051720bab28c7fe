from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from storyline.config import Settings
from storyline.nlp.language import detect_language
from storyline.nlp.sentences import split_sentences

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_sentences_offsets_index_the_text_exactly(settings: Settings) -> None:
    text = (
        "U.S. President Joe Biden met Mr. Xi on Feb. 24 in Washington. They talked for 2.5 hours.\n\n"
        '"We will see," he said. "Talks go on."\n\nA last paragraph without a full stop'
    )
    sentences = split_sentences(text, "en", settings.nlp)
    assert [s.text for s in sentences] == [
        "U.S. President Joe Biden met Mr. Xi on Feb. 24 in Washington.",
        "They talked for 2.5 hours.",
        '"We will see," he said.',
        '"Talks go on."',
        "A last paragraph without a full stop",
    ]
    assert [s.index for s in sentences] == [0, 1, 2, 3, 4]
    assert [s.paragraph for s in sentences] == [0, 0, 1, 1, 2]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_sentences_cover_every_word(settings: Settings) -> None:
    text = "Prices rose 3.4% in Q1... Analysts (e.g. at Barclays) expected less!? Really.\n\nNext: more."
    sentences = split_sentences(text, "en", settings.nlp)
    assert "".join(s.text for s in sentences).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_sentences_chinese_uses_its_own_rules(settings: Settings) -> None:
    text = "韩国女团在联合国讲话。她们呼吁应对气候变化！活动很成功。"
    assert len(split_sentences(text, "zh", settings.nlp)) == 3


def test_sentences_unknown_language_falls_back(settings: Settings) -> None:
    text = "Perdana Menteri berkata begitu. Kerajaan akan umumkan pakej baharu."
    assert len(split_sentences(text, "ms", settings.nlp)) == 2
    assert len(split_sentences(text, None, settings.nlp)) == 2


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Chinese President Xi Jinping will pay an official visit to Moscow from March 20 to 22.", "en"),
        ("韩国人气女团 Blackpink与美国诗人阿曼达·戈尔曼19日在联合国一道呼吁人们采取措施，推动治理气候变化。", "zh"),
        ("Das Hafenfest in Kiel zog am Wochenende mehr als 200.000 Besucher an, teilte die Stadt mit.", "de"),
    ],
)
def test_language_detected(settings: Settings, text: str, lang: str) -> None:
    assert detect_language(text, settings.nlp) == lang


def test_language_short_text_is_unknown(settings: Settings) -> None:
    assert detect_language("Breaking news", settings.nlp) is None


def test_language_restricted_to_configured_set(settings: Settings) -> None:
    nlp = replace(settings.nlp, languages=("en", "fr"))
    assert detect_language("Das Hafenfest in Kiel zog am Wochenende mehr als 200.000 Besucher an.", nlp) in {
        "en",
        "fr",
    }


# Abbreviations before periods, in every position pysbd's substitutions look at: start of line, after a space,
# case variants (and the non-ASCII letters that match ASCII ones case-insensitively), inside longer words,
# before numbers, parentheses and capitals.
_ABBREVIATION_CASES = [
    "Dr. Smith met Gen. Jones and Sen. Brown. No. 5 was St. Louis, not Mt. Hood. The U.S. Army left.",
    "The first. Most sT. albans (p. 12) and pp. 3-4 say so. Art. 5 of the Mo. code; Fig. (2) shows it.",
    "Co. Ltd. Inc. agreed. It was 5 p.m. Jan. 3 in Calif. The Rev. said: ſt. Louis and Kan. City.",
    "Prof. İD. Is. no. NO. nO.\nNo. 1 on a new line. e.g. this, i.e. that. ph.d. and Ph.D. holders.",
    "vs. The v. Smith case. Messrs. Hill and Ward. ms. ms. MS. Ms. Jones. etc. etc. Etc. and so on.",
    # Sentences said twice, and the spaces after them of every kind (tab, no-break, ideographic, zero-width).
    "Yes. Yes. No.  Yes.\tNo.\u00a0No.\u3000Yes.\u200bYes. Yes.   ",
    "It rained. It rained. It rained.\nIt rained.",
]


@pytest.mark.parametrize("lang", ["en", "fr", "es", "de", "ar", "it", "zh"])
def test_sentences_shortcuts_split_as_pysbd(settings: Settings, lang: str) -> None:
    # The abbreviation pass skips abbreviations no period follows, and sentences are placed in the text without a
    # pattern each: pysbd's own code must split the same.
    from pysbd.abbreviation_replacer import AbbreviationReplacer
    from pysbd.segmenter import Segmenter

    from storyline.nlp import sentences

    texts = [*_ABBREVIATION_CASES, *(path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.txt")))]
    spans = Segmenter(language=lang, clean=False, char_span=True)

    def segmented() -> list[list[tuple[str, int, int]]]:
        return [[(s.sent, s.start, s.end) for s in spans.segment(text)] for text in texts]

    fast, fast_spans = [split_sentences(text, lang, settings.nlp) for text in texts], segmented()
    # The shortcuts are the ones in use.
    assert AbbreviationReplacer.search_for_abbreviations_in_string is sentences._search_abbreviations
    assert Segmenter.sentences_with_char_spans is sentences._sentences_with_char_spans
    AbbreviationReplacer.search_for_abbreviations_in_string = sentences._SEARCH_ABBREVIATIONS  # type: ignore[method-assign]
    Segmenter.sentences_with_char_spans = sentences._SENTENCES_WITH_CHAR_SPANS  # type: ignore[method-assign]
    try:
        reference, reference_spans = [split_sentences(text, lang, settings.nlp) for text in texts], segmented()
    finally:
        AbbreviationReplacer.search_for_abbreviations_in_string = sentences._search_abbreviations  # type: ignore[method-assign]
        Segmenter.sentences_with_char_spans = sentences._sentences_with_char_spans  # type: ignore[method-assign]
    assert fast == reference and fast_spans == reference_spans
    assert sum(len(s) for s in fast) > 5 * len(texts)
