"""Global search reads a stored document: each searched table gets a `search_document` column,
GENERATED ALWAYS AS (…) STORED, GIN-indexed under the name its expression index had (0011,
0018), on PostgreSQL only. A search then neither recomputes a document to recheck a match nor
to rank it: "water" matches 2,463 collaborations at national scale, and ranking them by
recomputing their titles' vectors was half of the search page's time (docs/performance.md).

The documents are those of 0018, frozen here; commissioner/search/documents.py says what each
holds. PostgreSQL keeps the column up to date on every write, the ORM's included (Django does not
know the column, so it never writes it). Changing the type of a column a document reads needs
the document dropped first and added again."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations


def _text(*columns):
    return " || ' ' || ".join(f"COALESCE({column}, '')" for column in columns)


def _weighted(*parts):
    return " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, {_text(*columns)}), '{weight}')"
        for weight, columns in parts
    )


DOCUMENTS = {
    # table: (index name, document)
    "partners_organisation": (
        "organisation_search",
        _weighted(("A", ("name", "short_name")), ("C", ("jurisdiction",))),
    ),
    "partners_contact": (
        "contact_search",
        _weighted(("A", ("name",)), ("B", ("email",)), ("C", ("title",))),
    ),
    "agreements_collaboration": (
        "collaboration_search",
        _weighted(
            ("A", ("title_en", "title_fr")),
            ("B", ("summary_en", "summary_fr")),
            ("C", ("shared_vision_en", "shared_vision_fr")),
        ),
    ),
    "agreements_agreement": ("agreement_search", _weighted(("A", ("title",)))),
    "agreements_sharedgoal": (
        "goal_search",
        _weighted(("A", ("title_en", "title_fr")), ("B", ("indicator_en", "indicator_fr"))),
    ),
}


def _vector(*fields, weight):
    return SearchVector(*fields, weight=weight, config="simple")


def _expression_indexes():
    """The expression indexes of 0011 and 0018, as they were."""
    return [
        (
            "partners.Organisation",
            GinIndex(
                _vector("name", "short_name", weight="A") + _vector("jurisdiction", weight="C"),
                name="organisation_search",
            ),
        ),
        (
            "partners.Contact",
            GinIndex(
                _vector("name", weight="A")
                + _vector("email", weight="B")
                + _vector("title", weight="C"),
                name="contact_search",
            ),
        ),
        (
            "agreements.Collaboration",
            GinIndex(
                _vector("title_en", "title_fr", weight="A")
                + _vector("summary_en", "summary_fr", weight="B")
                + _vector("shared_vision_en", "shared_vision_fr", weight="C"),
                name="collaboration_search",
            ),
        ),
        ("agreements.Agreement", GinIndex(_vector("title", weight="A"), name="agreement_search")),
        (
            "agreements.SharedGoal",
            GinIndex(
                _vector("title_en", "title_fr", weight="A")
                + _vector("indicator_en", "indicator_fr", weight="B"),
                name="goal_search",
            ),
        ),
    ]


def store(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for label, index in _expression_indexes():
        schema_editor.remove_index(apps.get_model(label), index)
    for table, (index, document) in DOCUMENTS.items():
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS ({document}) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (search_document)")


def unstore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in DOCUMENTS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN search_document")  # its index
    for label, index in _expression_indexes():
        schema_editor.add_index(apps.get_model(label), index)


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0008_content_in_both_languages"),
        ("partners", "0001_initial"),
        ("commissioner", "0018_search_both_languages"),
    ]

    operations = [migrations.RunPython(store, unstore)]
