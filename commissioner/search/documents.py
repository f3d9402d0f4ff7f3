"""What each searchable model is searched by, as a PostgreSQL full-text document.

The same expressions are indexed (GIN expression indexes, commissioner/migrations/0011) and
queried, so PostgreSQL can answer a search from the index: an expression that changes here needs
a new migration with the same change (a test in tests/search checks the plans use them).
The `simple` configuration: names are proper nouns in English and French, so no stemming and no
stop words of one language."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector

CONFIG = "simple"


def _vector(*fields: str, weight: str) -> SearchVector:
    return SearchVector(*fields, weight=weight, config=CONFIG)


def organisation_document():
    return _vector("name", "short_name", weight="A") + _vector("jurisdiction", weight="C")


def contact_document():
    return _vector("name", weight="A") + _vector("email", weight="B") + _vector("title", weight="C")


# Collaborations and goals are written in English, French or both (agreements/translation.py):
# every version is searched (commissioner/migrations/0018).
def collaboration_document():
    return (
        _vector("title_en", "title_fr", weight="A")
        + _vector("summary_en", "summary_fr", weight="B")
        + _vector("shared_vision_en", "shared_vision_fr", weight="C")
    )


def agreement_document():
    return _vector("title", weight="A")


def goal_document():
    return _vector("title_en", "title_fr", weight="A") + _vector(
        "indicator_en", "indicator_fr", weight="B"
    )
