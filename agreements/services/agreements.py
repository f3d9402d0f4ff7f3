"""Agreements: drafted, circulated, signed by each signatory organisation (the last signature puts
the agreement in force), expired or terminated."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import fields
from core.actors import is_partner
from core.bounds import MAX_IDS, check_date
from core.errors import CONFLICT, DomainError
from core.events import PartnerActed, publish
from core.locking import copy_row, lock
from core.versioning import check_version
from partners.models import Organisation, User

from ..access import (
    may_manage_collaboration,
    may_sign,
)
from ..documents import check_agreement_document, stored_name
from ..models import (
    Agreement,
    Collaboration,
    Participation,
    Signatory,
)
from ..rules import require_open_for_partner_writes
from .common import (
    _check_dates,
    _lock_collaboration,
    _not_participating_error,
    _require_manager,
    _require_not_final,
    _stamp,
    _status_label,
    _token,
    _user,
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
        "title": fields.text(Agreement, "title", values.get("title")),
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
    """Collaboration, then agreement, locked and read afresh (core/locking.py)."""
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
    signed_by_name = fields.text(
        Signatory, "signed_by_name", signed_by_name, label=_("signer's name")
    ) or _default_signer_name(actor)
    signatory.signed_by_name = signed_by_name[:150]
    signatory.signed_by_title = fields.text(Signatory, "signed_by_title", signed_by_title)
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
    publish(
        PartnerActed(
            collaboration_id=agreement.collaboration_id,
            organisation_id=organisation.pk,
            kind="agreement_signed",
            description=_("Signed “%(agreement)s” (version %(version)s)")
            % {"agreement": agreement.title, "version": agreement.version},
            recorded_by=_user(actor),
        )
    )
    return signatory
