"""Browser forms of the survey: opening a round, and a respondent's answers (one radio group per
statement, an optional comment per principle). They check the shape of the input; the services
check the rules (an answer outside 1-5 comes back from them as a field error too)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm, DateInput, model_field

from .models import SurveyRound, SurveySchedule
from .services import DONT_KNOW, MAX_COMMENT

SCALE = [
    ("1", _("1 - strongly disagree")),
    ("2", _("2 - disagree")),
    ("3", _("3 - neither agree nor disagree")),
    ("4", _("4 - agree")),
    ("5", _("5 - strongly agree")),
    (DONT_KNOW, _("Don't know")),
]


class RoundOpenForm(AccessibleForm):
    closes_on = model_field(
        SurveyRound,
        "closes_on",
        help_text=_("After today and within a year. Partners answer until the end of this day."),
    )
    share_answers = model_field(
        SurveyRound,
        "share_answers",
        help_text=_("Otherwise each partner sees its own answers and the collaboration's average."),
    )


class ScheduleForm(AccessibleForm):
    every_months = forms.TypedChoiceField(
        label=_("Open a round automatically"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[
            ("", _("No: rounds are opened by hand")),
            ("3", _("Every 3 months")),
            ("6", _("Every 6 months")),
            ("12", _("Every 12 months")),
        ],
    )
    open_days = model_field(
        SurveySchedule,
        "open_days",
        label=_("Each round stays open for (days)"),
        # The form's bound on the input's shape: open for a day at least, a year at most.
        min_value=1,
        max_value=366,
    )
    first_opens_on = forms.DateField(
        label=_("First round opens on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty to open the first one a full cadence from today."),
    )
    share_answers = model_field(SurveySchedule, "share_answers")


class ResponseForm(forms.Form):
    """`principles`: the instrument's principles with their statements prefetched."""

    def __init__(self, *args, principles, **kwargs):
        super().__init__(*args, **kwargs)
        self.principles = principles
        self.groups = []
        for principle in principles:
            names = []
            for statement in principle.statements.all():
                name = f"statement_{statement.pk}"
                self.fields[name] = forms.ChoiceField(
                    label=gettext(statement.text),
                    choices=SCALE,
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
                names.append(name)
            comment = f"comment_{principle.code}"
            self.fields[comment] = forms.CharField(
                label=_("Comment on this principle (optional)"),
                required=False,
                max_length=MAX_COMMENT,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
            self.groups.append((principle, names, comment))

    def bound_groups(self):
        """[(principle title, [bound statement fields], bound comment field)] for the template."""
        return [
            (gettext(principle.title), [self[name] for name in names], self[comment])
            for principle, names, comment in self.groups
        ]

    def answers(self) -> dict[int, object]:
        """{statement id: 1-5 or DONT_KNOW} of the statements answered."""
        found = {}
        for _principle, names, _comment in self.groups:
            for name in names:
                value = self.cleaned_data.get(name) or ""
                if value:
                    found[int(name.removeprefix("statement_"))] = (
                        value if value == DONT_KNOW else int(value)
                    )
        return found

    def comments(self) -> dict[str, str]:
        return {
            principle.code: self.cleaned_data.get(comment) or ""
            for principle, _names, comment in self.groups
        }

    @staticmethod
    def initial_from(response) -> dict:
        if response is None:
            return {}
        initial = {
            f"statement_{a.statement_id}": DONT_KNOW if a.dont_know else str(a.value)
            for a in response.answers.all()
        }
        comments = response.comments or {}
        initial.update({f"comment_{code}": text for code, text in comments.items()})
        return initial

    def add_domain_error(self, error) -> None:
        name = error.field if error.field in self.fields else None
        self.add_error(name, error.message)
