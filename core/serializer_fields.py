"""Serializer fields and helpers shared by the apps' APIs."""

import copy
import datetime as dt
import operator
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import MANY_RELATION_KWARGS, PKOnlyObject
from rest_framework.validators import UniqueValidator

from .bounds import MAX_DATE, MAX_ID, MAX_IDS, MIN_DATE, validate_date_range
from .fields import largest_amount, text_length
from .translated import content_languages, version_name


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.ReadOnlyField):
    """The human label of a choice field's value (`source` names the field, e.g. "kind").

    Replaces `source="get_kind_display"`: Django's get_FOO_display rebuilds a hashable copy of
    every choice, translating each label, on every call — a few dozen gettext calls per row of a
    list, which showed at the top of the API list profiles (docs/performance.md)."""

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        # Translated once per value: a field lives for one response, in one language.
        self.translated: dict = {}
        kwargs.setdefault("help_text", _("The value's label, in the request's language."))
        super().__init__(**kwargs)

    def __deepcopy__(self, memo):
        # DRF copies a serializer's declared fields for every instance, deep-copying their
        # arguments: here the choices, a lazy translation proxy per label (a few hundred
        # copies per API request). The labels are never changed, so the copy shares them.
        clone = copy.copy(self)
        clone.translated = {}
        return clone

    def to_representation(self, value):
        text = self.translated.get(value)
        if text is None:
            label = self.labels.get(value)
            text = self.translated[value] = str(label) if label is not None else value
        return text


@extend_schema_field(OpenApiTypes.BOOL)
class HasFileField(serializers.ReadOnlyField):
    """Whether the file field named by `source` holds a file."""

    def to_representation(self, value):
        return bool(value)


@extend_schema_field(OpenApiTypes.STR)
class FileNameField(serializers.ReadOnlyField):
    """The name of the file in the file field named by `source`, without its folder; empty
    when there is none."""

    def to_representation(self, value):
        return value.name.rsplit("/", 1)[-1] if value else ""


class FastRepresentation:
    """A read-only serializer's to_representation without DRF's per-value machinery (source
    walking, callable sniffing, SkipField handling), for the rows of API lists.

    Each field is planned once per serializer: a model column or foreign key is read with
    operator.attrgetter (a foreign key as its id, which is what PrimaryKeyRelatedField
    renders); anything else — methods, dotted sources that meet a None, custom fields — takes
    DRF's own path. The output is DRF's, key for key (tests/benchmarks/test_fast_serializers.py
    checks it against ModelSerializer.to_representation); it is 3-4x faster, which showed in
    the API list benchmarks (docs/performance.md)."""

    def to_representation(self, instance):
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self.__dict__["_fast_plan"] = self._plan_fields()
        ret = {}
        for name, field, get, convert in plan:
            if get is not None:
                try:
                    value = get(instance)
                except AttributeError:
                    value = _drf_value(field, instance)
                    if value is _SKIP:
                        continue
            else:
                value = _drf_value(field, instance)
                if value is _SKIP:
                    continue
            ret[name] = None if value is None else convert(value)
        return ret

    def _plan_fields(self):
        model = getattr(getattr(self, "Meta", None), "model", None)
        plan = []
        for field in self._readable_fields:
            get, convert = None, field.to_representation
            attrs = field.source_attrs
            if isinstance(field, serializers.PrimaryKeyRelatedField) and len(attrs) == 1:
                related = _model_field(model, attrs[0])
                if related is not None and related.is_relation and related.many_to_one:
                    get, convert = operator.attrgetter(related.attname), _identity
            elif (
                attrs
                and field.source != "*"
                and not isinstance(field, serializers.BaseSerializer | serializers.RelatedField)
                and _plain_attribute(model, attrs)
            ):
                get = operator.attrgetter(".".join(attrs))
            plan.append((field.field_name, field, get, convert))
        return plan


_SKIP = object()


def _identity(value):
    return value


def _drf_value(field, instance):
    """What DRF's Serializer.to_representation takes from `field` for `instance`."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return _SKIP
    if isinstance(attribute, PKOnlyObject):
        return None if attribute.pk is None else attribute
    return attribute


def _model_field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _plain_attribute(model, attrs) -> bool:
    """True when every step of the source is a stored column or a forward relation of the
    models it walks through (never a method, which DRF would call)."""
    for index, name in enumerate(attrs):
        field = _model_field(model, name)
        if field is None or field.many_to_many or field.one_to_many:
            return False
        if index < len(attrs) - 1:
            if not field.is_relation:
                return False
            model = field.related_model
    return True


# Writing: bounded input ------------------------------------------------------------------------


class BoundedDateField(serializers.DateField):
    """A date between 1900 and 2200 (core/bounds.py)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A model's date field may carry the same validator: one message, not two.
        if validate_date_range not in self.validators:
            self.validators.append(validate_date_range)


