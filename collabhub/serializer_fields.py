"""Serializer fields and helpers shared by the apps' APIs."""

import copy
import operator

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


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
        kwargs.setdefault("help_text", "The value's label, in the request's language.")
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
