from __future__ import annotations

from storyline.model import Article, Sentence, content_id, normalize_text


def test_model_article_id_is_stable_across_whitespace_and_unicode_forms() -> None:
    a = Article.make_id("Xi  visits\nMoscow.", "Title", None, None)
    b = Article.make_id("Xi visits Moscow.", "Title", None, None)
    c = Article.make_id("Xi visits Moscow.", "Title", None, "themoscowtimes.com")
    assert a == b
    assert a != c, "the same text from another outlet is another article"
    assert a.startswith("a-") and len(a) == 18


def test_model_content_id_distinguishes_parts() -> None:
    assert content_id("e", "ab", "c") != content_id("e", "a", "bc")
    assert content_id("e", None) == content_id("e", "")


def test_model_normalize_text_folds_compatibility_characters() -> None:
    assert normalize_text("ﬁve\u00a0days ") == "five days"


def test_model_headline_prefers_title_then_first_sentence() -> None:
    sentence = Sentence(index=0, start=0, end=9, paragraph=0, text="First one.")
    assert Article(id="a", text="First one. Second.", title="T").headline == "T"
    assert Article(id="a", text="First one. Second.", sentences=(sentence,)).headline == "First one."
    assert Article(id="a", text="Line one\n\nLine two").headline == "Line one"
