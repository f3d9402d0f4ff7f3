"""`drift_contact_left` counts only while the named contact is gone and no one is named in its
place: a successor named is a handover, and counting the change on after it flagged steady
partners and held recoverers' flags (docs/engagement.md, "The watch state"). Its label says so;
the setting's value is unchanged."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commissioner", "0021_drift_contact_left"),
    ]

    operations = [
        migrations.AlterField(
            model_name="engagementpolicy",
            name="drift_contact_left",
            field=models.PositiveIntegerField(
                default=50,
                verbose_name=(
                    "drift evidence counted while the named contact left, no one named in its "
                    "place (90 days)"
                ),
            ),
        ),
    ]
