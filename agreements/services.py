"""Every write of the agreements app: collaborations and their status, participations, shared
goals and measurements, agreements and their signatures, obligations.

Each service checks who may act (agreements/access.py, after docs/permissions.md), validates,
then writes inside a transaction. A refused business rule is a DomainError naming the input at
fault; an actor who may not act at all gets PermissionDenied. The browser views and the API call
these same functions, so both refuse the same things with the same words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from collabhub.bounds import MAX_IDS, check_date, shift
from collabhub.errors import CONFLICT, DomainError
from collabhub.integrity import integrity_conflict
from collabhub.locking import copy_row, lock
from collabhub.versioning import check_version
from commissioner.engagement import CADENCE_DAYS
from commissioner.models import Activity
from commissioner.services import activity_record, flags_close_not_scanned
from partners.models import Contact, Organisation, User
from partners.principals import actor_organisation_id, is_administrator, is_commissioner, is_partner

from .access import (
    may_create_collaboration,
    may_manage_collaboration,
    may_mark_met,
    may_report_measurement,
    may_sign,
)
from .documents import check_agreement_document, stored_name
from .models import (
    WEB_ADDRESS,
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    SharedGoal,
    Signatory,
    Structure,
)
from .rules import require_open_for_partner_writes
from .structures import (
    problems_for_roles,
    role_not_allowed_message,
    role_problems,
    rules_for,
    structure_problems,
)

# Paths under /collaborations/ that are pages, not collaborations.
RESERVED_SLUGS = frozenset({"new", "structures"})
# Largest magnitude a DecimalField(max_digits=14, decimal_places=2) holds.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_TEXT = 20_000
_UNSET = object()

CollaborationStatus = Collaboration.Status
# Where each status may go next; concluded and dissolved are final.
COLLABORATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CollaborationStatus.PROPOSED: (CollaborationStatus.FORMING, CollaborationStatus.DISSOLVED),
    CollaborationStatus.FORMING: (CollaborationStatus.ACTIVE, CollaborationStatus.DISSOLVED),
    CollaborationStatus.ACTIVE: (
        CollaborationStatus.PAUSED,
        CollaborationStatus.CONCLUDED,
        CollaborationStatus.DISSOLVED,
    ),
    CollaborationStatus.PAUSED: (
        CollaborationStatus.ACTIVE,
        CollaborationStatus.CONCLUDED,
        CollaborationStatus.DISSOLVED,
    ),
    CollaborationStatus.CONCLUDED: (),
    CollaborationStatus.DISSOLVED: (),
}
FINAL_COLLABORATION_STATUSES = frozenset(
    status for status, targets in COLLABORATION_TRANSITIONS.items() if not targets
)

AgreementStatus = Agreement.Status
# in_force is reached by the last signature, never chosen by hand.
AGREEMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AgreementStatus.DRAFT: (AgreementStatus.CIRCULATING, AgreementStatus.TERMINATED),
    AgreementStatus.CIRCULATING: (AgreementStatus.DRAFT, AgreementStatus.TERMINATED),
    AgreementStatus.IN_FORCE: (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED),
    AgreementStatus.EXPIRED: (),
    AgreementStatus.TERMINATED: (),
}


# Shared helpers --------------------------------------------------------------------------------


def _stamp(instance, actor, reason: str = "") -> None:
    """Who acted, for the audit history. A User is recorded as the history user (the request
    middleware does this too, but commands and tests have no request); a partner token has no
    User row, so the change reason names it."""
    if isinstance(actor, User):
        instance._history_user = actor
    if is_partner(actor):
        reason = f"{reason}; " if reason else ""
        reason = f"{reason}via API token {actor.token.prefix}"
    if reason:
        instance._change_reason = reason[:100]


def _lock_collaboration(collaboration_id: int) -> Collaboration:
    """The collaboration, locked and read afresh: first in the lock order (collabhub/locking.py),
    so every write inside it sees its current status and queues behind other writes to it."""
    return lock(Collaboration, collaboration_id)


def _user(actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _token(actor):
    return actor.token if is_partner(actor) else None


def _text(value, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("Enter the %(label)s.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise DomainError(
            _("The %(label)s is too long: at most %(max)s characters.")
            % {"label": label, "max": max_length},
            field=field,
        )
    return value


def _amount(value, *, field: str, label: str, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise DomainError(_("Enter the %(label)s.") % {"label": label}, field=field)
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            _("Enter a number for the %(label)s.") % {"label": label}, field=field
        ) from exc
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise DomainError(
            _("The %(label)s must be a number below one trillion.") % {"label": label},
            field=field,
        )
    return amount.quantize(Decimal("0.01"))


def _status_label(model, status: str) -> str:
    return str(model.Status(status).label) if status in model.Status.values else status


def _require_manager(actor, collaboration: Collaboration) -> None:
    if not may_manage_collaboration(actor, collaboration):
        raise PermissionDenied(
            _(
                "Only the managers of %(collaboration)s may do that: administrators, its "
                "commissioner and staff of its lead organisation."
            )
            % {"collaboration": collaboration.title}
        )


def _require_not_final(collaboration: Collaboration, *, field: str | None = None) -> None:
    if collaboration.status in FINAL_COLLABORATION_STATUSES:
        raise DomainError(
            _("%(collaboration)s is %(status)s: it can no longer change.")
            % {
                "collaboration": collaboration.title,
                "status": _status_label(Collaboration, collaboration.status).lower(),
            },
            field=field,
        )


def _check_dates(start, end, *, start_label: str, end_label: str, field: str) -> None:
    check_date(end, field=field)
    if start and end and end < start:
        raise DomainError(
            _("The %(end)s cannot be before the %(start)s.")
            % {"end": end_label, "start": start_label},
            field=field,
        )


def _participating(collaboration: Collaboration, organisation: Organisation) -> bool:
    return collaboration.participations.filter(
        organisation=organisation, status=Participation.Status.ACTIVE
    ).exists()


def _not_participating_error(organisation, collaboration, field: str) -> DomainError:
    return DomainError(
        _("%(organisation)s does not take part in %(collaboration)s.")
        % {"organisation": organisation, "collaboration": collaboration.title},
        field=field,
    )


# Collaborations --------------------------------------------------------------------------------

COLLABORATION_FIELDS = (
    "title",
    "slug",
    "summary",
    "shared_vision",
    "structure",
    "lead_organisation",
    "commissioner",
    "start_date",
    "planned_end_date",
)


def _unique_slug(base: str, *, exclude_pk: int | None) -> str:
    base = base[:70].strip("-") or "collaboration"
    taken = set(
        Collaboration.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    taken |= RESERVED_SLUGS
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def _clean_collaboration(collaboration: Collaboration | None, values: dict) -> dict:
    exclude_pk = collaboration.pk if collaboration is not None else None
    title = _text(
        values.get("title"), field="title", label=_("title"), max_length=200, required=True
    )
    slug = (values.get("slug") or "").strip()
    if not slug:
        slug = collaboration.slug if collaboration is not None else ""
        slug = slug or _unique_slug(slugify(title), exclude_pk=exclude_pk)
    else:
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise DomainError(
                _("A slug may contain only letters, numbers, hyphens and underscores."),
                field="slug",
            ) from exc
        if len(slug) > 80:
            raise DomainError(_("A slug has at most 80 characters."), field="slug")
        if slug.lower() in RESERVED_SLUGS:
            raise DomainError(
                _("“%(slug)s” is reserved; choose another slug.") % {"slug": slug}, field="slug"
            )
        if Collaboration.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
            raise DomainError(
                _("Another collaboration already uses the slug “%(slug)s”.") % {"slug": slug},
                field="slug",
            )
    structure = values.get("structure") or ""
    if structure not in Structure.values:
        raise DomainError(_("Choose the collaboration's structure."), field="structure")
    lead = values.get("lead_organisation")
    if lead is None:
        raise DomainError(_("Choose the lead organisation."), field="lead_organisation")
    current_lead_id = collaboration.lead_organisation_id if collaboration is not None else None
    if not lead.is_active and lead.pk != current_lead_id:
        raise DomainError(
            _("%(organisation)s is inactive and cannot lead a collaboration.")
            % {"organisation": lead.name},
            field="lead_organisation",
        )
    commissioner = values.get("commissioner")
    if commissioner is not None and not (
        commissioner.role == User.Role.COMMISSIONER and commissioner.is_active
    ):
        raise DomainError(
            _("The commissioner must be an active user with the Collaboration Commissioner role."),
            field="commissioner",
        )
    start_date = values.get("start_date")
    planned_end_date = values.get("planned_end_date")
    check_date(start_date, field="start_date")
    _check_dates(
        start_date,
        planned_end_date,
        start_label=_("start date"),
        end_label=_("planned end date"),
        field="planned_end_date",
    )
    return {
        "title": title,
        "slug": slug,
        "summary": _text(
            values.get("summary"), field="summary", label=_("summary"), max_length=MAX_TEXT
        ),
        "shared_vision": _text(
            values.get("shared_vision"),
            field="shared_vision",
            label=_("shared vision"),
            max_length=MAX_TEXT,
        ),
        "structure": structure,
        "lead_organisation": lead,
        "commissioner": commissioner,
        "start_date": start_date,
        "planned_end_date": planned_end_date,
    }


def _save_collaboration(collaboration: Collaboration, update_fields=None) -> None:
    if update_fields is not None:
        update_fields = [*update_fields, "updated_at"]
    try:
        with transaction.atomic():
            collaboration.save(update_fields=update_fields)
    except IntegrityError as exc:
        # Another request took the slug between our check and this write.
        raise DomainError(
            _("Another collaboration already uses the slug “%(slug)s”.")
            % {"slug": collaboration.slug},
            field="slug",
        ) from exc


@transaction.atomic
def collaboration_create(
    *,
    actor,
    title: str,
    structure: str,
    lead_organisation: Organisation | None = None,
    slug: str = "",
    summary: str = "",
    shared_vision: str = "",
    commissioner: User | None = None,
    start_date: dt.date | None = None,
    planned_end_date: dt.date | None = None,
) -> Collaboration:
    """A new collaboration, proposed, with its lead organisation as its first participant (in the
    structure's leading role). A staff user's collaboration is led by their own organisation; a
    commissioner who names no commissioner commissions it themselves."""
    if not may_create_collaboration(actor):
        raise PermissionDenied(
            _("Only administrators, commissioners and staff may set up collaborations.")
        )
    if not is_administrator(actor) and not is_commissioner(actor):
        own_id = actor_organisation_id(actor)
        if own_id is None:
            raise DomainError(
                _("You do not work for an organisation, so you cannot lead a collaboration."),
                field="lead_organisation",
            )
        if lead_organisation is None:
            lead_organisation = Organisation.objects.get(pk=own_id)
        elif lead_organisation.pk != own_id:
            raise DomainError(
                _("Staff set up collaborations led by their own organisation."),
                field="lead_organisation",
            )
    if commissioner is None and is_commissioner(actor):
        commissioner = actor
    values = _clean_collaboration(
        None,
        {
            "title": title,
            "slug": slug,
            "summary": summary,
            "shared_vision": shared_vision,
            "structure": structure,
            "lead_organisation": lead_organisation,
            "commissioner": commissioner,
            "start_date": start_date,
            "planned_end_date": planned_end_date,
        },
    )
    collaboration = Collaboration(status=CollaborationStatus.PROPOSED, **values)
    _stamp(collaboration, actor)
    _save_collaboration(collaboration)
    participation = Participation(
        collaboration=collaboration,
        organisation=values["lead_organisation"],
        role=rules_for(collaboration.structure).lead_role,
        status=Participation.Status.ACTIVE,
        joined_on=start_date or timezone.localdate(),
    )
    _stamp(participation, actor, _("lead organisation"))
    participation.save()
    return collaboration


@transaction.atomic
def collaboration_update(
    *, actor, collaboration: Collaboration, expected_version: str | None = None, **changes
) -> Collaboration:
    """Change any of COLLABORATION_FIELDS; fields not given keep their value.
    `expected_version` (the form's hidden row_version, the API's If-Match) refuses the change
    when the collaboration changed since the caller read it."""
    unknown = set(changes) - set(COLLABORATION_FIELDS)
    if unknown:
        raise TypeError(f"collaboration_update() got unexpected fields {sorted(unknown)}")
    caller_copy, collaboration = collaboration, _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    check_version(collaboration, expected_version)
    _require_not_final(collaboration)
    current = {name: getattr(collaboration, name) for name in COLLABORATION_FIELDS}
    values = _clean_collaboration(collaboration, {**current, **changes})
    participations = list(
        collaboration.participations.exclude(status=Participation.Status.WITHDRAWN).select_related(
            "organisation"
        )
    )
    if values["structure"] != collaboration.structure:
        misfits = role_problems(
            values["structure"], [(p.role, p.organisation.name) for p in participations]
        )
        if misfits:
            raise DomainError(
                _("Change these roles before changing the structure: %(problems)s")
                % {"problems": " ".join(misfits)},
                field="structure",
            )
        if collaboration.status == CollaborationStatus.ACTIVE:
            active = [
                (p.role, p.organisation.name)
                for p in participations
                if p.status == Participation.Status.ACTIVE
            ]
            problems = problems_for_roles(values["structure"], active)
            if problems:
                raise DomainError(
                    _("An active collaboration must keep to its structure's rules: %(problems)s")
                    % {"problems": " ".join(problems)},
                    field="structure",
                )
    if values["lead_organisation"].pk != collaboration.lead_organisation_id and not any(
        p.organisation_id == values["lead_organisation"].pk
        and p.status == Participation.Status.ACTIVE
        for p in participations
    ):
        raise DomainError(
            _(
                "%(organisation)s does not take part in this collaboration: add it as an "
                "active participant before it leads."
            )
            % {"organisation": values["lead_organisation"].name},
            field="lead_organisation",
        )
    _check_lead_role(collaboration, values, participations)
    for name, value in values.items():
        setattr(collaboration, name, value)
    _stamp(collaboration, actor)
    _save_collaboration(collaboration, update_fields=list(values))
    return copy_row(caller_copy, collaboration)


def _check_lead_role(collaboration: Collaboration, values: dict, participations: list) -> None:
    """A new lead organisation must hold its structure's leading role (the consortium's lead,
    the network's coordinator, ...): otherwise the collaboration would name one organisation
    its lead while another holds the lead role."""
    lead = values["lead_organisation"]
    if lead.pk == collaboration.lead_organisation_id:
        return
    rules = rules_for(values["structure"])
    participation = next(
        p
        for p in participations
        if p.organisation_id == lead.pk and p.status == Participation.Status.ACTIVE
    )
    if participation.role == rules.lead_role:
        return
    holders = [
        p.organisation.name
        for p in participations
        if p.role == rules.lead_role and p.status == Participation.Status.ACTIVE
    ]
    message = _(
        "%(organisation)s takes part as %(role)s, but %(structure)s's lead organisation holds "
        "the %(lead_role)s role. Give %(organisation)s that role first, then make it the lead "
        "organisation."
    ) % {
        "organisation": lead.name,
        "role": _role_label(participation.role),
        "structure": str(rules.subject).lower(),
        "lead_role": _role_label(rules.lead_role),
    }
    if holders:
        message += " " + _("The %(lead_role)s role is held by %(holders)s now.") % {
            "lead_role": _role_label(rules.lead_role),
            "holders": ", ".join(holders),
        }
    raise DomainError(message, field="lead_organisation")


def _role_label(role: str) -> str:
    return str(Role(role).label).lower() if role in Role.values else role


def collaboration_next_statuses(collaboration: Collaboration) -> tuple[str, ...]:
    return COLLABORATION_TRANSITIONS.get(collaboration.status, ())


@transaction.atomic
def collaboration_transition(
    *, collaboration: Collaboration, to_status: str, actor
) -> Collaboration:
    """Move a collaboration along proposed → forming → active → paused → concluded / dissolved.
    Activation is refused, with the structure's broken rules spelled out, until they hold.

    Compare-and-set: the status is read inside the lock, so of two transitions at once the
    second sees the first's result ("concluded" then "paused" is refused, not applied)."""
    caller_copy, collaboration = collaboration, _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    if to_status not in CollaborationStatus.values:
        raise DomainError(
            _("“%(status)s” is not a collaboration status.") % {"status": to_status},
            field="status",
        )
    current = collaboration.status
    labels = {
        "from": _status_label(Collaboration, current),
        "to": _status_label(Collaboration, to_status),
    }
    if to_status == current:
        raise DomainError(
            _("The collaboration is already %(from)s.") % {"from": labels["from"].lower()},
            field="status",
        )
    allowed = COLLABORATION_TRANSITIONS.get(current, ())
    if not allowed:
        raise DomainError(
            _("The collaboration is %(from)s, which is final: its status can no longer change.")
            % {"from": labels["from"].lower()},
            field="status",
        )
    if to_status not in allowed:
        raise DomainError(
            _(
                "A collaboration cannot go from %(from)s to %(to)s; from %(from)s it can go to "
                "%(allowed)s."
            )
            % {
                **labels,
                "allowed": _(" or ").join(
                    str(_status_label(Collaboration, status)) for status in allowed
                ),
            },
            field="status",
        )
    if to_status == CollaborationStatus.ACTIVE:
        problems = structure_problems(collaboration)
        if problems:
            raise DomainError(
                _(
                    "The collaboration cannot become active while its structure's rules are "
                    "broken: %(problems)s"
                )
                % {"problems": " ".join(problems)},
                field="status",
            )
        if collaboration.start_date is None:
            collaboration.start_date = timezone.localdate()
    collaboration.status = to_status
    _stamp(collaboration, actor, f"status: {current} → {to_status}")
    collaboration.save(update_fields=["status", "start_date", "updated_at"])
    # Paused, concluded or dissolved: its partners are no longer scored, so their open flags
    # close now (the scan would close them too, but the dashboard need not wait for it).
    flags_close_not_scanned(collaboration_id=collaboration.pk)
    return copy_row(caller_copy, collaboration)


# Participations --------------------------------------------------------------------------------


def _members_after(collaboration, *, change: Participation | None = None, remove_pk=None):
    """(role, name) of the active participants once `change` is saved or `remove_pk` leaves."""
    members = {
        p.pk: (p.role, p.organisation.name)
        for p in collaboration.participations.filter(
            status=Participation.Status.ACTIVE
        ).select_related("organisation")
    }
    if remove_pk is not None:
        members.pop(remove_pk, None)
    if change is not None:
        key = change.pk or "new"
        if change.status == Participation.Status.ACTIVE:
            members[key] = (change.role, change.organisation.name)
        else:
            members.pop(key, None)
    return list(members.values())


def _keep_rules_while_active(collaboration, members_after: list) -> None:
    """An active collaboration keeps to its structure's rules: a change that would break one
    is refused (pause the collaboration to restructure it)."""
    if collaboration.status != CollaborationStatus.ACTIVE:
        return
    before = set(structure_problems(collaboration))
    new_problems = [
        p for p in problems_for_roles(collaboration.structure, members_after) if p not in before
    ]
    if new_problems:
        raise DomainError(
            _(
                "This would break the rules of an active collaboration: %(problems)s Pause the "
                "collaboration first to restructure it."
            )
            % {"problems": " ".join(new_problems)},
            field="role",
        )


def _clean_role(collaboration, role: str) -> str:
    if role not in rules_for(collaboration.structure).roles:
        raise DomainError(role_not_allowed_message(collaboration.structure, role), field="role")
    return role


def _clean_contact(contact: Contact | None, organisation: Organisation) -> Contact | None:
    if contact is None:
        return None
    if contact.organisation_id != organisation.pk:
        raise DomainError(
            _("%(contact)s works for another organisation, not %(organisation)s.")
            % {"contact": contact.name, "organisation": organisation.name},
            field="contact",
        )
    if not contact.is_active:
        raise DomainError(
            _("%(contact)s is no longer an active contact.") % {"contact": contact.name},
            field="contact",
        )
    return contact


@transaction.atomic
def participation_add(
    *,
    actor,
    collaboration: Collaboration,
    organisation: Organisation,
    role: str,
    contact: Contact | None = None,
    joined_on: dt.date | None = None,
    status: str = Participation.Status.ACTIVE,
) -> Participation:
    collaboration = _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    check_date(joined_on, field="joined_on")
    if not organisation.is_active:
        raise DomainError(
            _("%(organisation)s is inactive and cannot join a collaboration.")
            % {"organisation": organisation.name},
            field="organisation",
        )
    existing = collaboration.participations.filter(organisation=organisation).first()
    if existing is not None:
        if existing.status == Participation.Status.WITHDRAWN:
            message = _(
                "%(organisation)s withdrew from this collaboration; edit its participation to "
                "let it rejoin."
            )
        else:
            message = _("%(organisation)s already takes part in this collaboration.")
        raise DomainError(message % {"organisation": organisation.name}, field="organisation")
    _clean_role(collaboration, role)
    if status not in (Participation.Status.ACTIVE, Participation.Status.INVITED):
        raise DomainError(_("A new participant is either invited or active."), field="status")
    if contact is None:
        # Unless someone else is named, the organisation's primary contact speaks for it.
        contact = organisation.contacts.filter(is_primary=True, is_active=True).first()
    participation = Participation(
        collaboration=collaboration,
        organisation=organisation,
        role=role,
        status=status,
        contact=_clean_contact(contact, organisation),
        joined_on=joined_on or timezone.localdate(),
    )
    _keep_rules_while_active(collaboration, _members_after(collaboration, change=participation))
    _stamp(participation, actor)
    try:
        with transaction.atomic():
            participation.save()
    except IntegrityError as exc:
        # Only without the lock (SQLite's database lock is taken at BEGIN, PostgreSQL's row
        # lock above): a twin request added it first.
        raise integrity_conflict(exc) from exc
    return participation


PARTICIPATION_FIELDS = ("role", "contact", "joined_on", "status")


@transaction.atomic
def participation_update(
    *, actor, participation: Participation, expected_version: str | None = None, **changes
) -> Participation:
    """Change the role, named contact, joined date or status (invited / active; a withdrawn
    participant set active again rejoins)."""
    unknown = set(changes) - set(PARTICIPATION_FIELDS)
    if unknown:
        raise TypeError(f"participation_update() got unexpected fields {sorted(unknown)}")
    collaboration = _lock_collaboration(participation.collaboration_id)
    caller_copy = participation
    participation = lock(Participation, participation.pk, related=("organisation",))
    participation.collaboration = collaboration
    _require_manager(actor, collaboration)
    check_version(participation, expected_version)
    _require_not_final(collaboration)
    if "role" in changes:
        participation.role = _clean_role(collaboration, changes["role"])
    if "contact" in changes:
        participation.contact = _clean_contact(changes["contact"], participation.organisation)
    if "joined_on" in changes:
        if changes["joined_on"] is None:
            raise DomainError(_("Enter the date the organisation joined."), field="joined_on")
        check_date(changes["joined_on"], field="joined_on")
        participation.joined_on = changes["joined_on"]
    if "status" in changes and changes["status"] != participation.status:
        status = changes["status"]
        if status not in (Participation.Status.ACTIVE, Participation.Status.INVITED):
            raise DomainError(
                _("Use “Withdraw” to record that an organisation left."), field="status"
            )
        if participation.status == Participation.Status.WITHDRAWN:
            participation.left_on = None  # rejoining
        participation.status = status
    _check_dates(
        participation.joined_on,
        participation.left_on,
        start_label=_("date it joined"),
        end_label=_("date it left"),
        field="joined_on",
    )
    _keep_rules_while_active(collaboration, _members_after(collaboration, change=participation))
    _stamp(participation, actor)
    participation.save(update_fields=["role", "contact", "joined_on", "status", "left_on"])
    if participation.status != Participation.Status.ACTIVE:
        flags_close_not_scanned(participation_id=participation.pk)
    return copy_row(caller_copy, participation)


@transaction.atomic
def participation_withdraw(
    *, actor, participation: Participation, left_on: dt.date | None = None
) -> Participation:
    """Record that an organisation left. Locked from the collaboration down, so of two
    withdrawals at once the second sees the first and the structure's rules still hold."""
    collaboration = _lock_collaboration(participation.collaboration_id)
    caller_copy = participation
    participation = lock(Participation, participation.pk, related=("organisation",))
    participation.collaboration = collaboration
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    if participation.status == Participation.Status.WITHDRAWN:
        raise DomainError(
            _("%(organisation)s has already withdrawn.")
            % {"organisation": participation.organisation.name},
            code=CONFLICT,
        )
    if participation.organisation_id == collaboration.lead_organisation_id:
        raise DomainError(
            _(
                "%(organisation)s leads this collaboration: choose another lead organisation "
                "before it withdraws."
            )
            % {"organisation": participation.organisation.name}
        )
    left_on = left_on or timezone.localdate()
    _check_dates(
        participation.joined_on,
        left_on,
        start_label=_("date it joined"),
        end_label=_("date it left"),
        field="left_on",
    )
    _keep_rules_while_active(
        collaboration, _members_after(collaboration, remove_pk=participation.pk)
    )
    participation.status = Participation.Status.WITHDRAWN
    participation.left_on = left_on
    _stamp(participation, actor, _("withdrawn"))
    participation.save(update_fields=["status", "left_on"])
    # Nobody scores a partner that left: its open flag closes now, not never.
    flags_close_not_scanned(participation_id=participation.pk)
    return copy_row(caller_copy, participation)


# Shared goals and measurements -----------------------------------------------------------------

GOAL_FIELDS = ("title", "indicator", "unit", "baseline", "target", "target_date", "cadence")


def _clean_goal(values: dict) -> dict:
    baseline = _amount(values.get("baseline"), field="baseline", label=_("baseline"))
    target = _amount(values.get("target"), field="target", label=_("target"))
    if target == baseline:
        raise DomainError(
            _("The target must differ from the baseline, or there is no progress to measure."),
            field="target",
        )
    check_date(values.get("target_date"), field="target_date")
    cadence = values.get("cadence") or ""
    if cadence not in SharedGoal.Cadence.values:
        raise DomainError(_("Choose how often progress is reported."), field="cadence")
    return {
        "title": _text(
            values.get("title"), field="title", label=_("title"), max_length=200, required=True
        ),
        "indicator": _text(
            values.get("indicator"),
            field="indicator",
            label=_("indicator"),
            max_length=200,
            required=True,
        ),
        "unit": _text(
            values.get("unit"), field="unit", label=_("unit"), max_length=50, required=True
        ),
        "baseline": baseline,
        "target": target,
        "target_date": values.get("target_date"),
        "cadence": cadence,
    }


@transaction.atomic
def goal_create(
    *,
    actor,
    collaboration: Collaboration,
    title: str,
    indicator: str,
    unit: str,
    target,
    baseline=Decimal("0"),
    target_date: dt.date | None = None,
    cadence: str = SharedGoal.Cadence.QUARTERLY,
) -> SharedGoal:
    collaboration = _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    values = _clean_goal(
        {
            "title": title,
            "indicator": indicator,
            "unit": unit,
            "baseline": baseline,
            "target": target,
            "target_date": target_date,
            "cadence": cadence,
        }
    )
    goal = SharedGoal(collaboration=collaboration, **values)
    _stamp(goal, actor)
    goal.save()
    return goal


@transaction.atomic
def goal_update(
    *, actor, goal: SharedGoal, expected_version: str | None = None, **changes
) -> SharedGoal:
    unknown = set(changes) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"goal_update() got unexpected fields {sorted(unknown)}")
    collaboration = _lock_collaboration(goal.collaboration_id)
    caller_copy, goal = goal, lock(SharedGoal, goal.pk)
    goal.collaboration = collaboration
    _require_manager(actor, collaboration)
    check_version(goal, expected_version)
    _require_not_final(collaboration)
    current = {name: getattr(goal, name) for name in GOAL_FIELDS}
    values = _clean_goal({**current, **changes})
    for name, value in values.items():
        setattr(goal, name, value)
    _stamp(goal, actor)
    goal.save(update_fields=list(values))
    return copy_row(caller_copy, goal)


