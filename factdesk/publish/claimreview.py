"""schema.org ClaimReview JSON-LD, with the fields Google requires and recommends."""

from __future__ import annotations

from datetime import date
from typing import Any

from factdesk.publish.ratings import Rating
from factdesk.records import FactCheck


def claim_review(
    check: FactCheck, rating: Rating, url: str, organization: str, organization_url: str, published: date
) -> dict[str, Any]:
    claim = check.claim
    item: dict[str, Any] = {"@type": "Claim"}
    if claim.claimant:
        author: dict[str, Any] = {"@type": "Person", "name": claim.claimant}
        if claim.claimant_role:
            author["jobTitle"] = claim.claimant_role
        item["author"] = author
    if claim.date:
        item["datePublished"] = claim.date.isoformat()
    if claim.appearance_url:
        item["appearance"] = {"@type": "CreativeWork", "url": claim.appearance_url}
    review_rating: dict[str, Any] = {"@type": "Rating", "alternateName": rating.name}
    if rating.value is not None:
        review_rating |= {"ratingValue": rating.value, "bestRating": rating.best, "worstRating": rating.worst}
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.text,
        "datePublished": published.isoformat(),
        "author": {"@type": "Organization", "name": organization, "url": organization_url},
        "reviewRating": review_rating,
        "itemReviewed": item,
    }
