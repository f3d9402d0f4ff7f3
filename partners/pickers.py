"""Pickers that scale: a form field choosing one organisation (or user) out of thousands, without
rendering them all. One widget, one field per kind of object, one suggestions view.

Without JavaScript the field is a search box with a Search button: submitting the form with a
search shows the matching choices (at most RESULT_LIMIT) as radio buttons, the form is not saved,
and the next submission saves the one picked. With JavaScript (static/js/picker.js) the search
box is an ARIA combobox whose suggestions htmx fetches from `picker_suggestions` as one types.

The value is validated by the field's queryset, the same scoped queryset the view passed before
(a <select> offered exactly those choices). The suggestions view reads a *scope* registered
under a name (`register_scope`): a function of the request and the widget's parameters that
returns that same queryset, or raises Http404 / PermissionDenied as the form's page would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.bounds import MAX_ID

from .models import Organisation, User

# A page of radio buttons (no JavaScript) and of suggestions (htmx): bounded, whatever the data.
RESULT_LIMIT = 20
SUGGESTION_LIMIT = 10
MAX_QUERY = 100
# The submit button of a picker: `<button name="_search" value="<field name>">`.
SEARCH_BUTTON = "_search"


def query_suffix(name: str) -> str:
    return f"{name}_q"


@dataclass
class PickerValue:
    """What a picker sends: the picked id (a radio button), the search text, and whether its own
    Search button submitted the form."""

    pk: str | None = None
    q: str = ""
    search: bool = False


# Searching -------------------------------------------------------------------------------------


def search_organisations(queryset: QuerySet, q: str) -> QuerySet:
    """Name or short name containing the text, or the slug; names starting with it first."""
    q = q.strip()[:MAX_QUERY]
    matches = queryset.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(slug=q.lower()))
    # Only what a label shows (the views' querysets defer the rest, short_name included).
    return (
        matches.only("pk", "name", "short_name", "slug")
        .annotate(
            picker_rank=Case(
                When(Q(name__istartswith=q) | Q(short_name__iexact=q), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("picker_rank", "name", "pk")
    )


def organisation_label(organisation: Organisation) -> str:
    if organisation.short_name and organisation.short_name != organisation.name:
        return f"{organisation.name} ({organisation.short_name})"
    return organisation.name


def search_users(queryset: QuerySet, q: str) -> QuerySet:
    """Full name, user name or e-mail containing the text."""
    q = q.strip()[:MAX_QUERY]
    return (
        queryset.annotate(picker_name=Concat("first_name", Value(" "), "last_name"))
        .filter(Q(picker_name__icontains=q) | Q(username__icontains=q) | Q(email__iexact=q))
        .order_by("last_name", "first_name", "username", "pk")
    )


def user_label(user: User) -> str:
    return user.get_full_name() or user.get_username()


# The widget and the fields ---------------------------------------------------------------------


class PickerWidget(forms.Widget):
    """A search box, its Search button, and radio buttons for the chosen value and the matches.
    Its `widget_type` is "picker"; the field partials render it like any other input (the label
    names the search box, which carries the widget's id)."""

    template_name = "partners/widgets/picker.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.field = None  # set by PickerField: the widget searches the field's queryset

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.field = None  # the copied field sets it again
        return copy

    def value_from_datadict(self, data, files, name):
        return PickerValue(
            pk=data.get(name) or None,
            q=(data.get(query_suffix(name)) or "").strip()[:MAX_QUERY],
            search=data.get(SEARCH_BUTTON) == name,
        )

    def value_omitted_from_data(self, data, files, name):
        return name not in data and query_suffix(name) not in data

    def format_value(self, value):
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        picker = self.field
        if isinstance(value, PickerValue):
            pk, q = value.pk, value.q
        else:
            pk, q = (getattr(value, "pk", value) if value not in (None, "") else None), ""
        chosen = picker.chosen(pk) if picker is not None else None
        results, more = ([], False)
        if q and picker is not None:
            results, more = picker.matches(q)
        widget_attrs = context["widget"]["attrs"]
        widget_id = widget_attrs.get("id") or f"id_{name}"
        described = [widget_attrs.get("aria-describedby"), f"{widget_id}_how"]
        widget_attrs["aria-describedby"] = " ".join(filter(None, described))
        context["picker"] = {
            "query_name": query_suffix(name),
            "q": q,
            "search_button": SEARCH_BUTTON,
            "id": widget_id,
            "chosen": chosen,
            "chosen_label": picker.label_from_instance(chosen) if chosen else "",
            "results": [
                (obj.pk, picker.label_from_instance(obj))
                for obj in results
                if not chosen or obj.pk != chosen.pk
            ],
            "searched": bool(q),
            "more": more,
            "limit": RESULT_LIMIT,
            "required": picker.required if picker is not None else True,
            "empty_label": picker.empty_label_text if picker is not None else "",
            "noun_plural": picker.noun_plural if picker is not None else "",
            "suggest_url": picker.suggest_url(name) if picker is not None else "",
            "mode": "choice",
        }
        return context


class PickerField(forms.ModelChoiceField):
    """One object of `queryset` (the form's scoped choices), picked by searching."""

    widget = PickerWidget
    search_function: Callable[[QuerySet, str], QuerySet] = staticmethod(search_organisations)
    label_function: Callable = staticmethod(str)
    fill_function: Callable = staticmethod(str)
    noun_plural = gettext_lazy("choices")

    def __init__(self, *, scope: str, scope_params=None, empty_label=None, **kwargs):
        self.empty_label_text = empty_label or gettext_lazy("None")
        super().__init__(queryset=kwargs.pop("queryset", None), empty_label=None, **kwargs)
        self.scope = scope
        self.scope_params = dict(scope_params or {})
        self.widget.field = self

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.scope_params = dict(self.scope_params)
        copy.widget.field = copy
        return copy

    def _set_queryset(self, queryset):
        # No <option> list: ModelChoiceField would iterate the whole queryset for its choices.
        self._queryset = None if queryset is None else queryset.all()

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj):
        return self.label_function(obj)

    def suggest_url(self, name: str) -> str:
        url = reverse("partners:picker_suggestions")
        return f"{url}?{urlencode({'scope': self.scope, **self.scope_params, 'field': name})}"

    def search(self, q: str) -> QuerySet:
        return self.search_function(self.queryset, q)

    def matches(self, q: str) -> tuple[list, bool]:
        """The first RESULT_LIMIT matches of `q` (one query), and whether there are more."""
        if self.queryset is None:
            return [], False
        found = list(self.search(q)[: RESULT_LIMIT + 1])
        return found[:RESULT_LIMIT], len(found) > RESULT_LIMIT

    def chosen(self, pk):
        if pk in (None, "") or self.queryset is None:
            return None
        try:
            return self.queryset.filter(pk=int(pk)).first()
        except (TypeError, ValueError, OverflowError):
            return None

    def clean(self, value):
        if isinstance(value, PickerValue):
            q = value.q
            if q and (value.search or not value.pk or not self._picked_from(q, value.pk)):
                # A search, not a choice: the page shows the matches; the form is not saved.
                raise forms.ValidationError(self._search_message(q), code="search")
            value = value.pk
        return super().clean(value)

    def has_changed(self, initial, data):
        if isinstance(data, PickerValue):
            data = data.pk
        return super().has_changed(initial, data)

    def _picked_from(self, q: str, pk) -> bool:
        """Whether `pk` is one of the matches of `q` (the radio button picked from a search's
        results, or the suggestion whose name the box shows)."""
        try:
            return self.search(q).filter(pk=int(pk)).exists()
        except (TypeError, ValueError, OverflowError):
            return False

    def _search_message(self, q: str) -> str:
        results, more = self.matches(q)
        if not results:
            return _("Nothing matches “%(q)s”: search again with part of the name.") % {"q": q}
        if more:
            return _(
                "More than %(limit)s match “%(q)s”: choose one of the first %(limit)s below, "
                "or search with more of the name."
            ) % {"q": q, "limit": RESULT_LIMIT}
        return _("Choose one of the %(count)s matches of “%(q)s” below.") % {
            "count": len(results),
            "q": q,
        }


