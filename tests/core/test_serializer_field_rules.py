"""The model is the one source of field rules (docs/architecture.md): a request body's field that
stands for a model field has that field's length, choices and digits, and a body's text with a
length of its own is one no model field holds (a short list, below)."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers

from agreements.api import serializers as agreements_api
from agreements.models import Collaboration, Participation
from commissioner.api import serializers as commissioner_api
from commissioner.api import survey as survey_api
from core.fields import MAX_TEXT
from core.serializer_fields import ModelInput, model_field
from partners.api import serializers as partners_api

API_MODULES = (agreements_api, commissioner_api, survey_api, partners_api)

# Text a caller writes that no model field holds, with its own bound (the service's).
NOT_A_MODEL_FIELD = {("SurveyCommentSerializer", "comment")}


def _serializer_classes():
    for module in API_MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.Serializer)
                and value.__module__ == module.__name__
            ):
                yield value


def _model_field_of(serializer, name, field):
    """The model field a writable field stands for, or None (a relation, or no model field)."""
    # model_field() marks the field it declares (a serializer's fields are copies, unmarked).
    declared = type(serializer)._declared_fields.get(name)
    source = getattr(declared, "model_source", None)
    if source is not None:
        return source
    if not isinstance(serializer, ModelInput) or isinstance(
        field, serializers.RelatedField | serializers.ManyRelatedField
    ):
        return None
    try:
        return serializer.Meta.model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None


def rule_drift(serializer_class) -> list[str]:
    """Every way the writable fields of `serializer_class` differ from their model fields."""
    serializer = serializer_class()
    problems = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        where = f"{serializer_class.__name__}.{name}"
        source = _model_field_of(serializer, name, field)
        if source is None:
            length = getattr(field, "max_length", None)
            if (
                isinstance(field, serializers.CharField)
                and length is not None
                and (serializer_class.__name__, name) not in NOT_A_MODEL_FIELD
            ):
                problems.append(f"{where}: max_length={length} follows no model field")
            continue
        if source.choices:
            allowed = {value for value, _label in source.choices}
            if not isinstance(field, serializers.ChoiceField):
                problems.append(f"{where}: the model field has choices, the input none")
            elif not set(field.choices) <= allowed:
                # A body may narrow the model's choices (a participant joins active or
                # invited), never add one.
                problems.append(f"{where}: choices {sorted(set(field.choices) - allowed)}")
            continue
        if isinstance(source, models.CharField | models.TextField):
            expected = source.max_length or MAX_TEXT
            if getattr(field, "max_length", None) != expected:
                problems.append(f"{where}: max_length={field.max_length}, model {expected}")
        if isinstance(source, models.DecimalField):
            digits = (field.max_digits, field.decimal_places)
            if digits != (source.max_digits, source.decimal_places):
                problems.append(f"{where}: digits {digits}, model {source.max_digits}")
    return problems


WRITE_SERIALIZERS = [
    cls
    for cls in _serializer_classes()
    if any(not field.read_only for field in cls().fields.values())
]


def test_the_walk_finds_every_write_serializer():
    names = {cls.__name__ for cls in WRITE_SERIALIZERS}
    assert {
        "CollaborationWriteSerializer",
        "CollaborationUpdateSerializer",
        "GoalWriteSerializer",
        "GoalUpdateSerializer",
        "MeasurementWriteSerializer",
        "AgreementWriteSerializer",
        "ObligationWriteSerializer",
        "ObligationUpdateSerializer",
        "MarkMetSerializer",
        "InterventionWriteSerializer",
        "OrganisationWriteSerializer",
        "SurveyCommentSerializer",
    } <= names


@pytest.mark.parametrize("serializer_class", WRITE_SERIALIZERS, ids=lambda cls: cls.__name__)
def test_write_serializer_follows_its_model(serializer_class):
    assert rule_drift(serializer_class) == []


def test_versions_of_a_text_follow_the_model():
    fields = agreements_api.GoalWriteSerializer().fields
    assert {fields[name].max_length for name in ("title", "title_en", "title_fr")} == {200}


def test_a_length_or_choice_of_its_own_is_caught():
    class Drifting(ModelInput):
        title = serializers.CharField(max_length=300)
        status = serializers.ChoiceField(choices=[("proposed", "P"), ("dreaming", "D")])
        note = serializers.CharField(max_length=10)
        summary = model_field(Collaboration, "summary")

        class Meta:
            model = Collaboration
            fields = ["title", "status", "note", "summary"]

    assert rule_drift(Drifting) == [
        "Drifting.title: max_length=300, model 200",
        "Drifting.status: choices ['dreaming']",
        "Drifting.note: max_length=10 follows no model field",
    ]


def test_a_narrowed_choice_is_allowed_and_a_model_field_followed():
    class Joining(ModelInput):
        status = serializers.ChoiceField(choices=[("active", "Active")])

        class Meta:
            model = Participation
            fields = ["status", "role"]

    class Withdrawing(serializers.Serializer):
        reason = model_field(Collaboration, "summary", required=True)

    assert rule_drift(Joining) == []
    assert rule_drift(Withdrawing) == []