class BoundedDateTimeField(serializers.DateTimeField):
    """A datetime whose UTC value stays between 1900 and 2200."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if validate_date_range not in self.validators:
            self.validators.append(validate_date_range)


class CappedManyRelatedField(serializers.ManyRelatedField):
    """A list of ids: at most MAX_IDS of them, the shape checked before any lookup, and all of
    them resolved with one query (a 100,000-id list used to cost 40 s of lookups before its
    400)."""

    default_error_messages = {
        "too_many": _("Name at most {max} ids."),
    }

    def to_internal_value(self, data):
        if isinstance(data, str | bytes | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if len(data) > MAX_IDS:
            self.fail("too_many", max=MAX_IDS)
        if not self.allow_empty and not data:
            self.fail("empty")
        child = self.child_relation
        ids = list(dict.fromkeys(child.id_from(item) for item in data))
        found = {obj.pk: obj for obj in child.get_queryset().filter(pk__in=ids)}
        for pk in ids:
            if pk not in found:
                child.fail("does_not_exist", pk_value=pk)
        return [found[pk] for pk in ids]


class SafeIdMixin:
    """For PrimaryKeyRelatedField: only whole numbers in a bigint's range are looked up. JSON's
    1e400 (infinity), 1.5, true or a 5,000-digit string is a 400 naming the field, never a 500."""

    if TYPE_CHECKING:  # DRF's Field.fail, on the class this is mixed into

        def fail(self, key: str, **kwargs: Any) -> NoReturn: ...

    def id_from(self, data) -> int:
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str):
            text = data.strip()
            if not text.isdigit() or not text.isascii():
                self.fail("incorrect_type", data_type="str")
            if len(text) > 19:
                self.fail("does_not_exist", pk_value=text[:20])
            data = int(text)
        elif not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return data

    def to_internal_value(self, data):
        return super().to_internal_value(self.id_from(data))

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return CappedManyRelatedField(**list_kwargs)


class RFC3339DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, except that a datetime outside 1900-2200 (stored before input was
    bounded) is written in UTC with `Z`: in the local zone, year 1 took Toronto's local mean time
    offset (-05:17:32, not RFC 3339) and 0001-01-01 00:00 UTC overflowed into year 0 (a 500)."""

    def to_representation(self, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            utc = value.astimezone(dt.UTC)
            if not MIN_DATE <= utc.date() <= MAX_DATE:
                return utc.replace(tzinfo=None).isoformat() + "Z"
        return super().to_representation(value)


# A serializer whose fields named in `versioned` are written in several languages
# (core/translated.py): beside each (`title`, the version in the request's language) comes one
# field per language (`title_en`, `title_fr`), made like it. (A comment, not a docstring: the
# schema would take it as the description of every serializer using it.)
class WithVersions:
    versioned: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        result = {}
        for name, field in fields.items():
            result[name] = field
            if name not in self.versioned or name not in fields:
                continue
            for code in content_languages():
                kwargs = {
                    **field._kwargs,
                    "help_text": _("The version in this language; empty when not written."),
                }
                if not field.read_only:
                    kwargs.update(required=False, allow_blank=True)
                result[version_name(name, code)] = type(field)(*field._args, **kwargs)
        return result


# Writing: the model's rules --------------------------------------------------------------------


# A request body whose fields are built from its model's (`Meta.model`, `Meta.fields`): length,
# choices, digits, blank and null come from the model field, so the API cannot drift from it
# (docs/architecture.md, "Field rules: the model"); `extra_kwargs` says only what the input's
# shape changes (a field left out, a help text). Input only: a view hands `validated_data` to a
# service and never calls save(). Uniqueness is the services' and the database's (a 409), so no
# unique validators are added. (A comment, not a docstring: the schema would take it as the
# description of every request body.)
class ModelInput(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: BoundedDateField,
        models.DateTimeField: BoundedDateTimeField,
    }
    # Fields that take the model field's default when left out (and show it in the schema).
    defaults_from_model: tuple[str, ...] = ()

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        return field_class, self.input_kwargs(field_name, model_field, kwargs)

    def input_kwargs(self, field_name: str, model_field, kwargs: dict) -> dict:
        kwargs = dict(kwargs)
        # The verbose name would be the schema's `title` of the property, which some client
        # generators name types after: the property's name stays the one name.
        kwargs.pop("label", None)
        validators = [
            validator
            for validator in kwargs.pop("validators", [])
            if not isinstance(validator, UniqueValidator)
        ]
        if isinstance(model_field, models.URLField):
            # DRF drops the model's URL validators for its own, which takes ftp too; a model's
            # declared one (e.g. http and https only) is kept.
            validators += [
                validator
                for validator in model_field.validators
                if isinstance(validator, URLValidator)
                and not any(validator is default for default in model_field.default_validators)
            ]
        if validators:
            kwargs["validators"] = validators
        if isinstance(model_field, models.TextField) and "choices" not in kwargs:
            kwargs.setdefault("max_length", text_length(model_field))
        if isinstance(model_field, models.DecimalField):
            largest = largest_amount(model_field)
            kwargs.setdefault("max_value", largest)
            kwargs.setdefault("min_value", -largest)
        if field_name in self.defaults_from_model:
            kwargs["default"] = model_field.get_default()
        return kwargs

    def get_uniqueness_extra_kwargs(self, field_names, declared_fields, extra_kwargs):
        # Unique and unique-together fields keep the model's required-ness (DRF would make
        # them required and add hidden fields for the validators left out above).
        return extra_kwargs, {}

    def get_validators(self):
        return []

    def create(self, validated_data):
        raise NotImplementedError("Input only: a service writes.")

    def update(self, instance, validated_data):
        raise NotImplementedError("Input only: a service writes.")


def model_field(model: type[models.Model], name: str, **overrides) -> serializers.Field:
    """A field of a plain serializer built from `model`'s field `name` as ModelInput builds it
    (for an input named otherwise, e.g. a withdrawal's `reason`), with `overrides` of its shape
    (required, allow_blank, help_text). `model_source` names the model field it follows."""
    builder = ModelInput()
    source = model._meta.get_field(name)
    field_class, kwargs = builder.build_standard_field(name, source)
    field = field_class(**builder.include_extra_kwargs(kwargs, dict(overrides)))
    field.model_source = source
    return field
