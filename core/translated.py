"""Content the partners write in both languages (django-modeltranslation keeps one column per
language: `title_en`, `title_fr`): which version a reader gets, and whether it is the other
language's text standing in for a missing one, so a page can say so (docs/translations.md).

A registered model keeps its original column (`title`) too. It always holds the text in the
deployment's language, or the other one when that is empty (`StoredInDefaultLanguage`), so
what reads it without knowing about languages (a join's `collaboration__title`, raw SQL, the
scale seeder) still gets a text. What a person reads goes through `translated()` (the
`translated` template filters), which reads the language columns themselves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .i18n import language_or_default

# A language named in a label ("Title (English)", "Titre (anglais)") and in the marker of a
# text shown in the other language ("(in French)", "(en français)").
LANGUAGE_NAMES = {"en": _("English"), "fr": _("French")}
IN_LANGUAGE = {"en": _("(in English)"), "fr": _("(in French)")}


def content_languages() -> list[str]:
    """The languages content can be written in: those of the interface, in their order."""
    return [code for code, _name in settings.LANGUAGES]


def reader_language(language: str | None = None) -> str:
    """`language`, else the active one, as one of `content_languages()` ("fr-ca" -> "fr")."""
    return language_or_default(language or translation.get_language())


def reading_order(language: str | None = None) -> list[str]:
    """The reader's language first, then the others: the order versions are looked for in."""
    first = reader_language(language)
    return [first, *(code for code in content_languages() if code != first)]


def version_name(name: str, language: str) -> str:
    return f"{name}_{language.replace('-', '_')}"


def version_names(name: str) -> list[str]:
    """`title` -> [`title_en`, `title_fr`]."""
    return [version_name(name, code) for code in content_languages()]


def language_label(label: Any, language: str) -> str:
    """A field's label with the language of its version: "Title (English)"."""
    name = LANGUAGE_NAMES.get(language, language)
    return _("%(field)s (%(language)s)") % {"field": label, "language": name}


# For labels made at import time (a CSV export's column headings): built when read.
language_label_lazy = lazy(language_label, str)


def localized_verbose_name(verbose_name: Any, language: str) -> str:
    """MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME: the admin's and history's label of a
    version column ("title (English)"); modeltranslation evaluates it lazily, in the reader's
    language."""
    return language_label(verbose_name, language)


@cache
def translated_names(model: type[models.Model]) -> frozenset[str]:
    """The fields of `model` written in several languages (empty when it has none)."""
    from modeltranslation.translator import NotRegistered, translator

    try:
        options = translator.get_options_for_model(model)
    except NotRegistered:
        return frozenset()
    return frozenset(options.all_fields) if options.registered else frozenset()


def stored_fields(model: type[models.Model]) -> list[models.Field]:
    """The concrete fields that hold what was written: a translated field's language columns,
    not its original column (derived from them when saved, and read through a descriptor that
    answers in the active language)."""
    skipped = translated_names(model)
    return [field for field in model._meta.concrete_fields if field.name not in skipped]


class StoredInDefaultLanguage:
    """For a model with translated fields: every save writes the original column in the
    deployment's language, falling back to the other, whatever language the saver reads.
    modeltranslation would write the saver's language into it (and a French reader's edit
    would turn an English title's original column French)."""

    def save(self, *args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return super().save(*args, **kwargs)


@dataclass(frozen=True)
class Translated:
    """One field's text as a reader gets it: in `language`, which is the reader's unless
    `fallback` (the reader's version is empty and another language's stands in)."""

    text: str
    language: str
    fallback: bool = False

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def marker(self) -> str:
        """What tells the reader the text is in another language: "(in French)"."""
        if not self.fallback:
            return ""
        return str(IN_LANGUAGE.get(self.language, f"({self.language})"))

    @property
    def text_with_marker(self) -> str:
        """For plain text (an e-mail, a CSV cell): the text, then its marker when it is one."""
        return f"{self.text} {self.marker}" if self.fallback else self.text


def _read(source: Any, key: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def translated(source: Any, name: str, language: str | None = None) -> Translated:
    """Field `name` of `source` (a model instance, or a `values()` row holding `<name>_en`,
    `<name>_fr`: `name` may span a relation, `collaboration__title`) for a reader of `language`
    (the active one by default): the reader's version, else the first other one written."""
    if isinstance(source, Translated):
        return source
    order = reading_order(language)
    if isinstance(source, str):  # a text in one version only (e.g. cached before there were two)
        return Translated(source, order[0])
    for code in order:
        text = _read(source, version_name(name, code))
        if text:
            return Translated(str(text), code, fallback=code != order[0])
    return Translated("", order[0])


def display_order(name: str, language: str | None = None, *, descending: bool = False) -> OrderBy:
    """Rows in the order a reader sees field `name` (`title`, `collaboration__title`): its version
    in the reader's language, or the other one's where that is empty. The list indexes of
    Collaboration are on these same expressions (agreements/models.py)."""
    expression = display_expression(name, language)
    return expression.desc() if descending else expression.asc()


def display_expression(name: str, language: str | None = None):
    versions = [NullIf(F(version_name(name, code)), Value("")) for code in reading_order(language)]
    return Coalesce(*versions) if len(versions) > 1 else versions[0]


def ordering_for(model: type[models.Model], ordering: Iterable[Any]) -> list[Any]:
    """An ordering (`["-title", "pk"]`) with every translated field of `model` replaced by its
    display order: empty versions neither first nor last, and the reader's language first."""
    names = translated_names(model)
    result: list[Any] = []
    for item in ordering:
        if isinstance(item, str) and item.lstrip("-") in names:
            result.append(display_order(item.lstrip("-"), descending=item.startswith("-")))
        else:
            result.append(item)
    return result


def _translated_path(model: type[models.Model], name: str) -> bool:
    """Whether `name` (`title`, `participation__collaboration__title`) ends at a translated
    field of the model its relations lead to."""
    *relations, last = name.split("__")
    for relation in relations:
        try:
            related = model._meta.get_field(relation).related_model
        except FieldDoesNotExist:  # a lookup (`__icontains`), not a relation
            return False
        if not isinstance(related, type):
            return False
        model = related
    return last in translated_names(model)


def with_versions(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """Field names, possibly across relations, with each translated one replaced by its
    language columns (a search covers every version, not only the reader's)."""
    result: list[str] = []
    for name in names:
        bare = name.lstrip("^=@$")
        prefix = name[: len(name) - len(bare)]
        if _translated_path(model, bare):
            stem, _sep, last = bare.rpartition("__")
            result.extend(
                prefix + (f"{stem}__{version}" if stem else version)
                for version in version_names(last)
            )
        else:
            result.append(name)
    return result


def versions_of(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """What a form, the API or a caller gives for translated fields, as language columns: the
    versions given by name (`title_fr`), and a field given without a language (`title`) as the
    version in the active language, unless that one is given too. Fields not given are left
    out."""
    result: dict[str, Any] = {}
    language = reader_language()
    for name in names:
        for version in version_names(name):
            if version in values:
                result[version] = values[version]
        if name in values and version_name(name, language) not in values:
            result[version_name(name, language)] = values[name]
    return result
