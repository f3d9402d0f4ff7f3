"""The pages `make bench` loads through gunicorn, in ONE table: a new page (a search page, a
network page, a form's autocomplete step) is one line of PAGES. Each page names who asks for it
and its address, built from the benchmark's targets (the largest collaboration, a flag, ...),
which `targets_prepare` picks the same way at every scale factor.

The staff home page is the floor: the same server, the same session and middleware, the
smallest page a signed-in person gets, measured in the same run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.test import Client

from agreements.models import Collaboration, Participation
from commissioner.models import Flag
from partners.models import Organisation, User

HISTORY_RECORDS = 1000


@dataclass
class Targets:
    staff: User
    commissioner: User
    administrator: User
    health_slug: str  # the commissioner's largest active collaboration
    largest_collaboration: str
    largest_organisation: str
    history_slug: str  # a collaboration with HISTORY_RECORDS audit-history records
    flag_pk: int
    cookies: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookies[who]}"}


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "staff", "commissioner" or "administrator"
    url: Callable[[Targets], str]
    floor: bool = False


PAGES = [
    Page("staff home (the floor)", "staff", lambda t: "/", floor=True),
    Page("collaboration create form", "administrator", lambda t: "/collaborations/new/"),
    Page("organisation create form", "administrator", lambda t: "/organisations/new/"),
    Page(
        "add-participant form",
        "commissioner",
        lambda t: f"/collaborations/{t.health_slug}/participations/new/",
    ),
    Page("portfolio, my collaborations", "commissioner", lambda t: "/commissioner/?scope=mine"),
    Page("portfolio, all collaborations", "administrator", lambda t: "/commissioner/?scope=all"),
    Page("flag inbox", "commissioner", lambda t: "/commissioner/flags/"),
    Page("flag detail", "commissioner", lambda t: f"/commissioner/flags/{t.flag_pk}/"),
    Page(
        "collaboration health",
        "commissioner",
        lambda t: f"/commissioner/collaborations/{t.health_slug}/health/",
    ),
    Page("largest collaboration", "staff", lambda t: f"/collaborations/{t.largest_collaboration}/"),
    Page("largest organisation", "staff", lambda t: f"/organisations/{t.largest_organisation}/"),
    Page(
        f"collaboration with {HISTORY_RECORDS:,} history records",
        "staff",
        lambda t: f"/collaborations/{t.history_slug}/",
    ),
    Page(
        f"its whole history, first page of {HISTORY_RECORDS:,} records",
        "staff",
        lambda t: f"/collaborations/{t.history_slug}/history/",
    ),
    Page("organisation directory", "staff", lambda t: "/organisations/"),
    Page("collaboration list", "staff", lambda t: "/collaborations/"),
    # Issue 21: the relationship map (commissioners) and global search (everyone).
    Page("relationship map", "commissioner", lambda t: "/commissioner/network/"),
    Page("global search", "staff", lambda t: "/search/?q=water"),
]


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _with_history(collaboration: Collaboration) -> None:
    """Give the collaboration HISTORY_RECORDS audit-history records (once: idempotent)."""
    have = Collaboration.history.filter(id=collaboration.pk).count()
    for index in range(have, HISTORY_RECORDS):
        collaboration.summary = f"Benchmark revision {index}."
        collaboration.save(update_fields=["summary", "updated_at"])


def targets_prepare() -> Targets:
    commissioner = (
        User.objects.filter(role=User.Role.COMMISSIONER, username__startswith="scale.")
        .order_by("pk")
        .first()
    )
    staff = (
        User.objects.filter(role=User.Role.STAFF, username__startswith="scale.")
        .order_by("pk")
        .first()
    )
    if commissioner is None or staff is None:
        raise RuntimeError("No scale data: run `manage.py seed_scale` first.")
    administrator, _created = User.objects.get_or_create(
        username="bench.administrator", defaults={"role": User.Role.ADMINISTRATOR}
    )
    active = Q(participations__status=Participation.Status.ACTIVE)
    health = (
        Collaboration.objects.filter(commissioner=commissioner, status=Collaboration.Status.ACTIVE)
        .annotate(n=Count("participations", filter=active))
        .order_by("-n", "pk")
        .first()
    )
    largest = (
        Collaboration.objects.annotate(n=Count("participations", filter=active))
        .order_by("-n", "pk")
        .first()
    )
    organisation = (
        Organisation.objects.annotate(n=Count("participations")).order_by("-n", "pk").first()
    )
    history = (
        Collaboration.objects.filter(status=Collaboration.Status.ACTIVE)
        .exclude(pk__in=[health.pk, largest.pk])
        .order_by("pk")
        .first()
    )
    _with_history(history)
    flag = (
        Flag.objects.filter(
            status__in=Flag.OPEN_STATUSES, participation__collaboration__commissioner=commissioner
        )
        .order_by("pk")
        .first()
    ) or Flag.objects.order_by("pk").first()
    return Targets(
        staff=staff,
        commissioner=commissioner,
        administrator=administrator,
        health_slug=health.slug,
        largest_collaboration=largest.slug,
        largest_organisation=organisation.slug,
        history_slug=history.slug,
        flag_pk=flag.pk,
        cookies={
            "staff": _session_cookie(staff),
            "commissioner": _session_cookie(commissioner),
            "administrator": _session_cookie(administrator),
        },
    )
