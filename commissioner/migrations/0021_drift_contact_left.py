"""A named contact gone or changed in the last 90 days counts once, where it predicts: as a lower
bar for drifting (`drift_contact_left`, 50 hundredths of a power of ten: taken to be three times
likelier to drift), no longer as points off the score (`points_contact_left`, 5 until December
2026, now 0: it made a partner back from a dip that began with its contact leaving score under
the release margin for 90 days, docs/engagement.md, "Relationship signals"). Policies left at the
old default move to the new one."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    policies = apps.get_model("commissioner", "EngagementPolicy").objects
    policies.filter(points_contact_left=5).update(points_contact_left=0)


def backwards(apps, schema_editor):
    policies = apps.get_model("commissioner", "EngagementPolicy").objects
    policies.filter(points_contact_left=0).update(points_contact_left=5)


class Migration(migrations.Migration):
    dependencies = [
        ("commissioner", "0020_drift_evidence_likelihood_ratio"),
    ]

    operations = [
        migrations.AddField(
            model_name="engagementpolicy",
            name="drift_contact_left",
            field=models.PositiveIntegerField(
                default=50,
                verbose_name="drift evidence counted while the named contact left or changed "
                "(90 days)",
            ),
        ),
        migrations.AlterField(
            model_name="engagementpolicy",
            name="points_contact_left",
            field=models.PositiveIntegerField(
                default=0,
                verbose_name="points off: the named contact left or changed (90 days)",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
