"""Serializer fields shared by the apps' APIs."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.ReadOnlyField):
    """The human label of a choice field's value (`source` names the field, e.g. "kind").

    Replaces `source="get_kind_display"`: Django's get_FOO_display rebuilds a hashable copy of
    every choice, translating each label, on every call — a few dozen gettext calls per row of a
    list, which showed at the top of the API list profiles (docs/performance.md)."""

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        kwargs.setdefault("help_text", "The value's label, in the request's language.")
        super().__init__(**kwargs)

    def to_representation(self, value):
        label = self.labels.get(value)
        return str(label) if label is not None else value
