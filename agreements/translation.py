"""What partners read in both languages (django-modeltranslation, docs/translations.md): a
collaboration's title, summary and shared vision, and a goal's title and indicator, each with
one column per language (`title_en`, `title_fr`). Their audit histories get the same columns, so
a change to either version is recorded and shown."""

from modeltranslation.translator import TranslationOptions, translator

from .models import Collaboration, SharedGoal


def _versions(*names: str) -> dict:
    # Every version is a non-null text, empty when not written (modeltranslation's default is
    # nullable columns, which would give each field two kinds of "empty").
    return {name: {"default": {"null": False, "default": ""}} for name in names}


class CollaborationTranslation(TranslationOptions):
    fields = ("title", "summary", "shared_vision")
    field_options = _versions(*fields)


class SharedGoalTranslation(TranslationOptions):
    fields = ("title", "indicator")
    field_options = _versions(*fields)


translator.register(Collaboration, CollaborationTranslation)
translator.register(SharedGoal, SharedGoalTranslation)
# django-simple-history built the historical models before modeltranslation added the language
# columns, and copies every column of a saved row into its historical record: they need the
# same columns (registering them adds those, and reads them as the models do).
translator.register(Collaboration.history.model, CollaborationTranslation)
translator.register(SharedGoal.history.model, SharedGoalTranslation)
