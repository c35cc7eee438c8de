"""From the internal four AVeriTeC labels to a publication rating scale."""

from __future__ import annotations

from factdesk.errors import FactdeskError

RATING_SCALES: dict[str, dict[str, str]] = {
    # The professional check's scale: True / False / Misleading / Unproven.
    "tfmu": {
        "Supported": "True",
        "Refuted": "False",
        "Conflicting Evidence/Cherrypicking": "Misleading",
        "Not Enough Evidence": "Unproven",
    },
}


def rating_for(label: str, scale: str = "tfmu") -> str:
    try:
        return RATING_SCALES[scale][label]
    except KeyError:
        raise FactdeskError(
            f"rating scale {scale!r} has no rating for {label!r}; scales: {sorted(RATING_SCALES)}"
        ) from None
