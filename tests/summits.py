"""A synthetic news stream that tests share: reports of summits between two leaders, several outlets each, a few
undated, a few wire copies, with sentences of the bundled sample as background."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from .conftest import EXAMPLES

SEED = 19

# What the synthetic news is made of: summits of two leaders, in a city, about a topic, every ten days of 2023.
_LEADERS = [
    "Olaf Scholz", "Emmanuel Macron", "Rishi Sunak", "Giorgia Meloni", "Pedro Sanchez", "Narendra Modi",
    "Fumio Kishida", "Lula da Silva", "Cyril Ramaphosa", "Anthony Albanese", "Justin Trudeau", "Recep Tayyip Erdogan",
    "Yoon Suk Yeol", "Joko Widodo", "Andrzej Duda", "Mark Rutte",
]  # fmt: skip
_CITIES = [
    "Berlin", "Paris", "London", "Rome", "Madrid", "New Delhi", "Tokyo", "Brasilia", "Pretoria", "Canberra", "Ottawa",
    "Ankara", "Seoul", "Jakarta", "Warsaw", "The Hague", "Nairobi", "Hanoi", "Lima", "Oslo",
]  # fmt: skip
_TOPICS = [
    ("trade", "a trade agreement cutting tariffs on steel and grain"),
    ("energy", "a pipeline deal for liquefied natural gas"),
    ("climate", "a pledge to phase out coal power plants by 2035"),
    ("defence", "a joint order of air defence systems"),
    ("migration", "a plan to process asylum claims at the border"),
    ("health", "a vaccine production partnership"),
    ("space", "a shared satellite launch programme"),
    ("fisheries", "new quotas for cod and herring"),
]
_OUTLETS = [
    "reuters.com", "apnews.com", "bbc.co.uk", "theguardian.com", "dw.com", "france24.com", "aljazeera.com",
    "nytimes.com", "lemonde.fr", "elpais.com", "scmp.com", "japantimes.co.jp",
]  # fmt: skip
_VERBS = ["said", "told reporters", "announced", "confirmed"]
_FIRST_DAY = datetime(2023, 1, 2)


def _sample_sentences() -> list[str]:
    """Sentences of the bundled sample articles, as background that reports carry beside their news."""
    found = []
    for path in sorted(EXAMPLES.glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").split("\n"):
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", paragraph):
                if 60 < len(sentence) < 300 and "http" not in sentence and "Original url" not in sentence:
                    found.append(sentence)
    return found


def summit_reports(seed: int, events: int = 42) -> list[dict[str, str]]:
    """A few hundred reports of ``events`` summits, in shuffled order: several outlets each, a few undated,
    a few wire copies (the same text under another outlet)."""
    rng = random.Random(seed)
    background = _sample_sentences()
    records: list[dict[str, str]] = []
    for event in range(events):
        host, guest = rng.sample(_LEADERS, 2)
        city = rng.choice(_CITIES)
        key, topic = rng.choice(_TOPICS)
        held = _FIRST_DAY + timedelta(days=9 * event)
        facts = [
            f"{guest} arrived in {city} on {{weekday}} for talks with {host} on {topic}.",
            f"The two leaders signed {topic}, worth {rng.randint(2, 90)} billion dollars, officials in {city} "
            f"{rng.choice(_VERBS)}.",
            f'"This is a new chapter for our countries," {host} {rng.choice(_VERBS)} at a press conference in {city}.',
            f"Critics of {guest} warned that the {key} deal could cost thousands of jobs.",
            f"{host} and {guest} agreed to meet again next year to review progress on {key}.",
            f"Protesters gathered outside the venue in {city}, demanding more transparency on the {key} talks.",
        ]
        titles = [
            f"{guest} visits {city} for {key} talks with {host}",
            f"{host} and {guest} sign {key} deal in {city}",
            f"{city} talks: {host}, {guest} agree on {key}",
        ]
        for report in range(rng.randint(3, 7)):
            weekday = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday"])
            body = [f.replace("{weekday}", weekday) for f in rng.sample(facts, rng.randint(2, 4))]
            body += rng.sample(background, rng.randint(0, 2))
            outlet = rng.choice(_OUTLETS)
            record = {"id": f"summit{event:02d}-{report}", "title": rng.choice(titles), "outlet": outlet,
                      "text": "\n".join(body)}  # fmt: skip
            if rng.random() > 0.05:
                published = held + timedelta(days=rng.randint(0, 3), hours=rng.randint(6, 22))
                record["published"] = published.strftime("%Y-%m-%dT%H:%M:%SZ")
            records.append(record)
            if rng.random() < 0.05:
                copier = rng.choice([o for o in _OUTLETS if o != outlet])
                records.append(record | {"id": record["id"] + "-wire", "outlet": copier})
    rng.shuffle(records)
    return records
