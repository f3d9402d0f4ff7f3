"""The mail the commissioner app sends: flag digests, obligation reminders and agreement renewal
notices, each sent on commit and recorded so that it goes out once."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, Obligation, Participation
from core.bounds import shift
from core.i18n import recipient_language, written_in
from core.translated import translated, version_names
from partners.models import Contact, User

from ..models import (
    Flag,
    Reminder,
    State,
)
from ..reasons import render_all
from .common import CLOSED_COLLABORATION_STATUSES, SCANNED_COLLABORATION_STATUSES, site_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestLine:
    """What a digest says of one flag (read as values: a national scan announces thousands)."""

    pk: int
    band: str
    score: int
    reasons: list  # codes and figures (commissioner/reasons.py)
    organisation: str
    collaboration: dict  # its title in each language: `title_en`, `title_fr`


# A digest names each flag's collaboration by its title in every language (the recipient's is
# chosen when the message is written).
TITLES = tuple(version_names("participation__collaboration__title"))


def _title(collaboration) -> str:
    """A collaboration's title in the recipient's language, or the other one's marked as such:
    "Entente régionale (in French)" (core/translated.py)."""
    return translated(collaboration, "title").text_with_marker


def _digest_message(
    commissioner: User, lines_of: list[DigestLine], as_of: dt.date | None = None
) -> mail.EmailMessage:
    count = len(lines_of)
    subject = ngettext(
        "CollabHub: %(count)s partner needs attention",
        "CollabHub: %(count)s partners need attention",
        count,
    ) % {"count": count}
    lines = [
        _("Hello %(name)s,") % {"name": commissioner.get_full_name() or commissioner.username},
        "",
        ngettext(
            "The engagement scan flagged %(count)s partner on your collaborations (newly, or "
            "worse than when you were last told):",
            "The engagement scan flagged %(count)s partners on your collaborations (newly, or "
            "worse than when you were last told):",
            count,
        )
        % {"count": count},
        "",
    ]
    # Labels translated and the link reversed once per message, not once per flag.
    bands = {value: str(label) for value, label in State.choices}
    score = _("score")
    link = site_url(reverse("commissioner:flag_detail", kwargs={"pk": 0}))
    before, after = link.rsplit("/0/", 1)
    for flag in lines_of:
        lines.append(
            f"- {flag.organisation} — {_title(flag.collaboration)}: {bands[flag.band]} ({score} "
            f"{flag.score})"
        )
        lines.extend(f"    · {reason}" for reason in render_all(flag.reasons, as_of))
        lines.append(f"    {before}/{flag.pk}/{after}")
    lines += [
        "",
        _("The flag inbox lists every open flag: %(link)s")
        % {"link": site_url(reverse("commissioner:flag_list"))},
    ]
    return mail.EmailMessage(subject=subject, body="\n".join(lines), to=[commissioner.email])


# A message to send and what to undo when the mail server does not take it.
Outgoing = tuple[mail.EmailMessage, Callable[[], None]]


def _send_each(outgoing: list[Outgoing], what: str) -> list[bool]:
    """Send each message on its own over one connection; returns, per message, whether the mail
    server took it. A message it did not take (an error, or a backend reporting 0 sent) has its
    undo run, so what is recorded as sent is exactly what went out and the next run sends the
    rest."""
    delivered: list[bool] = []
    if not outgoing:
        return delivered
    mail_connection = mail.get_connection()
    try:
        mail_connection.open()
    except Exception:
        # The backend opens again on the first send; if the server is really down, each
        # message's failure is handled below.
        logger.warning("Could not open the mail connection for %s; trying each message", what)
    try:
        for message, undo in outgoing:
            try:
                sent = bool(mail_connection.send_messages([message]))
            except Exception:
                logger.exception("Could not send %s to %s; the next run retries", what, message.to)
                sent = False
            if not sent:
                undo()
            delivered.append(sent)
    finally:
        try:
            mail_connection.close()
        except Exception:
            logger.warning("Could not close the mail connection after sending %s", what)
    return delivered


def _send_on_commit(outgoing: list[Outgoing], what: str) -> list[bool]:
    """Send `outgoing` once the current transaction commits. The list returned says, per
    message, whether it went out — once that has happened (until then, every one counts)."""
    delivered = [True] * len(outgoing)

    def send() -> None:
        delivered[:] = _send_each(outgoing, what)

    transaction.on_commit(send)
    return delivered


def flag_digests_send(*, as_of: dt.date | None = None) -> int:
    """One e-mail per commissioner listing the open flags of their collaborations nobody has
    been told about. The flags are marked notified in the same transaction that locks them, and
    the mail leaves only after that commits: a flag is never announced twice. Digests are sent
    one by one; the flags of a digest the mail server refused are unmarked (only those), so the
    next scan announces them and nothing twice. Returns the digests sent. The reasons' day
    counts are as of `as_of` (the scan's date; today by default)."""
    marked_at = timezone.now()
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        rows = list(
            Flag.objects.select_for_update(of=("self",))
            .filter(
                notified_at__isnull=True,
                status__in=Flag.OPEN_STATUSES,
                # Never a partner that withdrew or a collaboration no longer active (the scan
                # closes those flags; this holds even before it has).
                participation__status=Participation.Status.ACTIVE,
                participation__collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
                participation__collaboration__commissioner__isnull=False,
                participation__collaboration__commissioner__is_active=True,
            )
            .exclude(participation__collaboration__commissioner__email="")
            .order_by("participation__collaboration__title", "participation__organisation__name")
            .values_list(
                "participation__collaboration__commissioner_id",
                "participation__collaboration__commissioner__username",
                "participation__collaboration__commissioner__first_name",
                "participation__collaboration__commissioner__last_name",
                "participation__collaboration__commissioner__email",
                "participation__collaboration__commissioner__preferred_language",
                "pk",
                "state",
                "score",
                "reason_codes",
                "participation__organisation__name",
                *TITLES,
            )
        )
        if not rows:
            return 0
        by_commissioner: dict[int, list[DigestLine]] = defaultdict(list)
        commissioners = {}
        for pk, username, first_name, last_name, email, language, *line in rows:
            line, titles = line[: -len(TITLES)], line[-len(TITLES) :]
            line.append(dict(zip(version_names("title"), titles, strict=True)))
            if pk not in commissioners:
                commissioners[pk] = User(
                    pk=pk,
                    username=username,
                    first_name=first_name,
                    last_name=last_name,
                    email=email,
                    preferred_language=language,
                )
            by_commissioner[pk].append(DigestLine(*line))
        announced = [line.pk for group in by_commissioner.values() for line in group]
        Flag.objects.filter(pk__in=announced).update(notified_at=marked_at)

        def unmark(group: list[DigestLine]) -> Callable[[], None]:
            ids = [flag.pk for flag in group]

            def undo() -> None:
                Flag.objects.filter(pk__in=ids, notified_at=marked_at).update(notified_at=None)

            return undo

        outgoing = [
            (
                written_in(
                    recipient_language(commissioners[pk]),
                    _digest_message,
                    commissioners[pk],
                    group,
                    as_of,
                ),
                unmark(group),
            )
            for pk, group in by_commissioner.items()
        ]
        delivered = _send_on_commit(outgoing, "an engagement digest")
    return sum(delivered)


def _primary_email(organisation_ref: str, field: str = "email") -> Subquery:
    """The organisation's primary contact's e-mail (or its `field`: its preferred language)."""
    return Subquery(
        Contact.objects.filter(
            organisation_id=OuterRef(organisation_ref), is_primary=True, is_active=True
        )
        .exclude(email="")
        .order_by("pk")
        .values(field)[:1]
    )


def obligation_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind each responsible organisation's primary contact of its pending obligations due
    within OBLIGATION_REMINDER_DAYS and of those overdue; each reminder goes out once (a Reminder
    row per obligation and kind, inserted before the mail leaves, so a concurrent run cannot send
    it too). One e-mail per recipient; when the mail server does not take one, its reminders are
    deleted again and the next run sends them. Returns the reminders sent."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.OBLIGATION_REMINDER_DAYS)
    pending = (
        Obligation.objects.filter(status=Obligation.Status.PENDING)
        .exclude(collaboration__status__in=CLOSED_COLLABORATION_STATUSES)
        .annotate(recipient=_primary_email("organisation_id"))
        .annotate(recipient_language=_primary_email("organisation_id", "preferred_language"))
        .filter(recipient__isnull=False)
        .select_related("collaboration", "organisation")
        .order_by("due_date", "pk")
    )
    kinds = [
        (Reminder.Kind.OBLIGATION_DUE_SOON, Q(due_date__gte=today, due_date__lte=horizon)),
        (Reminder.Kind.OBLIGATION_OVERDUE, Q(due_date__lt=today)),
    ]
    recorded_at = timezone.now()
    try:
        with transaction.atomic():
            reminders, by_recipient = [], defaultdict(list)
            for kind, when in kinds:
                sent = Reminder.objects.filter(obligation=OuterRef("pk"), kind=kind)
                for obligation in pending.filter(when).exclude(Exists(sent)):
                    reminders.append(
                        Reminder(
                            kind=kind,
                            obligation=obligation,
                            recipient=obligation.recipient,
                            sent_at=recorded_at,
                        )
                    )
                    by_recipient[obligation.recipient].append((kind, obligation))
            # A concurrent run inserting the same reminder makes this one roll back, unsent.
            Reminder.objects.bulk_create(reminders)
            with translation.override(settings.LANGUAGE_CODE):
                outgoing = [
                    (
                        written_in(
                            items[0][1].recipient_language,
                            _obligation_message,
                            recipient,
                            items,
                            today,
                        ),
                        _forget_reminders(
                            [Q(kind=kind, obligation_id=o.pk) for kind, o in items], recorded_at
                        ),
                    )
                    for recipient, items in by_recipient.items()
                ]
            delivered = _send_on_commit(outgoing, "obligation reminders")
    except IntegrityError:
        logger.warning("Obligation reminders are being sent by another run; skipped")
        return 0
    sizes = [len(items) for items in by_recipient.values()]
    return sum(size for size, sent in zip(sizes, delivered, strict=True) if sent)


def _forget_reminders(keys: list[Q], recorded_at) -> Callable[[], None]:
    """Undo for a reminder e-mail the mail server did not take: delete the Reminder rows this
    run recorded for it, so the next run sends it again."""

    def forget() -> None:
        which = Q()
        for key in keys:
            which |= key
        Reminder.objects.filter(which, sent_at=recorded_at).delete()

    return forget


def _obligation_message(recipient: str, items, today: dt.date) -> mail.EmailMessage:
    lines = [
        _("Hello,"),
        "",
        _("A reminder of what your organisation owes its collaborations:"),
        "",
    ]
    for kind, obligation in items:
        if kind == Reminder.Kind.OBLIGATION_OVERDUE:
            when = _("overdue since %(date)s (%(days)s days)") % {
                "date": obligation.due_date.isoformat(),
                "days": (today - obligation.due_date).days,
            }
        else:
            when = _("due on %(date)s") % {"date": obligation.due_date.isoformat()}
        lines.append(f"- {_title(obligation.collaboration)}: {obligation.description} — {when}")
        lines.append(
            "    "
            + site_url(
                reverse(
                    "agreements:collaboration_detail",
                    kwargs={"slug": obligation.collaboration.slug},
                )
            )
        )
    lines += ["", _("Mark an obligation met in CollabHub, or through the API, when it is done.")]
    subject = ngettext(
        "CollabHub: %(count)s obligation to attend to",
        "CollabHub: %(count)s obligations to attend to",
        len(items),
    ) % {"count": len(items)}
    return mail.EmailMessage(subject=subject, body="\n".join(lines), to=[recipient])


def agreement_renewal_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell the lead organisation's primary contact (copying the commissioner) that an agreement
    in force has reached its renewal notice period (expiry_date - renewal_notice_days ≤ today);
    once per agreement (a reminder the mail server did not take is deleted again, and the next
    run sends it). Returns the reminders sent."""
    today = today or timezone.localdate()
    sent = Reminder.objects.filter(agreement=OuterRef("pk"), kind=Reminder.Kind.AGREEMENT_RENEWAL)
    candidates = (
        Agreement.objects.filter(status=Agreement.Status.IN_FORCE, expiry_date__isnull=False)
        .exclude(collaboration__status__in=CLOSED_COLLABORATION_STATUSES)
        .exclude(Exists(sent))
        .annotate(lead_email=_primary_email("collaboration__lead_organisation_id"))
        .annotate(
            lead_language=_primary_email(
                "collaboration__lead_organisation_id", "preferred_language"
            )
        )
        .select_related("collaboration__commissioner")
        .order_by("expiry_date", "pk")
    )
    # The notice period differs per agreement: bound the read by the longest one, then compare
    # exactly here (date arithmetic on a column is not portable between SQLite and PostgreSQL).
    longest = (
        candidates.order_by("-renewal_notice_days")
        .values_list("renewal_notice_days", flat=True)
        .first()
    )
    if longest is None:
        return 0
    due = [
        agreement
        for agreement in candidates.filter(expiry_date__lte=today + dt.timedelta(days=longest))
        # shift(): an expiry stored before dates were bounded (year 1) must not overflow.
        if agreement.expiry_date is not None
        and shift(agreement.expiry_date, -agreement.renewal_notice_days) <= today
    ]
    recorded_at = timezone.now()
    try:
        with transaction.atomic():
            reminders, outgoing = [], []
            with translation.override(settings.LANGUAGE_CODE):
                for agreement in due:
                    commissioner = agreement.collaboration.commissioner
                    cc = [commissioner.email] if commissioner and commissioner.email else []
                    to = [agreement.lead_email] if agreement.lead_email else cc[:1]
                    if not to:
                        continue
                    cc = [address for address in cc if address not in to]
                    reminders.append(
                        Reminder(
                            kind=Reminder.Kind.AGREEMENT_RENEWAL,
                            agreement=agreement,
                            recipient=to[0],
                            sent_at=recorded_at,
                        )
                    )
                    key = Q(kind=Reminder.Kind.AGREEMENT_RENEWAL, agreement_id=agreement.pk)
                    outgoing.append(
                        (
                            written_in(
                                agreement.lead_language
                                if agreement.lead_email
                                else recipient_language(commissioner),
                                _renewal_message,
                                agreement,
                                to,
                                cc,
                                today,
                            ),
                            _forget_reminders([key], recorded_at),
                        )
                    )
            Reminder.objects.bulk_create(reminders)
            delivered = _send_on_commit(outgoing, "agreement renewal reminders")
    except IntegrityError:
        logger.warning("Agreement renewal reminders are being sent by another run; skipped")
        return 0
    return sum(delivered)


def _renewal_message(agreement: Agreement, to, cc, today: dt.date) -> mail.EmailMessage:
    expiry = agreement.expiry_date or today  # never None: due agreements have an expiry
    days = (expiry - today).days
    if days >= 0:
        when = ngettext(
            "expires on %(date)s, in %(days)s day",
            "expires on %(date)s, in %(days)s days",
            days,
        ) % {"date": expiry.isoformat(), "days": days}
    else:
        when = _("expired on %(date)s") % {"date": expiry.isoformat()}
    body = "\n".join(
        [
            _("Hello,"),
            "",
            _(
                "“%(title)s” (version %(version)s) of %(collaboration)s %(when)s. Its renewal "
                "notice period of %(notice)s days has begun: decide whether to renew it."
            )
            % {
                "title": agreement.title,
                "version": agreement.version,
                "collaboration": _title(agreement.collaboration),
                "when": when,
                "notice": agreement.renewal_notice_days,
            },
            "",
            site_url(
                reverse(
                    "agreements:agreement_detail",
                    kwargs={"slug": agreement.collaboration.slug, "pk": agreement.pk},
                )
            ),
        ]
    )
    subject = _("CollabHub: renewal notice for %(title)s") % {"title": agreement.title}
    return mail.EmailMessage(subject=subject, body=body, to=to, cc=cc)
