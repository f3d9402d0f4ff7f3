"""The model is the one source of field rules (docs/architecture.md): a browser form field that
fills a model field offers no other length, choices or digits than the model field declares."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from agreements import forms as agreement_forms
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
    Structure,
)
from commissioner import forms as commissioner_forms
from commissioner.models import Activity, Attendance, EngagementPolicy, Flag, Intervention, Meeting
from commissioner.survey import forms as survey_forms
from commissioner.survey.models import SurveyRound, SurveySchedule
from core.fields import MAX_TEXT
from core.forms import AccessibleForm, FilterForm, model_field
from partners import forms as partner_forms
from partners import import_forms
from partners.models import ApiToken, Contact, ImportRun, Organisation, StaffMembership, User

ROOT = Path(__file__).resolve().parents[2]
FORM_MODULES = [
    "agreements/forms.py",
    "partners/forms.py",
    "partners/import_forms.py",
    "commissioner/forms.py",
    "commissioner/survey/forms.py",
]


def _attendance_row():
    organisation = SimpleNamespace(name="Riverside")
    return SimpleNamespace(
        participation=SimpleNamespace(pk=7, organisation=organisation), attendance=None
    )


# Form fields named as a model field but not holding its value: the password typed, not its hash.
NOT_THE_MODEL_FIELD = {"password"}


def _none(**choices):
    """The views' keyword arguments giving choices: here each an empty queryset of its model."""
    return lambda: {name: model.objects.none() for name, model in choices.items()}


ORGANISATIONS = _none(organisation_choices=Organisation)

