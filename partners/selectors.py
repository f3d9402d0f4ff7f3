"""Every read of the partners app that has rules: who sees which organisations, what a list page
needs in one go, and the organisation's history as people read it."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.history import HistoryEntry, HistorySource, history_entries
from core.scope import restrict
from partners.access import may_manage_organisation, may_manage_people

from .models import ApiToken, Contact, Organisation, StaffMembership, User

# Directory sort keys (the `sort` query parameter) and the ordering each one means.
DIRECTORY_SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "short_name": ("short_name", "name"),
    "-short_name": ("-short_name", "name"),
    "kind": ("kind", "name"),
    "-kind": ("-kind", "name"),
    "jurisdiction": ("jurisdiction", "name"),
    "-jurisdiction": ("-jurisdiction", "name"),
    "is_active": ("is_active", "name"),
    "-is_active": ("-is_active", "name"),
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
}
DEFAULT_DIRECTORY_SORT = "name"


def organisation_list_for(*, actor) -> QuerySet[Organisation]:
    """Every organisation `actor` may read: all of them for signed-in people (the directory is
    shared); for a partner token its own and those it shares a collaboration with."""
    return restrict(Organisation.objects.all(), actor)


def organisation_get_for(*, actor, slug: str | None = None, pk: int | None = None) -> Organisation:
    """One organisation by slug or id, out of scope -> 404."""
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    return get_object_or_404(organisation_list_for(actor=actor).select_related("parent"), **lookup)


def organisation_directory_for(*, actor, sort: str | None = None) -> QuerySet[Organisation]:
    """The directory list: what each row shows (the parent's name) fetched with it."""
    ordering = DIRECTORY_SORTS.get(sort or "", DIRECTORY_SORTS[DEFAULT_DIRECTORY_SORT])
    return organisation_list_for(actor=actor).select_related("parent").order_by(*ordering)


def organisation_export_for(*, actor, sort: str | None = None) -> QuerySet[Organisation]:
    """The directory as a CSV export needs it: the primary contact as columns of the same query,
    so the export is one query however many rows it has."""
    primary = Contact.objects.filter(
        organisation=OuterRef("pk"), is_primary=True, is_active=True
    ).order_by("pk")
    return organisation_directory_for(actor=actor, sort=sort).annotate(
        primary_contact_name=Subquery(primary.values("name")[:1]),
        primary_contact_email=Subquery(primary.values("email")[:1]),
        primary_contact_phone=Subquery(primary.values("phone")[:1]),
    )


def organisation_api_list_for(*, actor) -> QuerySet[Organisation]:
    return restrict(organisation_api_rows(), actor)


def organisation_api_rows() -> QuerySet[Organisation]:
    """The API's organisation list and detail: active contacts come with each organisation."""
    return Organisation.objects.prefetch_related(
        Prefetch(
            "contacts",
            queryset=Contact.objects.filter(is_active=True),
            to_attr="active_contacts",
        )
    )


def organisation_choices_for(*, actor, keep_pk: int | None = None) -> QuerySet[Organisation]:
    """Organisations a form may offer (a parent, a staff user's employer): the active ones, and
    the one already chosen (`keep_pk`) even if it has since been deactivated."""
    choices = Q(is_active=True)
    if keep_pk is not None:
        choices |= Q(pk=keep_pk)
    return organisation_list_for(actor=actor).filter(choices).only("pk", "name", "slug")


def organisation_contacts(*, organisation: Organisation) -> QuerySet[Contact]:
    return organisation.contacts.order_by("-is_active", "-is_primary", "name")


def contact_get_for(*, organisation: Organisation, pk: int) -> Contact:
    """A contact of `organisation` (itself fetched through organisation_get_for); a contact of
    another organisation is a 404."""
    return get_object_or_404(organisation.contacts.all(), pk=pk)


def organisation_children(*, organisation: Organisation) -> QuerySet[Organisation]:
    return organisation.children.order_by("name")


def organisation_participations(*, organisation: Organisation) -> QuerySet:
    """The collaborations an organisation takes part in, newest first, with the contact each
    names."""
    return organisation.participations.select_related("collaboration", "contact").order_by(
        "-joined_on", "collaboration__title"
    )


def organisation_staff_for(*, actor, organisation: Organisation) -> QuerySet[StaffMembership]:
    """Who works for an organisation: administrators and that organisation's staff only."""
    if not may_manage_organisation(actor, organisation):
        return StaffMembership.objects.none()
    return organisation.staff_memberships.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__username"
    )


