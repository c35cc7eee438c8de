"""Stage 6, publish: ratings on a published scale."""

from factdesk.publish.ratings import RATING_SCALES, rating_for

__all__ = ["RATING_SCALES", "rating_for"]