class OrganisationChoiceField(PickerField):
    search_function = staticmethod(search_organisations)
    label_function = staticmethod(organisation_label)
    # What a filter's text box is filled with: the name, which the filters match.
    fill_function = staticmethod(lambda organisation: organisation.name)
    noun_plural = gettext_lazy("organisations")


class UserChoiceField(PickerField):
    search_function = staticmethod(search_users)
    label_function = staticmethod(user_label)
    fill_function = staticmethod(user_label)
    noun_plural = gettext_lazy("people")


class PickerTextInput(forms.TextInput):
    """A filter's free-text box (a GET form: the text itself filters) with the same suggestions:
    picking one fills the box with its label. `scope` names the suggestions' scope."""

    template_name = "partners/widgets/picker_text.html"

    def __init__(self, *, scope: str, attrs=None):
        super().__init__(attrs)
        self.scope = scope

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["picker"] = {
            "id": context["widget"]["attrs"].get("id") or f"id_{name}",
            "suggest_url": reverse("partners:picker_suggestions")
            + "?"
            + urlencode({"scope": self.scope, "field": name, "fill": "label"}),
        }
        return context


# Scopes and the suggestions view ---------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The choices a picker offers for a request: `choices(request, params)` returns the scoped
    queryset (or raises Http404 / PermissionDenied); `field_class` searches and labels them."""

    choices: Callable[..., QuerySet]
    field_class: type[PickerField]
    params: tuple[str, ...] = field(default=())


SCOPES: dict[str, Scope] = {}


def register_scope(name: str, *, field_class: type[PickerField], params: tuple[str, ...] = ()):
    """Decorator: `@register_scope("lead", field_class=OrganisationChoiceField)` over a function
    `(request, **params) -> QuerySet`. Apps register theirs in their pickers module."""

    def decorator(choices):
        SCOPES[name] = Scope(choices=choices, field_class=field_class, params=params)
        return choices

    return decorator


@require_GET
def picker_suggestions(request):
    """The htmx suggestions of a picker: at most SUGGESTION_LIMIT options of the choices of
    `scope` matching `<field>_q` (or `q`), as a listbox's options. A fixed number of queries
    whatever the data: the scope's own checks (none for the directory) and the search."""
    entry = SCOPES.get(request.GET.get("scope", ""))
    if entry is None or not request.user.is_authenticated:
        raise Http404
    params = {name: request.GET.get(name, "")[:200] for name in entry.params}
    queryset = entry.choices(request, **params)
    field_name = request.GET.get("field", "")[:100]
    q = (request.GET.get(query_suffix(field_name)) or request.GET.get("q") or "").strip()
    q = q[:MAX_QUERY]
    field_class = entry.field_class
    # An empty search lists the first choices by name (a collaboration's few participants, or
    # the start of the directory): still bounded.
    found = list(field_class.search_function(queryset, q)[: SUGGESTION_LIMIT + 1])
    fill = request.GET.get("fill") == "label"
    options = [
        {
            "value": field_class.fill_function(obj) if fill else obj.pk,
            "label": field_class.label_function(obj),
            # What the search box shows once picked: a text that finds it again.
            "text": field_class.fill_function(obj),
        }
        for obj in found[:SUGGESTION_LIMIT]
    ]
    response = render(
        request,
        "partners/partials/picker_options.html",
        {
            "options": options,
            "q": q,
            "more": len(found) > SUGGESTION_LIMIT,
            "noun_plural": field_class.noun_plural,
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def require(condition: bool) -> None:
    """For scopes: refuse as the form's page would (403) when the actor may not use it."""
    if not condition:
        raise PermissionDenied


def _whole_number(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


@register_scope("organisations", field_class=OrganisationChoiceField, params=("exclude",))
def directory_choices(request, *, exclude: str = "") -> QuerySet:
    """The active organisations of the directory the actor reads (a parent, an employer); an
    organisation's own edit form leaves the organisation itself out (`exclude`)."""
    from .selectors import organisation_choices_for

    choices = organisation_choices_for(actor=request.user)
    excluded = _whole_number(exclude)
    return choices.exclude(pk=excluded) if excluded else choices