def goal_reporting_began(goal: SharedGoal) -> dt.date:
    """When reporting on `goal` began: the collaboration's start, or the day the goal was set if
    that came first (a goal may be back-filled from the collaboration's start)."""
    began = timezone.localdate(goal.created_at) if goal.created_at else timezone.localdate()
    start = goal.collaboration.start_date
    # A start stored before dates were bounded (year 1) must not overflow the arithmetic below.
    return shift(min(began, start), 0) if start is not None else began


def earliest_period_end(goal: SharedGoal) -> dt.date:
    """The earliest period end a measurement of `goal` may report: one reporting period (of its
    cadence) before reporting on it began, so the period running then may be reported."""
    return shift(goal_reporting_began(goal), -CADENCE_DAYS.get(goal.cadence, 91))


def reporting_organisation(
    *, actor, collaboration: Collaboration, organisation=None
) -> Organisation | None:
    """The organisation a measurement by `actor` is reported for. Partners and staff report for
    their own organisation only; a manager may report for any participant (by default their own
    organisation if it takes part, else the lead organisation)."""
    own_id = actor_organisation_id(actor)
    if is_partner(actor) or not may_manage_collaboration(actor, collaboration):
        if organisation is not None and organisation.pk != own_id:
            raise DomainError(
                _("You report for your own organisation only."), field="reported_by_organisation"
            )
        if own_id is None:
            return None
        return actor.organisation if is_partner(actor) else Organisation.objects.get(pk=own_id)
    if organisation is not None:
        return organisation
    if (
        own_id is not None
        and collaboration.participations.filter(
            organisation_id=own_id, status=Participation.Status.ACTIVE
        ).exists()
    ):
        return Organisation.objects.get(pk=own_id)
    return collaboration.lead_organisation


