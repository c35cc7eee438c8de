"""A seeded synthetic news corpus and claims about it, for end-to-end runs at scale."""

from __future__ import annotations

import random
from datetime import date, timedelta

CITIES = [
    "Arlen",
    "Brisk",
    "Corvale",
    "Dunmore",
    "Eastwick",
    "Farrow",
    "Glenholm",
    "Harwick",
    "Ilford",
    "Jarrow",
    "Kestrel",
    "Lowmoor",
    "Marden",
    "Northby",
    "Oakridge",
    "Pellham",
    "Quarry",
    "Redcliff",
    "Stanmore",
    "Tarnby",
]
OUTLETS = ["Valley Wire", "Coastal Herald", "Metro Broadcast", "Civic Ledger", "Open Data Desk"]
EVENTS = [
    ("bridge", "The {city} river bridge reopened to traffic on {day} after {n} months of repairs."),
    ("budget", "The {city} council approved a budget of {n} million euros on {day}."),
    ("school", "Officials in {city} opened {n} new primary schools on {day}."),
    ("flood", "Floods in {city} forced {n} hundred residents from their homes on {day}."),
    ("trains", "Rail operators in {city} added {n} extra trains a day from {day}."),
]
FILLER = [
    "Local reporters spoke to residents about the change.",
    "The regional government declined to comment further.",
    "Critics said the decision came too late.",
    "A spokesperson promised an update next month.",
]


def _day(rng: random.Random) -> date:
    return date(2021, 1, 1) + timedelta(days=rng.randrange(0, 730))


def corpus(size: int = 1000, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    documents = []
    for i in range(size):
        city, (topic, template) = rng.choice(CITIES), rng.choice(EVENTS)
        published = _day(rng)
        fact = template.format(city=city, n=rng.randint(2, 40), day=f"{published.day} {published:%B %Y}")
        text = " ".join([fact, *rng.sample(FILLER, 2), f"Dispatch {i}."])
        documents.append(
            {
                "id": f"syn-{i:05d}",
                "url": f"https://synthetic.example/{topic}/{i}",
                "outlet": rng.choice(OUTLETS),
                "published": published.isoformat(),
                "title": f"{city} {topic} news",
                "text": text,
            }
        )
    return documents


def claims(size: int = 50, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(size):
        city, (_, template) = rng.choice(CITIES), rng.choice(EVENTS)
        said = _day(rng)
        text = template.format(city=city, n=rng.randint(2, 40), day="last week").rstrip(".")
        out.append({"id": f"c{i:03d}", "claim": text, "claimant": "A. Speaker", "date": said.isoformat()})
    return out
