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


SYLLABLES = "ba ko ri ten mar vel dos lin ar es qua tor sen del fi gra mo ul zan pe ron ix ev an or".split()
FUNCTION_WORDS = "the of and to in a is that for on was with as at by from has said were had after".split()


def wire_story(rng: random.Random, paragraphs: int = 6) -> list[str]:
    """A wire story of made-up words (about 40 a paragraph, none shared with another story but by chance): its
    paragraphs, the first its headline."""

    def sentence() -> str:
        words = [
            w
            for _ in range(rng.randint(8, 14))
            for w in (rng.choice(FUNCTION_WORDS), "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
        ]
        return " ".join(words).capitalize() + "."

    headline = " ".join("".join(rng.choices(SYLLABLES, k=3)) for _ in range(6)).capitalize()
    return [headline, *(" ".join(sentence() for _ in range(2)) for _ in range(paragraphs))]


def syndicated_copy(rng: random.Random, story: list[str]) -> list[str]:
    """The story as another outlet runs it: a new headline, a byline and dateline, its last paragraph cut, two
    paragraphs swapped and a few words changed."""
    headline, *body = story
    body = [f"By {rng.choice(SYLLABLES).title()}{rng.choice(SYLLABLES)} HARWICK (Wire) - {body[0]}", *body[1:-1]]
    body[1], body[2] = body[2], body[1]
    words = "\n\n".join(body).split(" ")
    for at in rng.sample(range(len(words)), 4):
        words[at] = "".join(rng.choices(SYLLABLES, k=3))
    return [f"{headline} {rng.choice(SYLLABLES)}", *" ".join(words).split("\n\n")]


def wire_corpus(stories: int, seed: int) -> tuple[list[dict], dict[str, str]]:
    """Wire stories (``wire-i``), story i carried by i % 4 other outlets with changes (``syndicated_copy``) right
    after it; and the story (its wire id) of each record."""
    rng = random.Random(seed)
    records, story_of = [], {}
    for i in range(stories):
        story = wire_story(rng)
        records.append({"id": f"wire-{i}", "title": story[0], "text": "\n\n".join(story), "outlet": "Wire"})
        story_of[f"wire-{i}"] = f"wire-{i}"
        for outlet in ["Herald", "Gazette", "Courier"][: i % 4]:
            copy = syndicated_copy(rng, story)
            records.append({"id": f"{outlet}-{i}", "title": copy[0], "text": "\n\n".join(copy), "outlet": outlet})
            story_of[f"{outlet}-{i}"] = f"wire-{i}"
    return records, story_of