@transaction.atomic
def measurement_report(
    *,
    actor,
    goal: SharedGoal,
    value,
    period_end: dt.date,
    organisation: Organisation | None = None,
    evidence: str = "",
) -> Measurement:
    """Report a value of a goal's indicator for the period ending `period_end`. A sign of life
    from the reporting organisation.

    An organisation reports a goal's period once (the `measurement_once_per_period`
    constraint). The same report again (a double click, a client's retry) answers with the row
    already stored — its `is_repeat` is True — and writes nothing; a different value for a period
    already reported is a conflict (code "conflict": the API's 409)."""
    collaboration = _lock_collaboration(goal.collaboration_id)
    goal.collaboration = collaboration
    organisation = reporting_organisation(
        actor=actor, collaboration=collaboration, organisation=organisation
    )
    refusal = PermissionDenied(
        _(
            "Only the collaboration's managers and the participating organisations may report "
            "progress."
        )
    )
    if organisation is None or not may_report_measurement(actor, collaboration, organisation.pk):
        raise refusal
    require_open_for_partner_writes(
        collaboration=collaboration,
        organisation_id=organisation.pk,
        field="reported_by_organisation",
    )
    if not _participating(collaboration, organisation):
        if not may_manage_collaboration(actor, collaboration):
            raise refusal
        raise _not_participating_error(organisation, collaboration, "reported_by_organisation")
    value = _amount(value, field="value", label=_("value"))
    _check_period_end(goal, period_end)
    evidence = _text(evidence, field="evidence", label=_("evidence note"), max_length=MAX_TEXT)
    earlier = _measurement_reported(goal, organisation, period_end)
    if earlier is not None:
        return _repeat_or_conflict(earlier, value=value, evidence=evidence)
    measurement = Measurement(
        goal=goal,
        value=value,
        period_end=period_end,
        reported_by_organisation=organisation,
        reported_by_user=_user(actor),
        reported_by_token=_token(actor),
        evidence=evidence,
        reported_at=timezone.now(),
    )
    _stamp(measurement, actor)
    try:
        with transaction.atomic():
            measurement.save()
    except IntegrityError as exc:
        # The same report committed between the check and the insert (no row lock covers a row
        # that does not exist yet where the collaboration was not locked, e.g. SQLite).
        earlier = _measurement_reported(goal, organisation, period_end)
        if earlier is None:
            raise integrity_conflict(exc) from exc
        return _repeat_or_conflict(earlier, value=value, evidence=evidence)
    measurement.is_repeat = False
    activity_record(
        collaboration_id=collaboration.pk,
        organisation_id=organisation.pk,
        kind=Activity.Kind.MEASUREMENT_REPORTED,
        description=_("Reported %(value)s %(unit)s for “%(goal)s” (period ending %(date)s)")
        % {"value": value, "unit": goal.unit, "goal": goal.title, "date": period_end.isoformat()},
        recorded_by=_user(actor),
    )
    return measurement


