"""Obligations: created and edited by the collaboration's managers, marked met with evidence by
the partner that owes them, or waived."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import fields
from core.bounds import check_date
from core.errors import CONFLICT, DomainError
from core.events import PartnerActed, publish
from core.locking import copy_row, lock
from core.versioning import check_version
from partners.models import Organisation

from ..access import (
    may_mark_met,
)
from ..documents import check_agreement_document, stored_name
from ..models import (
    WEB_ADDRESS,
    Agreement,
    Collaboration,
    Obligation,
)
from ..rules import require_open_for_partner_writes
from .common import (
    _lock_collaboration,
    _not_participating_error,
    _participating,
    _require_manager,
    _require_not_final,
    _stamp,
    _status_label,
    _user,
)

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
    quantity = fields.amount(Obligation, "quantity", values.get("quantity"))
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
        "description": fields.text(Obligation, "description", values.get("description")),
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
    """Collaboration, then obligation, locked and read afresh (core/locking.py)."""
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
    value = fields.text(Obligation, "evidence_url", value)
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
    evidence = fields.text(Obligation, "evidence", evidence, required=True)
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
    publish(
        PartnerActed(
            collaboration_id=obligation.collaboration_id,
            organisation_id=obligation.organisation_id,
            kind="obligation_met",
            description=_("Met “%(obligation)s”") % {"obligation": obligation.description},
            recorded_by=_user(actor),
        )
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
    reason = fields.plain_text(
        reason, field="reason", label=_("reason"), max_length=fields.MAX_TEXT, required=True
    )
    obligation.status = Obligation.Status.WAIVED
    obligation.evidence = reason
    _stamp(obligation, actor, _("waived"))
    obligation.save(update_fields=["status", "evidence"])
    return copy_row(caller_copy, obligation)
