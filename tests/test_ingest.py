"""Readers on the sample corpus and on fixtures the project wrote, broken ones included."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from storyline.config import IngestSettings, Settings
from storyline.errors import InputError
from storyline.ingest import Notice, read_inputs
from storyline.model import Article

from .conftest import EXAMPLES, FIXTURES


def read_all(paths: list[str], settings: IngestSettings) -> tuple[list[Article], list[InputError], list[Notice]]:
    items = list(read_inputs(paths, settings))
    return (
        [i for i in items if isinstance(i, Article)],
        [i for i in items if isinstance(i, InputError)],
        [i for i in items if isinstance(i, Notice)],
    )


def read_one(path: Path, settings: Settings) -> Article:
    articles, errors, _ = read_all([str(path)], settings.ingest)
    assert not errors, errors
    (article,) = articles
    return article


def seed(prefix: str) -> Path:
    (path,) = EXAMPLES.glob(f"{prefix}_*.txt")
    return path


# -- the sample corpus --------------------------------------------------------------


def test_ingest_sample_002_has_outlet_url_date_and_title(settings: Settings) -> None:
    article = read_one(seed("002"), settings)
    assert article.outlet == "themoscowtimes.com"
    assert article.url is not None and article.url.startswith("https://www.themoscowtimes.com/2023/03/17/")
    assert article.published == "2023-03-17"
    assert article.published_source == "text"
    assert article.title == "China's Xi to Visit Russia on March 20-22, Kremlin Says"


def test_ingest_sample_002_text_is_clean(settings: Settings) -> None:
    text = read_one(seed("002"), settings).text
    assert "](" not in text and "[announced]" not in text, "markdown links are reduced to their text"
    assert "the Kremlin announced Friday" in text
    assert "Related article" not in text
    assert "Original url" not in text and "https://" not in text
    assert "March 17, 2023\n" not in text, "the dateline is metadata, not body text"
    assert not text.startswith("Putin invited Xi"), "the picture caption with its credit is dropped"
    assert "Putin invited Xi to visit Moscow this spring" in text, "the same sentence in the body stays"


def test_ingest_sample_001_glued_see_also_is_cut_but_body_kept(settings: Settings) -> None:
    text = read_one(seed("001"), settings).text
    assert "SEE ALSO" not in text and "Xi Doubles Down" not in text
    assert "\n\nLast month, China unveiled a peace plan" in text


def test_ingest_sample_003_embed_shortcode_removed(settings: Settings) -> None:
    article = read_one(seed("003"), settings)
    assert "embedpost" not in article.text
    assert article.text.startswith("Xi Jinping, the Chinese leader will go to Moscow next week.")
    assert article.title is None, "a bullet ending in a full stop is not a title"


def test_ingest_sample_004_date_is_honestly_unknown(settings: Settings) -> None:
    article = read_one(seed("004"), settings)
    # "Dec. 27" has no year; nothing else dates the article.
    assert article.published is None and article.published_source is None
    assert article.outlet is None and article.url is None


def test_ingest_sample_folder_reads_five_in_name_order(settings: Settings) -> None:
    articles, errors, notices = read_all([str(EXAMPLES)], settings.ingest)
    assert not errors and not notices
    assert [Path(a.path or "").name[:3] for a in articles] == ["000", "001", "002", "003", "004"]
    assert len({a.id for a in articles}) == 5


def test_ingest_reading_twice_gives_identical_articles(settings: Settings) -> None:
    first, _, _ = read_all([str(EXAMPLES)], settings.ingest)
    second, _, _ = read_all([str(EXAMPLES)], settings.ingest)
    assert first == second


# -- markdown / text ----------------------------------------------------------------


def test_ingest_markdown_fixture(settings: Settings) -> None:
    article = read_one(FIXTURES / "article.md", settings)
    assert article.title == "Tram line to the airport approved"
    assert article.published == "2025-03-07" and article.published_source == "text"
    assert article.url == "https://www.metro-news.net/2025/03/07/tram-airport-approved"
    assert article.outlet == "metro-news.net"
    assert "the transport authority said." in article.text
    assert "*" not in article.text and "![" not in article.text and "tram.jpg" not in article.text
    assert "Related article" not in article.text and "embedpost" not in article.text
    assert "Why Trams Are Back" not in article.text
    assert "Critics also questioned the passenger forecasts" in article.text


def test_ingest_latin1_text_is_decoded_by_detection(settings: Settings) -> None:
    article = read_one(FIXTURES / "latin1.txt", settings)
    assert article.title == "Hafenfest zieht Besucher an"
    assert "Café am Kai" in article.text and "Straßenhändler" in article.text


def test_ingest_utf16_with_bom(settings: Settings) -> None:
    article = read_one(FIXTURES / "utf16.txt", settings)
    assert article.text.startswith("A plain note with no title.")


@pytest.mark.parametrize(
    ("name", "code"),
    [("empty.txt", "E010"), ("binary.txt", "E003"), ("empty-page.html", "E007"), ("broken.rss", "E008")],
)
def test_ingest_broken_file_is_an_error_naming_it(settings: Settings, name: str, code: str) -> None:
    articles, errors, _ = read_all([str(FIXTURES / name)], settings.ingest)
    assert not articles
    (error,) = errors
    assert code in error.message and name in error.message and error.path.endswith(name)


# -- html ---------------------------------------------------------------------------


def test_ingest_html_page_metadata_and_main_text(settings: Settings) -> None:
    article = read_one(FIXTURES / "page.html", settings)
    assert article.title == "Harbour bridge reopens after two years of repairs"
    assert article.url == "https://www.coastal-courier.co.uk/news/2024/05/02/harbour-bridge-reopens"
    assert article.outlet == "coastal-courier.co.uk"
    assert article.author == "Mara Lindqvist"
    assert article.published == "2024-05-02" and article.published_source == "metadata"
    assert "reopened to traffic on Thursday morning" in article.text
    assert "Most read" not in article.text and "All rights reserved" not in article.text


# -- jsonl --------------------------------------------------------------------------


def test_ingest_jsonl_good_lines_stored_bad_lines_reported(settings: Settings) -> None:
    articles, errors, _ = read_all([str(FIXTURES / "articles.jsonl")], settings.ingest)
    assert [a.external_id for a in articles] == ["n1", None, "6"]
    first = articles[0]
    assert first.outlet == "Metro Daily" and first.title == "Council approves budget"
    assert first.published == "2024-06-04T18:20:00" and first.published_source == "metadata"
    assert first.lang == "en" and first.path is not None and first.path.endswith("articles.jsonl#L1")
    assert first.text == "The city council approved a budget of 1.2 billion on Tuesday.\n\nThe vote was 7 to 2."
    codes = sorted(e.message.split("]")[0].strip("[") for e in errors)
    assert codes == ["E005", "E006", "E006", "E014"]
    assert any("line 4" in e.message for e in errors)


# -- feeds --------------------------------------------------------------------------


def test_ingest_rss_entries_use_content_then_summary(settings: Settings) -> None:
    articles, errors, _ = read_all([str(FIXTURES / "feed.rss")], settings.ingest)
    assert [a.title for a in articles] == ["Library extends opening hours", "Road closed for gas works"]
    library, road = articles
    assert library.text.startswith("The central library will stay open until 9 p.m.")
    assert "teaser" not in library.text
    assert library.text.count("\n\n") == 1, "two HTML paragraphs, two text paragraphs"
    assert library.published == "2025-01-14T09:15:00Z" and library.published_source == "feed"
    assert library.outlet == "valleygazette.org" and library.author == "Jon Okafor"
    assert road.text == "Mill Lane will be closed for three weeks while the gas network replaces a main."
    (empty,) = errors
    assert "E004" in empty.message and "#entry3" in empty.path


def test_ingest_atom_entry(settings: Settings) -> None:
    article = read_one(FIXTURES / "feed.atom", settings)
    assert article.outlet == "northstarwire.com"
    assert article.published == "2025-03-02T06:45:00Z"
    assert article.text.endswith("The operator expects to resume on Monday.")


# -- discovery ----------------------------------------------------------------------


def test_ingest_folder_skips_unsupported_files_with_a_warning(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "story.txt").write_text("A short story about a cat that climbed a very tall tree.\n")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / ".hidden.txt").write_text("hidden\n")
    articles, errors, notices = read_all([str(tmp_path)], settings.ingest)
    assert len(articles) == 1 and not errors
    (notice,) = notices
    assert "W001" in notice.message and ".jpg" in notice.message


def test_ingest_glob_and_missing_path(settings: Settings) -> None:
    articles, errors, _ = read_all([str(EXAMPLES / "00[0-1]_*.txt"), "no/such/file.txt"], settings.ingest)
    assert len(articles) == 2
    (error,) = errors
    assert "E009" in error.message and "no/such/file.txt" in error.message


def test_ingest_explicit_unsupported_file_is_an_error(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04")
    _, errors, _ = read_all([str(path)], settings.ingest)
    assert "E002" in errors[0].message and ".docx" in errors[0].message


def test_ingest_oversized_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    from dataclasses import replace

    path = tmp_path / "big.txt"
    path.write_text("word " * 100)
    _, errors, _ = read_all([str(path)], replace(settings.ingest, max_file_bytes=100))
    assert "E018" in errors[0].message


def test_ingest_stdin_is_sniffed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (FIXTURES / "articles.jsonl").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    articles, errors, _ = read_all(["-"], settings.ingest)
    assert len(articles) == 3 and len(errors) == 4
    assert all(a.path and a.path.startswith("<stdin>") for a in articles)
