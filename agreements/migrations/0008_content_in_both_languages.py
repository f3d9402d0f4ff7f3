"""Collaborations' titles, summaries and shared visions, and goals' titles and indicators, get an
English and a French version (django-modeltranslation: agreements/translation.py); the list
orders by title in the reader's language (core/translated.py: display_expression)."""

import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models
from django.db.models import F

# What was written before the fields had a version per language is taken as English (the
# deployment's language); its French version starts empty. The histories get the same copy, so
# the next change does not show every title as newly written.
TEXTS = {
    "collaboration": ("title", "summary", "shared_vision"),
    "historicalcollaboration": ("title", "summary", "shared_vision"),
    "sharedgoal": ("title", "indicator"),
    "historicalsharedgoal": ("title", "indicator"),
}


def existing_text_is_english(apps, schema_editor):
    for model_name, names in TEXTS.items():
        model = apps.get_model("agreements", model_name)
        model._base_manager.update(**{f"{name}_en": F(name) for name in names})


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0007_translated_labels"),
        ("partners", "0005_import_and_jurisdiction_labels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="collaboration",
            name="collaboration_title_order",
        ),
        migrations.AddField(
            model_name="collaboration",
            name="shared_vision_en",
            field=models.TextField(blank=True, default="", verbose_name="shared vision"),
        ),
        migrations.AddField(
            model_name="collaboration",
            name="shared_vision_fr",
            field=models.TextField(blank=True, default="", verbose_name="shared vision"),
        ),
        migrations.AddField(
            model_name="collaboration",
            name="summary_en",
            field=models.TextField(blank=True, default="", verbose_name="summary"),
        ),
        migrations.AddField(
            model_name="collaboration",
            name="summary_fr",
            field=models.TextField(blank=True, default="", verbose_name="summary"),
        ),
        migrations.AddField(
            model_name="collaboration",
            name="title_en",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="collaboration",
            name="title_fr",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="historicalcollaboration",
            name="shared_vision_en",
            field=models.TextField(blank=True, default="", verbose_name="shared vision"),
        ),
        migrations.AddField(
            model_name="historicalcollaboration",
            name="shared_vision_fr",
            field=models.TextField(blank=True, default="", verbose_name="shared vision"),
        ),
        migrations.AddField(
            model_name="historicalcollaboration",
            name="summary_en",
            field=models.TextField(blank=True, default="", verbose_name="summary"),
        ),
        migrations.AddField(
            model_name="historicalcollaboration",
            name="summary_fr",
            field=models.TextField(blank=True, default="", verbose_name="summary"),
        ),
        migrations.AddField(
            model_name="historicalcollaboration",
            name="title_en",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="historicalcollaboration",
            name="title_fr",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="historicalsharedgoal",
            name="indicator_en",
            field=models.CharField(default="", max_length=200, verbose_name="indicator"),
        ),
        migrations.AddField(
            model_name="historicalsharedgoal",
            name="indicator_fr",
            field=models.CharField(default="", max_length=200, verbose_name="indicator"),
        ),
        migrations.AddField(
            model_name="historicalsharedgoal",
            name="title_en",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="historicalsharedgoal",
            name="title_fr",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="sharedgoal",
            name="indicator_en",
            field=models.CharField(default="", max_length=200, verbose_name="indicator"),
        ),
        migrations.AddField(
            model_name="sharedgoal",
            name="indicator_fr",
            field=models.CharField(default="", max_length=200, verbose_name="indicator"),
        ),
        migrations.AddField(
            model_name="sharedgoal",
            name="title_en",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="sharedgoal",
            name="title_fr",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.RunPython(existing_text_is_english, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="collaboration",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    django.db.models.functions.comparison.NullIf(
                        models.F("title_en"), models.Value("")
                    ),
                    django.db.models.functions.comparison.NullIf(
                        models.F("title_fr"), models.Value("")
                    ),
                ),
                models.F("id"),
                name="collaboration_title_en_order",
            ),
        ),
        migrations.AddIndex(
            model_name="collaboration",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    django.db.models.functions.comparison.NullIf(
                        models.F("title_fr"), models.Value("")
                    ),
                    django.db.models.functions.comparison.NullIf(
                        models.F("title_en"), models.Value("")
                    ),
                ),
                models.F("id"),
                name="collaboration_title_fr_order",
            ),
        ),
    ]