def _check_period_end(goal: SharedGoal, period_end: dt.date | None) -> None:
    """The bounds of a measurement's period end, for a report and a correction alike."""
    if period_end is None:
        raise DomainError(_("Enter the date the reported period ended."), field="period_end")
    check_date(period_end, field="period_end")
    if period_end > timezone.localdate():
        raise DomainError(
            _(
                "A measurement reports a period that has ended: the period end cannot be in the "
                "future."
            ),
            field="period_end",
        )
    earliest = earliest_period_end(goal)
    if period_end < earliest:
        raise DomainError(
            _(
                "The period end cannot be before %(date)s: reporting on this goal began on "
                "%(began)s, and a measurement may go back one reporting period before that."
            )
            % {"date": earliest.isoformat(), "began": goal_reporting_began(goal).isoformat()},
            field="period_end",
        )


def _lock_measurement(measurement_id: int) -> Measurement:
    """The measurement, withdrawn or not, locked and read afresh (after its collaboration, in
    the lock order of collabhub/locking.py)."""
    return (
        Measurement.all_objects.select_for_update(no_key=True, of=("self",))
        .select_related("goal", "reported_by_organisation")
        .get(pk=measurement_id)
    )


def _measurement_writable(*, actor, measurement: Measurement) -> Collaboration:
    """Lock the measurement's collaboration and then the measurement; refuse whoever may not
    change it (the reporting organisation, a manager) and a collaboration or participation in a
    final state. Returns the locked collaboration; `measurement` is refreshed from the lock."""
    collaboration = _lock_collaboration(measurement.goal.collaboration_id)
    copy_row(measurement, _lock_measurement(measurement.pk))
    measurement.goal.collaboration = collaboration
    if not may_report_measurement(actor, collaboration, measurement.reported_by_organisation_id):
        raise PermissionDenied(
            _(
                "Only the organisation that reported a measurement and the collaboration's "
                "managers may correct or withdraw it."
            )
        )
    require_open_for_partner_writes(
        collaboration=collaboration,
        organisation_id=measurement.reported_by_organisation_id,
        field="reason",
    )
    if measurement.withdrawn_at is not None:
        raise DomainError(
            _("This measurement was withdrawn on %(date)s: it can no longer be changed.")
            % {"date": timezone.localtime(measurement.withdrawn_at).date().isoformat()},
            field="reason",
            code=CONFLICT,
        )
    return collaboration


