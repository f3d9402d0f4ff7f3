"""The relationship map pages (commissioner/network.py): the portfolio map and an
organisation's own map, for administrators and commissioners. A GET form filters both; the SVG
drawing has its table beside it, which says the same in rows a screen reader can walk."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from agreements.models import Collaboration, Structure
from partners.models import Organisation
from partners.selectors import organisation_get_for

from . import network
from .access import may_commission

ANY = [("", _("Any"))]


class NetworkFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind of organisation"), required=False, choices=ANY + Organisation.Kind.choices
    )
    structure = forms.ChoiceField(
        label=_("Structure"), required=False, choices=ANY + Structure.choices
    )
    status = forms.ChoiceField(
        label=_("Collaboration status"),
        required=False,
        choices=ANY + Collaboration.Status.choices,
        initial=Collaboration.Status.ACTIVE,
    )

    def __init__(self, data=None, *, regions: list[str]):
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = Collaboration.Status.ACTIVE
        super().__init__(data)
        for bound in self.fields.values():
            bound.widget.attrs["class"] = "form-select"
        self.fields["region"].choices = ANY + [(region, region) for region in regions]

    def network_filter(self) -> network.NetworkFilter:
        """The filter the form asks for; a value it does not understand is ignored (and the form
        shows why)."""
        if not self.is_bound:
            return network.NetworkFilter()
        values = {}
        for name in ("region", "kind", "structure", "status"):
            if name in self.errors:
                values[name] = "" if name != "status" else Collaboration.Status.ACTIVE
            else:
                values[name] = self.cleaned_data.get(name, "")
        return network.NetworkFilter(**values)


def _require_commissioner(request) -> None:
    if not may_commission(request.user):
        raise PermissionDenied


def _filter_form(request) -> NetworkFilterForm:
    form = NetworkFilterForm(request.GET if request.GET else None, regions=network.regions())
    form.is_valid()
    return form


@require_GET
def network_portfolio(request):
    _require_commissioner(request)
    form = _filter_form(request)
    graph = network.portfolio_network(network_filter=form.network_filter())
    return render(
        request,
        "commissioner/network.html",
        {
            "form": form,
            "network": graph,
            "cap": network.PORTFOLIO_CAP,
            "kinds": _legend(),
            "query": _query(request),
        },
    )


@require_GET
def network_organisation(request, slug: str):
    _require_commissioner(request)
    organisation = organisation_get_for(actor=request.user, slug=slug)
    form = _filter_form(request)
    graph = network.ego_network(organisation=organisation, network_filter=form.network_filter())
    return render(
        request,
        "commissioner/network_organisation.html",
        {
            "form": form,
            "network": graph,
            "organisation": organisation,
            "cap": network.EGO_CAP,
            "kinds": _legend(),
            "query": _query(request),
        },
    )


def _legend() -> list[tuple[str, str, str]]:
    return [
        (colour, code, Organisation.Kind(kind).label)
        for kind, (colour, code) in network.KIND_STYLE.items()
    ]


def _query(request) -> str:
    """The filter's query string, carried from one map to the next."""
    return f"?{request.GET.urlencode()}" if request.GET else ""
