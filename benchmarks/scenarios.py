"""Who the benchmarks act as, and what they ask for: a partner organisation's token, a
commissioner and a staff member of the scale data, the API lists with their floors, and the
pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.test import Client

from agreements.models import Collaboration, Participation
from agreements.selectors import collaboration_list_for
from commissioner.selectors import flag_api_list_for
from core.actors import PartnerPrincipal
from core.scope import restrict
from partners.models import Organisation, User
from partners.selectors import organisation_list_for
from partners.services import api_token_authenticate, api_token_create

PAGE_SIZE = 50


@dataclass
class Actors:
    partner_token: str  # raw bearer token of a typical partner organisation
    partner_organisation: Organisation
    commissioner: User
    staff: User
    commissioner_cookie: str  # session cookie value
    staff_cookie: str
    health_slug: str  # the commissioner's largest active collaboration

    def headers(self, who: str) -> dict[str, str]:
        if who == "partner":
            return {"Authorization": f"Bearer {self.partner_token}"}
        cookie = self.commissioner_cookie if who == "commissioner" else self.staff_cookie
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def actors_prepare() -> Actors:
    """The benchmark's callers, chosen the same way at every scale factor."""
    # A partner with the median number of collaborations among active organisations.
    organisations = list(
        Organisation.objects.filter(is_active=True)
        .annotate(n=Count("participations"))
        .filter(n__gt=0)
        .order_by("n", "pk")
        .values_list("pk", flat=True)
    )
    partner = Organisation.objects.get(pk=organisations[len(organisations) // 2])
    _token, raw = api_token_create(organisation=partner, name="benchmark")
    commissioner = (
        User.objects.filter(role=User.Role.COMMISSIONER, username__startswith="scale.")
        .order_by("pk")
        .first()
    )
    staff = User.objects.filter(role=User.Role.STAFF, username__startswith="scale.").order_by("pk")
    staff = staff.first()
    if commissioner is None or staff is None:
        raise RuntimeError("No scale data: run `manage.py seed_scale` first.")
    health = (
        Collaboration.objects.filter(commissioner=commissioner, status=Collaboration.Status.ACTIVE)
        .annotate(
            n=Count("participations", filter=Q(participations__status=Participation.Status.ACTIVE))
        )
        .order_by("-n", "pk")
        .first()
    )
    return Actors(
        partner_token=raw,
        partner_organisation=partner,
        commissioner=commissioner,
        staff=staff,
        commissioner_cookie=_session_cookie(commissioner),
        staff_cookie=_session_cookie(staff),
        health_slug=health.slug,
    )


# API lists and their floors -----------------------------------------------------------------


@dataclass(frozen=True)
class ApiList:
    name: str  # the row label
    resource: str  # /api/v1/<resource>/ and /bench/floor/<resource>/
    who: str  # "partner" or "commissioner"


API_LISTS = [
    ApiList("organisations (partner token)", "organisations", "partner"),
    ApiList("organisations (commissioner)", "organisations", "commissioner"),
    ApiList("collaborations (partner token)", "collaborations", "partner"),
    ApiList("collaborations (commissioner)", "collaborations", "commissioner"),
    ApiList("obligations (partner token)", "obligations", "partner"),
    ApiList("obligations (commissioner)", "obligations", "commissioner"),
    ApiList("flags (commissioner)", "flags", "commissioner"),
]


def api_url(resource: str) -> str:
    return f"/api/v1/{resource}/?page_size={PAGE_SIZE}"


def floor_url(resource: str) -> str:
    return f"/bench/floor/{resource}/"


def request_actor(request: HttpRequest) -> Any:
    """The caller of a floor request: a partner token (the same authentication as the API's) or
    the signed-in user."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token, _problem = api_token_authenticate(raw_token=header.split(None, 1)[1])
        if token is not None:
            return PartnerPrincipal(token=token)
    return request.user


@dataclass(frozen=True)
class FloorQuery:
    queryset: Callable[[Any], Any]
    fields: tuple[str, ...]
    actor: Callable[[HttpRequest], Any] = request_actor


def _obligations(actor):
    from agreements.models import Obligation

    return restrict(Obligation.objects.all(), actor).order_by("due_date", "pk")


# The same scope and order as each API list, as plain rows of the stored columns (and the
# related names) the list's serializer returns; what the floor leaves out is only what the
# application derives: labels, nested contacts, the structure check, counts, links.
FLOOR_QUERIES = {
    "organisations": FloorQuery(
        lambda actor: organisation_list_for(actor=actor).order_by("name", "pk"),
        ("id", "name", "short_name", "slug", "kind", "jurisdiction", "parent_id", "website",
         "is_active", "created_at", "updated_at"),
    ),
    "collaborations": FloorQuery(
        lambda actor: collaboration_list_for(actor=actor).order_by("title", "pk"),
        ("id", "title", "slug", "summary", "shared_vision", "structure", "status",
         "lead_organisation_id", "lead_organisation__name", "commissioner_id", "start_date",
         "planned_end_date", "created_at", "updated_at"),
    ),
    "obligations": FloorQuery(
        _obligations,
        ("id", "collaboration_id", "organisation_id", "organisation__name", "agreement_id",
         "kind", "description", "quantity", "unit", "due_date", "status", "met_at", "evidence",
         "evidence_url", "evidence_file", "created_at"),
    ),
    "flags": FloorQuery(
        lambda actor: flag_api_list_for(actor=actor).order_by("-raised_on", "pk"),
        ("id", "participation_id", "participation__organisation_id",
         "participation__organisation__name", "participation__collaboration_id",
         "participation__collaboration__title", "band", "score", "reason_codes", "status",
         "raised_on", "notified_at", "acknowledged_at", "closed_at", "resolution_note"),
    ),
}  # fmt: skip