MEASUREMENT_UNCHANGED = object()


def measurement_correct(
    *,
    actor,
    measurement: Measurement,
    reason: str,
    value=MEASUREMENT_UNCHANGED,
    period_end=MEASUREMENT_UNCHANGED,
) -> Measurement:
    """Correct a measurement's value or period end, with a reason. The row changes in place: the
    history keeps the reported figure, and no new "measurement reported" activity is recorded
    (a correction is not a second sign of life). The same correction again (a retry) changes
    nothing and answers with the row; a period the organisation already reported is a conflict."""
    with transaction.atomic():
        _measurement_writable(actor=actor, measurement=measurement)
        goal = measurement.goal
        reason = _text(
            reason, field="reason", label=_("reason"), max_length=MAX_TEXT, required=True
        )
        if value is MEASUREMENT_UNCHANGED and period_end is MEASUREMENT_UNCHANGED:
            raise DomainError(
                _("Give the corrected value, the corrected period end, or both."), field="value"
            )
        new_value = (
            measurement.value
            if value is MEASUREMENT_UNCHANGED
            else _amount(value, field="value", label=_("value"))
        )
        new_period_end = (
            measurement.period_end if period_end is MEASUREMENT_UNCHANGED else period_end
        )
        if new_period_end != measurement.period_end:
            _check_period_end(goal, new_period_end)
        if new_value == measurement.value and new_period_end == measurement.period_end:
            return measurement
        if new_period_end != measurement.period_end:
            other = _measurement_reported(
                goal, measurement.reported_by_organisation, new_period_end
            )
            if other is not None and other.pk != measurement.pk:
                raise DomainError(
                    _(
                        "%(organisation)s already reported %(value)s for the period ending "
                        "%(date)s: correct or withdraw that measurement instead."
                    )
                    % {
                        "organisation": other.reported_by_organisation.name,
                        "value": other.value,
                        "date": other.period_end.isoformat(),
                    },
                    field="period_end",
                    code=CONFLICT,
                )
        measurement.value = new_value
        measurement.period_end = new_period_end
        measurement.corrected_at = timezone.now()
        measurement.correction_reason = reason
        _stamp(measurement, actor, reason)
        try:
            with transaction.atomic():
                measurement.save(
                    update_fields=["value", "period_end", "corrected_at", "correction_reason"]
                )
        except IntegrityError as exc:
            raise integrity_conflict(exc) from exc
    return measurement


def measurement_withdraw(*, actor, measurement: Measurement, reason: str) -> Measurement:
    """Withdraw a measurement reported in error, with a reason. It stays in the table and its
    history but counts nowhere any more, and its period may be reported again. Withdrawing one
    already withdrawn is a conflict."""
    with transaction.atomic():
        _measurement_writable(actor=actor, measurement=measurement)
        reason = _text(
            reason, field="reason", label=_("reason"), max_length=MAX_TEXT, required=True
        )
        measurement.withdrawn_at = timezone.now()
        measurement.withdrawn_reason = reason
        _stamp(measurement, actor, reason)
        measurement.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    return measurement


def _measurement_reported(goal, organisation, period_end) -> Measurement | None:
    return (
        Measurement.objects.filter(
            goal=goal, reported_by_organisation=organisation, period_end=period_end
        )
        .select_related("reported_by_organisation")
        .first()
    )


def _repeat_or_conflict(earlier: Measurement, *, value: Decimal, evidence: str) -> Measurement:
    """The stored measurement when a report repeats it exactly; a conflict otherwise."""
    if earlier.value == value and earlier.evidence == evidence:
        earlier.is_repeat = True
        return earlier
    raise DomainError(
        _(
            "%(organisation)s already reported %(value)s for the period ending %(date)s. The "
            "period is already reported: to change the figure, correct that measurement "
            "(measurement %(id)s: “Correct” on the goal's page, or POST "
            "/api/v1/measurements/%(id)s/correct/) rather than reporting the period again."
        )
        % {
            "organisation": earlier.reported_by_organisation.name,
            "value": earlier.value,
            "date": earlier.period_end.isoformat(),
            "id": earlier.pk,
        },
        field="period_end",
        code="conflict",
    )


# Agreements and signatures ---------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "title",
    "kind",
    "version",
    "effective_date",
    "expiry_date",
    "renewal_notice_days",
    "document",
    "signatory_organisations",
)
# What only a draft may change: the text and who signs it.
AGREEMENT_DRAFT_ONLY = ("title", "kind", "version", "document", "signatory_organisations")


def _clean_signatories(collaboration, organisations) -> list[Organisation]:
    organisations = list(dict.fromkeys(organisations or []))
    if len(organisations) > MAX_IDS:
        raise DomainError(
            _("An agreement has at most %(max)s signatories.") % {"max": MAX_IDS},
            field="signatory_organisations",
        )
    participating = set(
        collaboration.participations.filter(status=Participation.Status.ACTIVE).values_list(
            "organisation_id", flat=True
        )
    )
    for organisation in organisations:
        if organisation.pk not in participating:
            raise _not_participating_error(organisation, collaboration, "signatory_organisations")
    return organisations


