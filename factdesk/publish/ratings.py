"""From the four internal AVeriTeC labels to a publication rating scale.

A scale lists its ratings from worst to best (their 1-based position is the ClaimReview ``ratingValue``) and
maps each label to one rating, or to two neighbouring ratings: the first below ``threshold`` confidence, the
second at or above it. A label the scale cannot express maps to no rating ("Not rated", no numeric value).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from factdesk.errors import FactdeskError
from factdesk.records import NOT_ENOUGH_EVIDENCE, VERDICT_LABELS

NOT_RATED = "Not rated"


@dataclass(frozen=True, slots=True)
class Rating:
    name: str
    value: int | None
    worst: int
    best: int


@dataclass(frozen=True)
class RatingScale:
    name: str
    levels: tuple[str, ...]
    mapping: dict[str, tuple[str, ...]]
    threshold: float = 0.8

    def __post_init__(self) -> None:
        for label in VERDICT_LABELS:
            ratings = self.mapping.get(label, ())
            if len(ratings) > 2 or any(r not in self.levels for r in ratings):
                raise FactdeskError(
                    f"rating scale {self.name!r}: {label!r} must map to at most two of its levels {list(self.levels)}"
                )

    @property
    def labels(self) -> tuple[str, ...]:
        """What an editor may rule with: a verdict label, or any of the scale's ratings."""
        return (*VERDICT_LABELS, *self.levels)

    def rate(self, label: str, confidence: float) -> Rating:
        if label not in VERDICT_LABELS:
            raise FactdeskError(f"unknown verdict label {label!r}; expected one of {list(VERDICT_LABELS)}")
        ratings = self.mapping.get(label, ())
        if not ratings:
            return Rating(NOT_RATED, None, 1, len(self.levels))
        return self.level(ratings[-1] if confidence >= self.threshold else ratings[0])

    def level(self, name: str) -> Rating:
        """The rating ``name``, one of the scale's levels."""
        return Rating(name, self.levels.index(name) + 1, 1, len(self.levels))

    def ruling(self, label: str) -> tuple[str, str]:
        """The (verdict label, rating) of an editor's ``label``, in any case: a verdict label with its rating at full
        confidence, or one of the scale's ratings (also those no label maps to, such as "Pants on Fire") with the
        verdict label mapped to the rating nearest it."""
        wanted = label.strip().casefold()
        for verdict in VERDICT_LABELS:
            if verdict.casefold() == wanted:
                return verdict, self.rate(verdict, 1.0).name
        for position, level in enumerate(self.levels):
            if level.casefold() == wanted:
                nearest = [
                    (abs(self.levels.index(rating) - position), verdict)
                    for verdict, ratings in self.mapping.items()
                    for rating in ratings
                ]
                return min(nearest, default=(0, NOT_ENOUGH_EVIDENCE))[1], level
        raise FactdeskError(
            f"label {label!r} is neither a verdict label nor a rating of the {self.name!r} scale; "
            f"valid labels (any case): {', '.join(self.labels)}"
        )


RATING_SCALES: dict[str, RatingScale] = {
    "tfmu": RatingScale(
        "tfmu",
        levels=("False", "Misleading", "Unproven", "True"),
        mapping={
            "Supported": ("True",),
            "Refuted": ("False",),
            "Conflicting Evidence/Cherrypicking": ("Misleading",),
            "Not Enough Evidence": ("Unproven",),
        },
    ),
    # "Pants on Fire" is an editor's call on a ridiculous claim; factdesk never gives it on its own.
    "politifact": RatingScale(
        "politifact",
        levels=("Pants on Fire", "False", "Mostly False", "Half True", "Mostly True", "True"),
        mapping={
            "Supported": ("Mostly True", "True"),
            "Refuted": ("Mostly False", "False"),
            "Conflicting Evidence/Cherrypicking": ("Half True",),
            "Not Enough Evidence": (),
        },
    ),
}


def load_scale(name_or_path: str) -> RatingScale:
    """A built-in scale by name, or a TOML file with ``name``, ``levels``, ``threshold`` and ``[mapping]``."""
    if name_or_path in RATING_SCALES:
        return RATING_SCALES[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise FactdeskError(f"rating scale {name_or_path!r} is neither built in {sorted(RATING_SCALES)} nor a file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        mapping = {label: tuple(ratings) for label, ratings in raw["mapping"].items()}
        unknown = set(mapping) - set(VERDICT_LABELS)
        if unknown:
            raise FactdeskError(f"{path}: [mapping] has unknown labels {sorted(unknown)}")
        return RatingScale(
            str(raw.get("name", path.stem)), tuple(raw["levels"]), mapping, float(raw.get("threshold", 0.8))
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FactdeskError(f"{path}: not a rating scale ({type(exc).__name__}: {exc})") from None