def api_token_list_for(*, actor, organisation: Organisation) -> QuerySet[ApiToken]:
    """An organisation's API tokens: administrators and that organisation's staff only."""
    if not may_manage_organisation(actor, organisation):
        return ApiToken.objects.none()
    return organisation.api_tokens.select_related("created_by").order_by("-created_at")


def api_token_get_for(*, actor, organisation: Organisation, pk: int) -> ApiToken:
    return get_object_or_404(api_token_list_for(actor=actor, organisation=organisation), pk=pk)


def organisation_references(*, organisation: Organisation) -> dict[str, int]:
    """What still points at an organisation (each a reason not to delete it), non-zero only."""
    counts = {
        _("collaborations led"): organisation.led_collaborations.count(),
        _("participations"): organisation.participations.count(),
        _("obligations"): organisation.obligations.count(),
        _("signatures"): organisation.signatures.count(),
        _("measurements"): organisation.measurements.count(),
        _("staff members"): organisation.staff_memberships.count(),
        _("child organisations"): organisation.children.count(),
        _("API tokens"): organisation.api_tokens.count(),
    }
    return {label: count for label, count in counts.items() if count}


def user_list_for(*, actor) -> QuerySet[User]:
    """The people page: administrators only; each user with their organisation."""
    if not may_manage_people(actor):
        return User.objects.none()
    return User.objects.select_related("staff_membership__organisation").order_by(
        "last_name", "first_name", "username"
    )


def user_get_for(*, actor, pk: int) -> User:
    return get_object_or_404(user_list_for(actor=actor), pk=pk)


# History ------------------------------------------------------------------------------------


def organisation_history(*, organisation: Organisation, limit: int = 50) -> list[HistoryEntry]:
    """The organisation's and its contacts' recorded changes, newest first, each with what
    changed (core/history.py): three queries however long the history is."""
    ignored = frozenset({"organisation"})
    sources = [
        HistorySource(
            Organisation,
            Organisation.history.filter(id=organisation.pk),
            lambda record, names: _("Organisation"),
            ignored=ignored,
        ),
        HistorySource(
            Contact,
            Contact.history.filter(organisation_id=organisation.pk),
            lambda record, names: _("Contact: %(name)s") % {"name": record.name},
            ignored=ignored,
        ),
    ]
    return history_entries(sources, limit=limit)


def administrators_to_ask(*, limit: int = 3) -> list[User]:
    """Active administrators with an e-mail address: whom a page names when it tells a user to
    ask for access (few, alphabetical)."""
    return list(
        User.objects.filter(Q(role=User.Role.ADMINISTRATOR) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .order_by("last_name", "first_name", "username")[:limit]
    )


def vacancies(participations) -> list:
    """Of an organisation's participations (organisation_participations), those not withdrawn,
    in a collaboration not closed, that name a contact who is no longer active: until someone
    is named in its place, the early warning counts the partner as having lost its contact
    (docs/engagement.md, "Relationship signals")."""
    return [
        p
        for p in participations
        if p.contact is not None
        and not p.contact.is_active
        and p.status != type(p).Status.WITHDRAWN
        and p.collaboration.status not in type(p.collaboration).CLOSED_STATUSES
    ]


def contact_named_in(*, contact: Contact) -> int:
    """In how many of vacancies() its organisation's participations still name `contact`."""
    named = organisation_participations(organisation=contact.organisation).filter(contact=contact)
    return len(vacancies(named))