def _clean_agreement(values: dict) -> dict:
    kind = values.get("kind") or ""
    if kind not in Agreement.Kind.values:
        raise DomainError(_("Choose the kind of agreement."), field="kind")
    version = values.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 1000:
        raise DomainError(_("The version is a whole number from 1 to 1000."), field="version")
    notice = values.get("renewal_notice_days")
    if not isinstance(notice, int) or isinstance(notice, bool) or not 0 <= notice <= 3650:
        raise DomainError(
            _("The renewal notice period is a number of days from 0 to 3650."),
            field="renewal_notice_days",
        )
    check_date(values.get("effective_date"), field="effective_date")
    _check_dates(
        values.get("effective_date"),
        values.get("expiry_date"),
        start_label=_("effective date"),
        end_label=_("expiry date"),
        field="expiry_date",
    )
    return {
        "title": _text(
            values.get("title"), field="title", label=_("title"), max_length=200, required=True
        ),
        "kind": kind,
        "version": version,
        "effective_date": values.get("effective_date"),
        "expiry_date": values.get("expiry_date"),
        "renewal_notice_days": notice,
    }


def _attach_document(agreement: Agreement, document) -> None:
    kind = check_agreement_document(document)
    document.name = stored_name(getattr(document, "name", ""), kind)
    agreement.document = document


@transaction.atomic
def agreement_create(
    *,
    actor,
    collaboration: Collaboration,
    title: str,
    kind: str,
    version: int = 1,
    effective_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    renewal_notice_days: int = 90,
    document=None,
    signatory_organisations=(),
) -> Agreement:
    """A draft agreement, its document and the organisations that must sign it."""
    collaboration = _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    values = _clean_agreement(
        {
            "title": title,
            "kind": kind,
            "version": version,
            "effective_date": effective_date,
            "expiry_date": expiry_date,
            "renewal_notice_days": renewal_notice_days,
        }
    )
    signatories = _clean_signatories(collaboration, signatory_organisations)
    agreement = Agreement(collaboration=collaboration, status=AgreementStatus.DRAFT, **values)
    if document:
        _attach_document(agreement, document)
    _stamp(agreement, actor)
    agreement.save()
    for organisation in signatories:
        signatory = Signatory(agreement=agreement, organisation=organisation)
        _stamp(signatory, actor)
        signatory.save()
    return agreement


def _lock_agreement(agreement_pk: int, collaboration_id: int) -> Agreement:
    """Collaboration, then agreement, locked and read afresh (collabhub/locking.py)."""
    collaboration = _lock_collaboration(collaboration_id)
    agreement = lock(Agreement, agreement_pk)
    agreement.collaboration = collaboration
    return agreement


@transaction.atomic
def agreement_update(
    *, actor, agreement: Agreement, expected_version: str | None = None, **changes
) -> Agreement:
    """Change any of AGREEMENT_FIELDS. The text, document and signatories change only while the
    agreement is a draft; dates and the notice period until it expires or is terminated.

    Locked, and its status read inside the lock: an edit racing the last signature either
    comes first (and the signature sees the edited agreement) or sees it in force."""
    unknown = set(changes) - set(AGREEMENT_FIELDS)
    if unknown:
        raise TypeError(f"agreement_update() got unexpected fields {sorted(unknown)}")
    if "signatory_organisations" in changes:
        # Before any lookup: a list of 100,000 ids is refused at once.
        changes["signatory_organisations"] = list(changes["signatory_organisations"] or [])
        if len(changes["signatory_organisations"]) > MAX_IDS:
            raise DomainError(
                _("An agreement has at most %(max)s signatories.") % {"max": MAX_IDS},
                field="signatory_organisations",
            )
    caller_copy = agreement
    agreement = _lock_agreement(agreement.pk, agreement.collaboration_id)
    collaboration = agreement.collaboration
    _require_manager(actor, collaboration)
    check_version(agreement, expected_version)
    _require_not_final(collaboration)
    if not AGREEMENT_TRANSITIONS.get(agreement.status):
        raise DomainError(
            _("This agreement is %(status)s: it can no longer change.")
            % {"status": _status_label(Agreement, agreement.status).lower()}
        )
    current_signatories = list(
        Organisation.objects.filter(signatures__agreement=agreement).order_by("name")
    )
    if agreement.status != AgreementStatus.DRAFT:
        for name in AGREEMENT_DRAFT_ONLY:
            if name not in changes:
                continue
            if name == "document":
                unchanged = not changes[name]
            elif name == "signatory_organisations":
                unchanged = {o.pk for o in changes[name] or []} == {
                    o.pk for o in current_signatories
                }
            else:
                unchanged = changes[name] == getattr(agreement, name)
            if not unchanged:
                raise DomainError(
                    _(
                        "Only a draft agreement's text, document and signatories can change; this "
                        "one is %(status)s. Terminate it and draft a new version instead."
                    )
                    % {"status": _status_label(Agreement, agreement.status).lower()},
                    field=name,
                )
    current = {
        name: getattr(agreement, name)
        for name in AGREEMENT_FIELDS
        if name not in ("document", "signatory_organisations")
    }
    values = _clean_agreement({**current, **{k: v for k, v in changes.items() if k in current}})
    for name, value in values.items():
        setattr(agreement, name, value)
    changed = list(values)
    if changes.get("document"):
        _attach_document(agreement, changes["document"])
        changed.append("document")
    _stamp(agreement, actor)
    agreement.save(update_fields=changed)
    if agreement.status == AgreementStatus.DRAFT and "signatory_organisations" in changes:
        wanted = _clean_signatories(collaboration, changes["signatory_organisations"])
        wanted_ids = {o.pk for o in wanted}
        for signatory in agreement.signatories.exclude(organisation_id__in=wanted_ids):
            _stamp(signatory, actor, _("removed as signatory"))
            signatory.delete()
        have = {o.pk for o in current_signatories}
        for organisation in wanted:
            if organisation.pk not in have:
                signatory = Signatory(agreement=agreement, organisation=organisation)
                _stamp(signatory, actor)
                signatory.save()
    return copy_row(caller_copy, agreement)


def agreement_next_statuses(agreement: Agreement) -> tuple[str, ...]:
    return AGREEMENT_TRANSITIONS.get(agreement.status, ())


@transaction.atomic
def agreement_transition(*, actor, agreement: Agreement, to_status: str) -> Agreement:
    """Circulate a draft for signature (it needs at least one signatory), take it back to draft
    (before anyone signed), mark it expired or terminate it. An agreement comes into force only
    through its last signature (agreement_sign).

    Compare-and-set: the status and signatures are read inside the lock that agreement_sign
    also takes, so "back to draft" and the last signature cannot both win."""
    caller_copy, agreement = agreement, _lock_agreement(agreement.pk, agreement.collaboration_id)
    _require_manager(actor, agreement.collaboration)
    if to_status not in AgreementStatus.values:
        raise DomainError(
            _("“%(status)s” is not an agreement status.") % {"status": to_status}, field="status"
        )
    current = agreement.status
    labels = {"from": _status_label(Agreement, current), "to": _status_label(Agreement, to_status)}
    if to_status == current:
        raise DomainError(
            _("The agreement is already %(from)s.") % {"from": labels["from"].lower()},
            field="status",
        )
    if to_status == AgreementStatus.IN_FORCE:
        raise DomainError(
            _("An agreement comes into force by itself when every signatory has signed."),
            field="status",
        )
    allowed = AGREEMENT_TRANSITIONS.get(current, ())
    if not allowed:
        raise DomainError(
            _("The agreement is %(from)s, which is final: its status can no longer change.")
            % {"from": labels["from"].lower()},
            field="status",
        )
    if to_status not in allowed:
        raise DomainError(
            _(
                "An agreement cannot go from %(from)s to %(to)s; from %(from)s it can go to "
                "%(allowed)s."
            )
            % {
                **labels,
                "allowed": _(" or ").join(str(_status_label(Agreement, s)) for s in allowed),
            },
            field="status",
        )
    if to_status == AgreementStatus.CIRCULATING:
        _require_not_final(agreement.collaboration, field="status")
        if not agreement.signatories.exists():
            raise DomainError(
                _("Name at least one signatory before circulating the agreement for signature."),
                field="status",
            )
        agreement.circulated_on = timezone.localdate()
    if to_status == AgreementStatus.DRAFT:
        signed = list(
            agreement.signatories.filter(signed_at__isnull=False).select_related("organisation")
        )
        if signed:
            raise DomainError(
                _(
                    "%(names)s already signed: this version can no longer return to draft. "
                    "Terminate it and draft a new version instead."
                )
                % {"names": ", ".join(s.organisation.name for s in signed)},
                field="status",
            )
        agreement.circulated_on = None
    if to_status == AgreementStatus.EXPIRED and agreement.expiry_date is None:
        agreement.expiry_date = max(timezone.localdate(), agreement.effective_date or dt.date.min)
    agreement.status = to_status
    _stamp(agreement, actor, f"status: {current} → {to_status}")
    agreement.save(update_fields=["status", "circulated_on", "expiry_date"])
    return copy_row(caller_copy, agreement)


