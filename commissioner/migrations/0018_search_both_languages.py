"""Global search finds collaborations and goals by their text in either language: their GIN
expression indexes (0011) are rebuilt over the English and French columns that agreements 0008
added. Frozen copies of commissioner/search/documents.py, as in 0011."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations


def _vector(*fields, weight):
    return SearchVector(*fields, weight=weight, config="simple")


def _old():
    return [
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
            "agreements.SharedGoal",
            GinIndex(
                _vector("title", weight="A") + _vector("indicator", weight="B"),
                name="goal_search",
            ),
        ),
    ]


def _new():
    return [
        (
            "agreements.Collaboration",
            GinIndex(
                _vector("title_en", "title_fr", weight="A")
                + _vector("summary_en", "summary_fr", weight="B")
                + _vector("shared_vision_en", "shared_vision_fr", weight="C"),
                name="collaboration_search",
            ),
        ),
        (
            "agreements.SharedGoal",
            GinIndex(
                _vector("title_en", "title_fr", weight="A")
                + _vector("indicator_en", "indicator_fr", weight="B"),
                name="goal_search",
            ),
        ),
    ]


def _replace(removed, added):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for label, index in removed():
            schema_editor.remove_index(apps.get_model(label), index)
        for label, index in added():
            schema_editor.add_index(apps.get_model(label), index)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0008_content_in_both_languages"),
        ("commissioner", "0017_flag_open_worst_first"),
    ]

    operations = [migrations.RunPython(_replace(_old, _new), _replace(_new, _old))]
