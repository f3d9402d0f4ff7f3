"""The drift evidence is a likelihood ratio in hundredths of a power of ten (commissioner/trends.py):
policies left at the old defaults (120 accumulated trend points; 30 trend points in one day) move
to the new ones (200; 40). Snapshots keep the evidence they were scanned with: the first scan
after this carries the latest one on (at most 240 in the old unit, where the new threshold is
200: a partner drifting then is drifting still, and the new evidence takes over from there)."""

from django.db import migrations, models

DEFAULTS = {"drift_evidence": (120, 200), "drift_points": (30, 40)}


def forwards(apps, schema_editor):
    policies = apps.get_model("commissioner", "EngagementPolicy").objects
    for field, (old, new) in DEFAULTS.items():
        policies.filter(**{field: old}).update(**{field: new})


def backwards(apps, schema_editor):
    policies = apps.get_model("commissioner", "EngagementPolicy").objects
    for field, (old, new) in DEFAULTS.items():
        policies.filter(**{field: new}).update(**{field: old})


class Migration(migrations.Migration):
    dependencies = [
        ("commissioner", "0019_search_documents_stored"),
    ]

    operations = [
        migrations.AlterField(
            model_name="engagementpolicy",
            name="drift_evidence",
            field=models.PositiveIntegerField(
                default=200,
                verbose_name="drift evidence at which an engaged partner is drifting (200: 100 "
                "times likelier)",
            ),
        ),
        migrations.AlterField(
            model_name="engagementpolicy",
            name="drift_points",
            field=models.PositiveIntegerField(
                default=40,
                verbose_name="trend points in one day at which an engaged partner is drifting",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