def _default_signer_name(actor) -> str:
    if is_partner(actor):
        return _("%(organisation)s (API token %(prefix)s)") % {
            "organisation": actor.organisation.name,
            "prefix": actor.token.prefix,
        }
    if isinstance(actor, User):
        return actor.get_full_name() or actor.get_username()
    return ""


def _signed_at(signed_on: dt.date | None, *, agreement: Agreement, actor) -> dt.datetime:
    """When a signature was made: now, or the day a manager says a paper signature was made —
    not in the future, not before the agreement circulated. A past day is kept as its noon
    (local time), so the date reads the same in every time zone of the country."""
    now = timezone.now()
    if signed_on is None:
        return now
    if not may_manage_collaboration(actor, agreement.collaboration):
        raise DomainError(
            _(
                "Only a manager of the collaboration recording a signature made on paper gives "
                "its date; a signature made here is dated now."
            ),
            field="signed_on",
        )
    today = timezone.localdate()
    if signed_on > today:
        raise DomainError(_("The signature date cannot be in the future."), field="signed_on")
    circulated = agreement.circulated_on
    if circulated is not None and signed_on < circulated:
        raise DomainError(
            _(
                "The signature date cannot be before the agreement circulated for signature "
                "(%(date)s)."
            )
            % {"date": circulated.isoformat()},
            field="signed_on",
        )
    if signed_on == today:
        return now
    return timezone.make_aware(dt.datetime.combine(signed_on, dt.time(12)))


@transaction.atomic
def agreement_sign(
    *,
    agreement: Agreement,
    organisation: Organisation,
    actor,
    signed_by_name: str = "",
    signed_by_title: str = "",
    signed_on: dt.date | None = None,
) -> Signatory:
    """Record `organisation`'s signature, with the signer's name and title: its own staff or
    read-write token sign for it (dated now), or a manager records a signature made on paper,
    on the day it was made (`signed_on`, default today). The last signature puts the agreement
    in force (effective today unless an effective date was set)."""
    # Locked (collaboration, agreement, signatory), so two last signatures at once cannot both
    # miss that everyone has signed, and an edit or "back to draft" waits for the signature.
    caller_copy, agreement = agreement, _lock_agreement(agreement.pk, agreement.collaboration_id)
    signatory = (
        agreement.signatories.select_for_update(no_key=True, of=("self",))
        .select_related("organisation")
        .filter(organisation=organisation)
        .first()
    )
    if signatory is None:
        raise DomainError(
            _("%(organisation)s is not a signatory of this agreement.")
            % {"organisation": organisation.name},
            field="organisation",
        )
    signatory.agreement = agreement
    if not may_sign(actor, signatory):
        raise PermissionDenied(
            _(
                "Only %(organisation)s itself, or a manager of the collaboration recording a "
                "signature on paper, may sign for it."
            )
            % {"organisation": organisation.name}
        )
    if signatory.signed_at is not None:
        raise DomainError(
            _("%(organisation)s already signed this agreement on %(date)s.")
            % {
                "organisation": organisation.name,
                "date": timezone.localtime(signatory.signed_at).date().isoformat(),
            },
            field="organisation",
            code=CONFLICT,
        )
    if agreement.status != AgreementStatus.CIRCULATING:
        if agreement.status == AgreementStatus.DRAFT:
            message = _(
                "This agreement is still a draft: it can be signed once it circulates for "
                "signature."
            )
        else:
            message = _("This agreement is %(status)s: it is no longer open for signature.") % {
                "status": _status_label(Agreement, agreement.status).lower()
            }
        raise DomainError(message, field="status", code=CONFLICT)
    require_open_for_partner_writes(
        collaboration=agreement.collaboration, organisation_id=organisation.pk
    )
    last = (
        not agreement.signatories.filter(signed_at__isnull=True).exclude(pk=signatory.pk).exists()
    )
    effective = agreement.effective_date or timezone.localdate()
    if last and agreement.expiry_date is not None and agreement.expiry_date < effective:
        # Checked before anything is written: in force, it would be effective after it expired.
        raise DomainError(
            _(
                "This is the last signature, which would put the agreement in force on "
                "%(effective)s, after its expiry date %(expiry)s. A manager must change the "
                "expiry date first."
            )
            % {"effective": effective.isoformat(), "expiry": agreement.expiry_date.isoformat()},
            field="expiry_date",
        )
    signed_by_name = _text(
        signed_by_name, field="signed_by_name", label=_("signer's name"), max_length=150
    ) or _default_signer_name(actor)
    signatory.signed_by_name = signed_by_name[:150]
    signatory.signed_by_title = _text(
        signed_by_title, field="signed_by_title", label=_("signer's title"), max_length=150
    )
    signatory.signed_by_user = _user(actor)
    signatory.signed_by_token = _token(actor)
    signatory.signed_at = _signed_at(signed_on, agreement=agreement, actor=actor)
    _stamp(signatory, actor, _("signed"))
    signatory.save(
        update_fields=[
            "signed_by_name",
            "signed_by_title",
            "signed_by_user",
            "signed_by_token",
            "signed_at",
        ]
    )
    if last:
        agreement.status = AgreementStatus.IN_FORCE
        agreement.effective_date = effective
        _stamp(agreement, actor, _("in force: every signatory signed"))
        agreement.save(update_fields=["status", "effective_date"])
    copy_row(caller_copy, agreement)
    activity_record(
        collaboration_id=agreement.collaboration_id,
        organisation_id=organisation.pk,
        kind=Activity.Kind.AGREEMENT_SIGNED,
        description=_("Signed “%(agreement)s” (version %(version)s)")
        % {"agreement": agreement.title, "version": agreement.version},
        recorded_by=_user(actor),
    )
    return signatory


# Obligations -----------------------------------------------------------------------------------

OBLIGATION_FIELDS = (
    "organisation",
    "agreement",
    "kind",
    "description",
    "quantity",
    "unit",
    "due_date",
)


