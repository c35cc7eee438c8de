"""Stage 6, publish: rating scales, ClaimReview, reports, and versioned publications with corrections."""

from factdesk.publish.ratings import NOT_RATED, RATING_SCALES, Rating, RatingScale, load_scale

__all__ = ["NOT_RATED", "RATING_SCALES", "Rating", "RatingScale", "load_scale"]
