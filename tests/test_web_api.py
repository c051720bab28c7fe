"""The REST API over a real store (the sample, ingested once): lists, filters, pages, the report contract,
uploads behind a token, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyline.report import validate_report
from storyline.web import create_app

from .conftest import copy_store, web_settings

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def client(served_db: Path) -> TestClient:
    return TestClient(create_app(web_settings(served_db), token=TOKEN))


def _events(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/events", params=params)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def _visit(client: TestClient) -> dict[str, Any]:
    """The event of the March 2023 visit: the one with the most articles."""
    return max(_events(client), key=lambda e: e["articles"])


def test_events_are_listed_latest_first_with_what_a_list_shows(client: TestClient) -> None:
    events = _events(client)
    assert len(events) == 3  # the visit, the visit "next year", the harbour strike
    last_seen = [e["last_seen"] or "" for e in events]
    assert last_seen == sorted(last_seen, reverse=True)
    visit = _visit(client)
    assert visit["articles"] == 5  # four outlets and the fifth of tests/fixtures/conflicts
    assert visit["corroboration"] >= 4  # the visit dates: one fact, four outlets or more
    assert "themoscowtimes.com" in visit["outlets"]
    assert visit["lead"]


def test_cursor_pages_cover_every_event_once(client: TestClient) -> None:
    seen, cursor = [], None
    for _ in range(5):
        response = client.get("/api/events", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [e["id"] for e in response["events"]]
        cursor = response["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(e["id"] for e in _events(client))
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "Ushakov"}, {"visit"}),
        ({"q": "harbour dockers"}, {"harbour"}),
        ({"outlet": "example.org"}, {"harbour"}),
        ({"where": "lean:independent"}, {"visit"}),
        ({"min_outlets": 4}, {"visit"}),
        ({"since": "2024-01-01"}, {"next year"}),
        ({"until": "2022-12-31"}, {"harbour"}),
    ],
)
def test_filters(client: TestClient, params: dict[str, Any], expected: set[str]) -> None:
    names = {"visit": _visit(client)["id"]}
    for e in _events(client):
        if "harbour" in e["title"].lower():
            names["harbour"] = e["id"]
        elif e["id"] != names["visit"]:
            names["next year"] = e["id"]
    assert {e["id"] for e in _events(client, **params)} == {names[n] for n in expected}


def test_entity_filter_and_page(client: TestClient) -> None:
    (putin,) = [
        e for e in client.get("/api/entities", params={"q": "Putin"}).json()["entities"] if e["type"] == "PERSON"
    ]
    events = _events(client, entity=putin["id"])
    assert _visit(client)["id"] in {e["id"] for e in events}
    page = client.get(f"/api/entities/{putin['id']}").json()
    assert page["name"] == "Vladimir Putin"
    assert "Russian dictator" in {label["label"] for label in page["labels"]}


def test_event_report_follows_the_contract(client: TestClient) -> None:
    report = client.get(f"/api/events/{_visit(client)['id']}").json()
    validate_report(report)
    (event,) = report["events"]
    assert max(f["independent_outlets"] for f in event["facts"]) >= 4
    assert [c["kind"] for c in event["conflicts"]] == ["conflict"]  # the fifth outlet's March 21-23
    cited = {(s["article"], s["sentence"]) for line in event["summary"] for s in line["sources"]}
    sentences = {a["id"]: a["sentences"] for a in report["articles"]}
    assert cited and all(article in sentences and index < len(sentences[article]) for article, index in cited)


def test_article_storyline_outlets_and_search(client: TestClient) -> None:
    visit = _visit(client)
    first_article = client.get(f"/api/events/{visit['id']}").json()["events"][0]["articles"][0]
    article = client.get(f"/api/articles/{first_article}").json()
    assert article["sentences"] and len(article["paragraphs"]) == len(article["sentences"])
    storyline = client.get(f"/api/storylines/{visit['storyline']}").json()
    assert visit["id"] in [e["id"] for e in storyline["events"]] and len(storyline["events"]) == 2
    outlets = {o["outlet"]: o for o in client.get("/api/outlets").json()["outlets"]}
    assert outlets["themoscowtimes.com"]["lean"] == "independent"
    found = client.get("/api/search", params={"q": "Ushakov"}).json()
    hit = found["articles"][0]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end].lower() == "ushakov"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/events/e-0000000000000000", 404),
        ("/api/articles/nope", 404),
        ("/api/storylines/nope", 404),
        ("/api/entities/nope", 404),
        ("/api/events?limit=0", 422),
        ("/api/events?limit=100000", 422),
        ("/api/events?since=yesterday", 422),
        ("/api/events?cursor=not-a-cursor", 400),
        ("/api/events?where=lean", 422),
        ("/api/events?where=colour:red", 400),
        ("/api/search?q=", 422),
    ],
)
def test_bad_requests_get_clear_errors(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["detail"]


def test_uploads_need_the_token(client: TestClient) -> None:
    body = {"articles": [{"text": "Something happened.", "title": "t"}]}
    assert client.post("/api/articles", json=body).status_code == 401
    assert client.post("/api/articles", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/articles", json={"articles": []}, headers=_auth()).status_code == 422
    # No token configured: no uploads at all.
    closed = TestClient(create_app(web_settings(Path(client.app.state.stores.path)), token=""))  # type: ignore[attr-defined]
    assert closed.post("/api/articles", json=body, headers=_auth()).status_code == 403


def test_body_size_is_limited(client: TestClient) -> None:
    response = client.post("/api/articles", content=b"x", headers={**_auth(), "content-length": str(10**9)})
    assert response.status_code == 413


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_upload_runs_the_pipeline_and_is_idempotent(served_db: Path, tmp_path: Path) -> None:
    copy = copy_store(served_db, tmp_path / "upload.db")
    client = TestClient(create_app(web_settings(copy), token=TOKEN))
    articles_before = sum(e["articles"] for e in _events(client))
    article = {
        "title": "Xi Jinping arrives in Moscow for talks with Putin",
        "outlet": "example.net",
        "published": "2023-03-20T12:00:00Z",
        "text": "Chinese President Xi Jinping arrived in Moscow on Monday for a three-day state visit, "
        "his first trip to Russia since the invasion of Ukraine. Xi and Russian President Vladimir Putin "
        "will hold talks on Tuesday, the Kremlin said.",
    }
    first = client.post("/api/articles", json={"articles": [article]}, headers=_auth())
    assert first.status_code == 200, first.text
    assert first.json()["added"] == 1
    again = client.post("/api/articles", json={"articles": [article]}, headers=_auth()).json()
    assert again["added"] == 0
    after = _events(client)
    assert sum(e["articles"] for e in after) == articles_before + 1
    # Stored, clustered and analysed: its event lists its outlet.
    assert [e for e in after if "example.net" in e["outlets"]]
    files = client.post(
        "/api/articles/files",
        files=[("files", ("../../etc/evil.bin", b"\x00\x01binary", "application/octet-stream"))],
        headers=_auth(),
    ).json()
    assert files["added"] == 0 and files["failed"] and "evil.bin" in files["failed"][0]
    assert "storyline-upload" not in files["failed"][0]  # errors name the upload, not the server's copy