# Every browser form: how to make one (the views' keyword arguments) and the models it fills.
FORMS: dict[type[forms.Form], tuple] = {
    agreement_forms.CollaborationForm: (
        _none(lead_choices=Organisation, commissioner_choices=User),
        [Collaboration],
    ),
    agreement_forms.StatusForm: (lambda: {"choices": []}, []),
    agreement_forms.ParticipationForm: (
        lambda: {
            "structure": Structure.CONSORTIUM,
            **_none(organisation_choices=Organisation, contact_choices=Contact)(),
        },
        [Participation],
    ),
    agreement_forms.WithdrawForm: (dict, [Participation]),
    agreement_forms.GoalForm: (dict, [SharedGoal]),
    agreement_forms.MeasurementForm: (ORGANISATIONS, [Measurement]),
    agreement_forms.MeasurementCorrectForm: (dict, [Measurement]),
    agreement_forms.MeasurementWithdrawForm: (dict, [Measurement]),
    agreement_forms.AgreementForm: (_none(signatory_choices=Organisation), [Agreement]),
    agreement_forms.SignForm: (lambda: {**ORGANISATIONS(), "paper": True}, [Signatory]),
    agreement_forms.ObligationForm: (
        _none(organisation_choices=Organisation, agreement_choices=Agreement),
        [Obligation],
    ),
    agreement_forms.MarkMetForm: (dict, [Obligation]),
    agreement_forms.WaiveForm: (dict, [Obligation]),
    partner_forms.OrganisationForm: (_none(parent_choices=Organisation), [Organisation]),
    partner_forms.ContactForm: (dict, [Contact]),
    partner_forms.ApiTokenIssueForm: (dict, [ApiToken]),
    partner_forms.PersonForm: (ORGANISATIONS, [User, StaffMembership]),
    partner_forms.PersonCreateForm: (ORGANISATIONS, [User, StaffMembership]),
    partner_forms.PersonEditForm: (ORGANISATIONS, [User, StaffMembership]),
    import_forms.ImportUploadForm: (dict, [ImportRun]),
    commissioner_forms.InterventionForm: (dict, [Intervention]),
    commissioner_forms.ResolveForm: (dict, [Flag]),
    commissioner_forms.OutcomeForm: (dict, [Intervention]),
    commissioner_forms.CheckinForm: (_none(participations=Participation), [Activity]),
    commissioner_forms.MeetingForm: (dict, [Meeting]),
    commissioner_forms.AttendanceForm: (lambda: {"rows": [_attendance_row()]}, [Attendance]),
    commissioner_forms.PolicyForm: (dict, [EngagementPolicy]),
    survey_forms.RoundOpenForm: (dict, [SurveyRound]),
    survey_forms.ScheduleForm: (dict, [SurveySchedule]),
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _model_field(models_: list, name: str):
    for model in models_:
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _mismatches(form: forms.Form, models_: list) -> list[str]:
    """What the form's fields declare that their model fields (found by name) do not."""
    found = []
    for name, field in form.fields.items():
        model_field_ = _model_field(models_, name)
        if model_field_ is None or name in NOT_THE_MODEL_FIELD:
            continue
        if isinstance(field, forms.CharField):
            expected = model_field_.max_length
            if isinstance(model_field_, models.TextField):
                expected = expected or MAX_TEXT
            if field.max_length != expected:
                found.append(f"{name}: max_length {field.max_length}, the model's {expected}")
        if isinstance(field, forms.DecimalField):
            declared = (field.max_digits, field.decimal_places)
            expected = (model_field_.max_digits, model_field_.decimal_places)
            if declared != expected:
                found.append(f"{name}: digits {declared}, the model's {expected}")
        if model_field_.choices and isinstance(field, forms.ChoiceField):
            # A form may offer fewer choices (a structure's roles), never others or relabelled.
            offered = {str(value): str(label) for value, label in field.choices if value != ""}
            declared = {str(value): str(label) for value, label in model_field_.flatchoices}
            if any(declared.get(value) != label for value, label in offered.items()):
                found.append(f"{name}: choices {sorted(offered)}, the model's {sorted(declared)}")
    return found


def test_every_form_is_checked():
    """A new form is added to FORMS, so its fields are compared with its model's."""
    project = [
        cls
        for cls in _subclasses(AccessibleForm)
        if not issubclass(cls, FilterForm)
        and cls.__module__.split(".")[0] in {"agreements", "partners", "commissioner"}
        and cls is not agreement_forms.AgreementsForm
    ]
    assert sorted(cls.__name__ for cls in project if cls not in FORMS) == []


@pytest.mark.parametrize("form_class", list(FORMS), ids=lambda cls: cls.__name__)
def test_form_fields_declare_the_model_rules(form_class):
    make_kwargs, models_ = FORMS[form_class]
    assert _mismatches(form_class(**make_kwargs()), models_) == []


def test_a_form_field_that_differs_from_its_model_is_caught():
    """The check above can fail: a length, digits or choices other than the model's."""

    class Drifted(AccessibleForm):
        title = forms.CharField(max_length=150)
        summary = forms.CharField()
        structure = forms.ChoiceField(choices=[("consortium", "Consortium"), ("guild", "Guild")])

    class Relabelled(AccessibleForm):
        cadence = forms.ChoiceField(choices=[("monthly", "Every month")])
        target = forms.DecimalField(max_digits=10, decimal_places=2)

    assert [problem.split(":")[0] for problem in _mismatches(Drifted(), [Collaboration])] == [
        "title",
        "summary",
        "structure",
    ]
    assert [problem.split(":")[0] for problem in _mismatches(Relabelled(), [SharedGoal])] == [
        "cadence",
        "target",
    ]


def test_no_form_writes_out_a_length_or_digits():
    """Numbers of characters and digits are read from the model, not written in a form."""
    written = re.compile(r"\b(max_length|max_digits|decimal_places)\s*=\s*\d")
    found = [
        f"{module}:{number}: {line.strip()}"
        for module in FORM_MODULES
        for number, line in enumerate((ROOT / module).read_text().splitlines(), start=1)
        if written.search(line)
    ]
    assert found == []


def test_model_field_reads_the_model():
    """Label, length, required, choices with the form's blank label, the amount's bounds."""
    title = model_field(Agreement, "title")
    assert (str(title.label), title.max_length, title.required) == ("Title", 200, True)
    kind = model_field(Obligation, "kind", blank_label="Choose…")
    assert kind.choices[0] == ("", "Choose…")
    assert [value for value, _label in kind.choices[1:]] == list(Obligation.Kind.values)
    quantity = model_field(Obligation, "quantity")
    assert not quantity.required
    assert str(quantity.max_value) == "999999999999.99"
    assert str(quantity.min_value) == "-999999999999.99"
    summary = model_field(Collaboration, "summary_fr", rows=3)
    assert summary.max_length == MAX_TEXT
    assert summary.widget.attrs["rows"] == 3
    # A default worked out when saving (today) is not shown as the form's initial value.
    joined_on = model_field(Participation, "joined_on")
    assert joined_on.initial is None and not joined_on.show_hidden_initial
    assert model_field(Participation, "contact").queryset.query.is_empty()
