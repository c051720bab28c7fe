from __future__ import annotations

from dataclasses import replace

import pytest

from storyline.config import Settings
from storyline.nlp.language import detect_language
from storyline.nlp.sentences import split_sentences


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