def _clean_obligation(collaboration, obligation: Obligation | None, values: dict) -> dict:
    organisation = values.get("organisation")
    if organisation is None:
        raise DomainError(_("Choose the organisation that owes this."), field="organisation")
    current_org = obligation.organisation_id if obligation is not None else None
    if organisation.pk != current_org and not _participating(collaboration, organisation):
        raise _not_participating_error(organisation, collaboration, "organisation")
    agreement = values.get("agreement")
    if agreement is not None and agreement.collaboration_id != collaboration.pk:
        raise DomainError(_("The agreement must belong to this collaboration."), field="agreement")
    kind = values.get("kind") or ""
    if kind not in Obligation.Kind.values:
        raise DomainError(_("Choose the kind of obligation."), field="kind")
    quantity = _amount(
        values.get("quantity"), field="quantity", label=_("quantity"), required=False
    )
    if quantity is not None and quantity < 0:
        raise DomainError(_("The quantity cannot be negative."), field="quantity")
    unit = values.get("unit") or ""
    if unit and unit not in Obligation.Unit.values:
        raise DomainError(_("Choose dollars, hours, FTE or items."), field="unit")
    if quantity is not None and not unit:
        raise DomainError(
            _("Give the unit of the quantity: dollars, hours, FTE or items."), field="unit"
        )
    if values.get("due_date") is None:
        raise DomainError(_("Enter the due date."), field="due_date")
    check_date(values["due_date"], field="due_date")
    return {
        "organisation": organisation,
        "agreement": agreement,
        "kind": kind,
        "description": _text(
            values.get("description"),
            field="description",
            label=_("description"),
            max_length=300,
            required=True,
        ),
        "quantity": quantity,
        "unit": unit,
        "due_date": values["due_date"],
    }


@transaction.atomic
def obligation_create(
    *,
    actor,
    collaboration: Collaboration,
    organisation: Organisation,
    kind: str,
    description: str,
    due_date: dt.date,
    quantity=None,
    unit: str = "",
    agreement: Agreement | None = None,
) -> Obligation:
    collaboration = _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    values = _clean_obligation(
        collaboration,
        None,
        {
            "organisation": organisation,
            "agreement": agreement,
            "kind": kind,
            "description": description,
            "quantity": quantity,
            "unit": unit,
            "due_date": due_date,
        },
    )
    obligation = Obligation(collaboration=collaboration, **values)
    _stamp(obligation, actor)
    obligation.save()
    return obligation


def _lock_obligation(obligation_pk: int, collaboration_id: int) -> Obligation:
    """Collaboration, then obligation, locked and read afresh (collabhub/locking.py)."""
    collaboration = _lock_collaboration(collaboration_id)
    obligation = lock(Obligation, obligation_pk, related=("organisation",))
    obligation.collaboration = collaboration
    return obligation


@transaction.atomic
def obligation_update(
    *, actor, obligation: Obligation, expected_version: str | None = None, **changes
) -> Obligation:
    """Change a pending obligation. Locked and re-read: an edit racing "mark met" either comes
    first or finds the obligation met and is refused — it never puts it back to pending."""
    unknown = set(changes) - set(OBLIGATION_FIELDS)
    if unknown:
        raise TypeError(f"obligation_update() got unexpected fields {sorted(unknown)}")
    caller_copy = obligation
    obligation = _lock_obligation(obligation.pk, obligation.collaboration_id)
    collaboration = obligation.collaboration
    _require_manager(actor, collaboration)
    check_version(obligation, expected_version)
    _require_not_final(collaboration)
    if obligation.status != Obligation.Status.PENDING:
        raise DomainError(
            _("This obligation is %(status)s: it can no longer change.")
            % {"status": _status_label(Obligation, obligation.status).lower()}
        )
    current = {name: getattr(obligation, name) for name in OBLIGATION_FIELDS}
    values = _clean_obligation(collaboration, obligation, {**current, **changes})
    for name, value in values.items():
        setattr(obligation, name, value)
    _stamp(obligation, actor)
    obligation.save(update_fields=list(values))
    return copy_row(caller_copy, obligation)


def _require_pending(obligation: Obligation) -> None:
    if obligation.status == Obligation.Status.MET:
        raise DomainError(
            _("This obligation was already met on %(date)s.")
            % {"date": timezone.localtime(obligation.met_at).date().isoformat()},
            code=CONFLICT,
        )
    if obligation.status == Obligation.Status.WAIVED:
        raise DomainError(_("This obligation was waived; it is no longer owed."), code=CONFLICT)


def _evidence_url(value: str) -> str:
    value = _text(value, field="evidence_url", label=_("evidence link"), max_length=500)
    if value:
        try:
            WEB_ADDRESS(value)
        except ValidationError as exc:
            raise DomainError(
                _("Enter a web address starting with http:// or https://."), field="evidence_url"
            ) from exc
    return value


def _attach_evidence_file(obligation: Obligation, upload) -> None:
    """The same content checks as agreement documents (PDF, DOCX or ODT, judged by content, at
    most MAX_UPLOAD_BYTES), named for what it is."""
    try:
        kind = check_agreement_document(upload)
    except DomainError as error:
        raise DomainError(error.message, field="evidence_file") from error
    upload.name = stored_name(getattr(upload, "name", ""), kind)
    obligation.evidence_file = upload


@transaction.atomic
def obligation_mark_met(
    *,
    obligation: Obligation,
    actor,
    evidence: str,
    evidence_url: str = "",
    evidence_file=None,
) -> Obligation:
    """The obligated organisation (its staff or read-write token) or a manager records that an
    obligation was met, with the evidence: a description, and optionally a link (http or https)
    and a file (a PDF, DOCX or ODT document). A sign of life from that organisation."""
    caller_copy = obligation
    obligation = _lock_obligation(obligation.pk, obligation.collaboration_id)
    if not may_mark_met(actor, obligation):
        raise PermissionDenied(
            _("Only %(organisation)s itself or a manager of the collaboration may do that.")
            % {"organisation": obligation.organisation.name}
        )
    require_open_for_partner_writes(
        collaboration=obligation.collaboration, organisation_id=obligation.organisation_id
    )
    _require_pending(obligation)
    evidence = _text(
        evidence, field="evidence", label=_("evidence"), max_length=MAX_TEXT, required=True
    )
    evidence_url = _evidence_url(evidence_url)
    if evidence_file:
        _attach_evidence_file(obligation, evidence_file)
    obligation.status = Obligation.Status.MET
    obligation.met_at = timezone.now()
    obligation.evidence = evidence
    obligation.evidence_url = evidence_url
    _stamp(obligation, actor, _("marked met"))
    obligation.save(
        update_fields=[
            "status",
            "met_at",
            "evidence",
            "evidence_url",
            *(["evidence_file"] if evidence_file else []),
        ]
    )
    activity_record(
        collaboration_id=obligation.collaboration_id,
        organisation_id=obligation.organisation_id,
        kind=Activity.Kind.OBLIGATION_MET,
        description=_("Met “%(obligation)s”") % {"obligation": obligation.description},
        recorded_by=_user(actor),
    )
    return copy_row(caller_copy, obligation)


@transaction.atomic
def obligation_evidence_attach(*, obligation: Obligation, actor, evidence_file) -> Obligation:
    """Attach a file (PDF, DOCX or ODT) to a met obligation's evidence, or replace it: the API's
    upload operation, after `mark-met` recorded the description and link. Who may mark an
    obligation met may attach its evidence; a pending or waived obligation has none."""
    obligation = _lock_obligation(obligation.pk, obligation.collaboration_id)
    if not may_mark_met(actor, obligation):
        raise PermissionDenied(
            _("Only %(organisation)s itself or a manager of the collaboration may do that.")
            % {"organisation": obligation.organisation.name}
        )
    if obligation.status != Obligation.Status.MET:
        raise DomainError(
            _("Evidence is attached to a met obligation: mark it met first."),
            field="evidence_file",
            code=CONFLICT,
        )
    if not evidence_file:
        raise DomainError(_("Choose a file to upload."), field="evidence_file")
    _attach_evidence_file(obligation, evidence_file)
    _stamp(obligation, actor, _("evidence file attached"))
    obligation.save(update_fields=["evidence_file"])
    return obligation


@transaction.atomic
def obligation_waive(*, obligation: Obligation, actor, reason: str) -> Obligation:
    """A manager releases an organisation from an obligation; the reason is kept as evidence."""
    caller_copy = obligation
    obligation = _lock_obligation(obligation.pk, obligation.collaboration_id)
    _require_manager(actor, obligation.collaboration)
    _require_pending(obligation)
    reason = _text(reason, field="reason", label=_("reason"), max_length=MAX_TEXT, required=True)
    obligation.status = Obligation.Status.WAIVED
    obligation.evidence = reason
    _stamp(obligation, actor, _("waived"))
    obligation.save(update_fields=["status", "evidence"])
    return copy_row(caller_copy, obligation)
