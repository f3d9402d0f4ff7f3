"""GIN expression indexes for global search, on PostgreSQL only (SQLite searches with
`icontains`, commissioner/search/selectors.py). The expressions are frozen copies of commissioner/search/documents.py: a
query is answered from an index only when its expression is the same (a test checks the plans)."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations


def _vector(*fields, weight):
    return SearchVector(*fields, weight=weight, config="simple")


def _indexes():
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
                _vector("title", weight="A")
                + _vector("summary", weight="B")
                + _vector("shared_vision", weight="C"),
                name="collaboration_search",
            ),
        ),
        (
            "agreements.Agreement",
            GinIndex(_vector("title", weight="A"), name="agreement_search"),
        ),
        (
            "agreements.SharedGoal",
            GinIndex(
                _vector("title", weight="A") + _vector("indicator", weight="B"),
                name="goal_search",
            ),
        ),
    ]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for label, index in _indexes():
        schema_editor.add_index(apps.get_model(label), index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for label, index in _indexes():
        schema_editor.remove_index(apps.get_model(label), index)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("agreements", "0006_measurement_corrections"),
        ("commissioner", "0010_note_lengths_on_the_model"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
