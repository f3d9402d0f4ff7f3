"""Collaborations: created, edited under a version check, and moved through their statuses."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_organisation_id, is_administrator, is_commissioner
from core.bounds import check_date
from core.errors import DomainError
from core.events import ScanScopeNarrowed, publish
from core.locking import copy_row
from core.slugs import checked_slug, unique_slug
from core.translated import reading_order, version_name, version_names, versions_of
from core.versioning import check_version
from partners.models import Organisation, User

from ..access import (
    may_create_collaboration,
)
from ..models import (
    Collaboration,
    Participation,
    Role,
    Structure,
)
from ..structures import (
    problems_for_roles,
    role_problems,
    rules_for,
    structure_problems,
)
from .common import (
    COLLABORATION_TRANSITIONS,
    RESERVED_SLUGS,
    CollaborationStatus,
    _check_dates,
    _clean_texts,
    _lock_collaboration,
    _require_manager,
    _require_not_final,
    _stamp,
    _status_label,
)

# Written in each language (agreements/translation.py): given as their versions (`title_en`,
# `title_fr`), or without a language (`title`) for the version in the caller's language.
COLLABORATION_TEXTS = ("title", "summary", "shared_vision")
COLLABORATION_FIELDS = (
    *version_names("title"),
    "slug",
    *version_names("summary"),
    *version_names("shared_vision"),
    "structure",
    "lead_organisation",
    "commissioner",
    "start_date",
    "planned_end_date",
)


def _clean_collaboration(collaboration: Collaboration | None, values: dict) -> dict:
    exclude_pk = collaboration.pk if collaboration is not None else None
    texts = _clean_texts(Collaboration, COLLABORATION_TEXTS, values)
    # A slug made from the title in the deployment's language, else the other one.
    title = next(
        texts[version_name("title", code)]
        for code in reading_order(settings.LANGUAGE_CODE)
        if texts[version_name("title", code)]
    )
    slug = (values.get("slug") or "").strip()
    if not slug:
        slug = collaboration.slug if collaboration is not None else ""
        slug = slug or unique_slug(
            Collaboration.objects.all(),
            title,
            exclude_pk=exclude_pk,
            reserved=RESERVED_SLUGS,
            fallback="collaboration",
        )
    else:
        checked_slug(
            Collaboration.objects.all(),
            slug,
            exclude_pk=exclude_pk,
            reserved=RESERVED_SLUGS,
            taken_message=_("Another collaboration already uses the slug “%(slug)s”."),
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
        **texts,
        "slug": slug,
        "structure": structure,
        "lead_organisation": lead,
        "commissioner": commissioner,
        "start_date": start_date,
        "planned_end_date": planned_end_date,
    }


def _save_collaboration(collaboration: Collaboration, update_fields=None) -> None:
    if update_fields is not None:
        # The original text columns follow their versions (core/translated.py).
        update_fields = [*update_fields, *COLLABORATION_TEXTS, "updated_at"]
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
    structure: str,
    title: str = "",
    lead_organisation: Organisation | None = None,
    slug: str = "",
    summary: str = "",
    shared_vision: str = "",
    commissioner: User | None = None,
    start_date: dt.date | None = None,
    planned_end_date: dt.date | None = None,
    **versions: str,
) -> Collaboration:
    """A new collaboration, proposed, with its lead organisation as its first participant (in the
    structure's leading role). A staff user's collaboration is led by their own organisation; a
    commissioner who names no commissioner commissions it themselves.

    Title, summary and shared vision: `title` is the version in the caller's language;
    `versions` gives any language's by name (`title_en=`, `title_fr=`), which wins."""
    _check_version_names(versions)
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
    texts = versions_of(
        {
            **({"title": title} if title else {}),
            **({"summary": summary} if summary else {}),
            **({"shared_vision": shared_vision} if shared_vision else {}),
            **versions,
        },
        COLLABORATION_TEXTS,
    )
    values = _clean_collaboration(
        None,
        {
            **texts,
            "slug": slug,
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
    """Change any of COLLABORATION_FIELDS (or `title`, `summary`, `shared_vision`: the version
    in the caller's language); fields not given keep their value.
    `expected_version` (the form's hidden row_version, the API's If-Match) refuses the change
    when the collaboration changed since the caller read it."""
    unknown = set(changes) - set(COLLABORATION_FIELDS) - set(COLLABORATION_TEXTS)
    if unknown:
        raise TypeError(f"collaboration_update() got unexpected fields {sorted(unknown)}")
    changes = {
        **{name: value for name, value in changes.items() if name not in COLLABORATION_TEXTS},
        **versions_of(changes, COLLABORATION_TEXTS),
    }
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


def _check_version_names(versions: dict) -> None:
    known = {version for name in COLLABORATION_TEXTS for version in version_names(name)}
    unknown = set(versions) - known
    if unknown:
        raise TypeError(f"collaboration_create() got unexpected arguments {sorted(unknown)}")


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
    publish(ScanScopeNarrowed(collaboration_id=collaboration.pk))
    return copy_row(caller_copy, collaboration)
