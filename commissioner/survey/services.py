"""Every write of the partnership health survey: the default instrument (created on first use),
opening a round and inviting the partners' named contacts, the personal links, saving and
submitting a response (browser or API), and the one reminder before a round closes.

Rules are checked here and refused with a DomainError naming the input at fault; mail leaves
on commit."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core import mail, signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agreements.models import Collaboration, Participation
from commissioner.access import may_commission
from commissioner.models import (
    SurveyAnswer,
    SurveyInstrument,
    SurveyPrinciple,
    SurveyRespondent,
    SurveyResponse,
    SurveyRound,
    SurveySchedule,
    SurveyStatement,
)
from core.actors import actor_organisation_id, is_partner
from core.errors import DomainError
from core.i18n import recipient_language
from core.translated import translated
from partners.models import Contact

from .instrument import DEFAULT_CODE, DEFAULT_DESCRIPTION, DEFAULT_PRINCIPLES, DEFAULT_TITLE

logger = logging.getLogger(__name__)

LINK_SALT = "commissioner.survey.respondent-link"
# A round runs for at most this long (the closing date is within a year of opening).
MAX_ROUND_DAYS = 366
# The one reminder goes to non-respondents this many days before the closing date.
REMINDER_DAYS_BEFORE_CLOSE = 7
MIN_ACTIVE_PARTNERS = 2
# The closing date the form proposes: four weeks from today.
DEFAULT_ROUND_DAYS = 28
MAX_COMMENT = 2000
DONT_KNOW = "dont_know"


# The instrument ---------------------------------------------------------------------------------


def instrument_default() -> SurveyInstrument:
    """The latest version of the default instrument, created (version 1) when there is none.
    Idempotent and safe when two requests race: the unique (code, version) decides."""
    existing = SurveyInstrument.objects.filter(code=DEFAULT_CODE).order_by("-version").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            instrument = SurveyInstrument.objects.create(
                code=DEFAULT_CODE, version=1, title=DEFAULT_TITLE, description=DEFAULT_DESCRIPTION
            )
            statements = []
            for position, (code, title, texts) in enumerate(DEFAULT_PRINCIPLES, start=1):
                principle = SurveyPrinciple.objects.create(
                    instrument=instrument, code=code, position=position, title=title
                )
                statements += [
                    SurveyStatement(principle=principle, position=number, text=text)
                    for number, text in enumerate(texts, start=1)
                ]
            SurveyStatement.objects.bulk_create(statements)
    except IntegrityError:
        return SurveyInstrument.objects.filter(code=DEFAULT_CODE).order_by("-version").first()
    return instrument


# Opening a round --------------------------------------------------------------------------------


def _invited_contacts(collaboration: Collaboration) -> dict[int, list[Contact]]:
    """Each active partner's contacts to invite: its named contact in the collaboration when it
    is active and has an e-mail address, otherwise its active primary contacts that have one."""
    participations = list(
        Participation.objects.filter(
            collaboration=collaboration, status=Participation.Status.ACTIVE
        ).select_related("contact")
    )
    primary: dict[int, list[Contact]] = {}
    for contact in (
        Contact.objects.filter(
            organisation_id__in=[p.organisation_id for p in participations],
            is_primary=True,
            is_active=True,
        )
        .exclude(email="")
        .order_by("pk")
    ):
        primary.setdefault(contact.organisation_id, []).append(contact)
    invited = {}
    for participation in participations:
        named = participation.contact
        if named is not None and named.is_active and named.email:
            invited[participation.organisation_id] = [named]
        else:
            invited[participation.organisation_id] = primary.get(participation.organisation_id, [])
    return invited


def survey_round_open(
    *,
    actor,
    collaboration: Collaboration,
    closes_on: dt.date,
    share_answers: bool = False,
    today: dt.date | None = None,
) -> SurveyRound:
    """Open a round of the default instrument and e-mail each active partner's contact(s) a
    personal link. Refused (naming the reason) when the collaboration has fewer than two active
    partners, or the closing date is not after today and within a year."""
    if not may_commission(actor):
        raise PermissionDenied(_("Only administrators and commissioners may open a survey round."))
    return _round_open(
        collaboration=collaboration,
        closes_on=closes_on,
        share_answers=share_answers,
        opened_by=actor if getattr(actor, "pk", None) else None,
        today=today or timezone.localdate(),
    )


def _round_open(*, collaboration, closes_on, share_answers, opened_by, today) -> SurveyRound:
    if closes_on is None or closes_on <= today:
        raise DomainError(_("The closing date must be after today."), field="closes_on")
    if closes_on > today + dt.timedelta(days=MAX_ROUND_DAYS):
        raise DomainError(_("The closing date must be within a year of today."), field="closes_on")
    with transaction.atomic():
        # Locked so a partner withdrawing meanwhile cannot leave a one-partner round behind.
        Collaboration.objects.select_for_update().filter(pk=collaboration.pk).first()
        invited = _invited_contacts(collaboration)
        if len(invited) < MIN_ACTIVE_PARTNERS:
            raise DomainError(
                _(
                    "A survey needs at least two active partners to compare; %(title)s has "
                    "%(count)s."
                )
                % {"title": collaboration.title, "count": len(invited)},
                code="too_few_partners",
            )
        survey_round = SurveyRound(
            collaboration=collaboration,
            instrument=instrument_default(),
            opened_on=today,
            closes_on=closes_on,
            share_answers=bool(share_answers),
            opened_by=opened_by,
        )
        survey_round.full_clean()
        survey_round.save()
        now = timezone.now()
        respondents = SurveyRespondent.objects.bulk_create(
            [
                SurveyRespondent(
                    round=survey_round,
                    organisation_id=organisation_id,
                    contact=contact,
                    email=contact.email,
                    link_nonce=secrets.token_hex(8),
                    invited_at=now,
                )
                for organisation_id, contacts in invited.items()
                for contact in contacts
            ]
        )
        _mail_on_commit(
            [_invitation(r, survey_round, collaboration, reminder=False) for r in respondents],
            "survey invitations",
        )
    return survey_round


# A cadence -------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def survey_schedule_set(
    *,
    actor,
    collaboration: Collaboration,
    every_months: int | None,
    open_days: int = 28,
    share_answers: bool = False,
    first_opens_on: dt.date | None = None,
    today: dt.date | None = None,
) -> SurveySchedule | None:
    """Set (or, with no `every_months`, stop) a collaboration's survey cadence: a round opens
    every `every_months` months, the first on `first_opens_on` (default: today + the cadence)."""
    if not may_commission(actor):
        raise PermissionDenied(_("Only administrators and commissioners may set a cadence."))
    today = today or timezone.localdate()
    if not every_months:
        SurveySchedule.objects.filter(collaboration=collaboration).delete()
        return None
    if not 1 <= every_months <= 24:
        raise DomainError(_("Choose a cadence of 1 to 24 months."), field="every_months")
    if not 1 <= open_days <= MAX_ROUND_DAYS:
        raise DomainError(_("A round stays open 1 to 366 days."), field="open_days")
    first = first_opens_on or add_months(today, every_months)
    if first < today:
        raise DomainError(_("The first round cannot open in the past."), field="first_opens_on")
    schedule, _created = SurveySchedule.objects.update_or_create(
        collaboration=collaboration,
        defaults={
            "every_months": every_months,
            "open_days": open_days,
            "share_answers": bool(share_answers),
            "next_opens_on": first,
            "set_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    return schedule


def survey_rounds_open_due(*, today: dt.date | None = None) -> int:
    """Open the rounds the cadences have due (the daily task): for each schedule whose next date
    has come, a round closing `open_days` later — unless one is open already or the
    collaboration has fewer than two active partners (logged) — then the next date moves on by
    the cadence. Idempotent: a rerun the same day finds nothing due. Returns the rounds opened."""
    today = today or timezone.localdate()
    opened = 0
    due = list(
        SurveySchedule.objects.filter(
            next_opens_on__lte=today,
            collaboration__status=Collaboration.Status.ACTIVE,
        ).select_related("collaboration", "set_by")
    )
    for schedule in due:
        with transaction.atomic():
            locked = SurveySchedule.objects.select_for_update().get(pk=schedule.pk)
            if locked.next_opens_on > today:
                continue
            already_open = SurveyRound.objects.filter(
                collaboration_id=locked.collaboration_id, closes_on__gte=today
            ).exists()
            if not already_open:
                try:
                    _round_open(
                        collaboration=schedule.collaboration,
                        closes_on=today + dt.timedelta(days=locked.open_days),
                        share_answers=locked.share_answers,
                        opened_by=locked.set_by,
                        today=today,
                    )
                    opened += 1
                except DomainError as error:
                    logger.warning(
                        "Scheduled survey round of %s not opened: %s",
                        schedule.collaboration,
                        error.message,
                    )
            next_date = locked.next_opens_on
            while next_date <= today:
                next_date = add_months(next_date, locked.every_months)
            locked.next_opens_on = next_date
            locked.save(update_fields=["next_opens_on"])
    return opened


# Personal links ---------------------------------------------------------------------------------


def survey_link_token(respondent: SurveyRespondent) -> str:
    return signing.dumps({"r": respondent.pk, "n": respondent.link_nonce}, salt=LINK_SALT)


def survey_link_url(respondent: SurveyRespondent) -> str:
    path = reverse("commissioner:survey_respond", kwargs={"token": survey_link_token(respondent)})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


class LinkProblem(Exception):
    """A personal link that cannot be used; `kind` says why (the page explains it)."""

    INVALID = "invalid"  # tampered, malformed, or of no respondent
    REVOKED = "revoked"  # the contact left (inactive) or the link was replaced
    CLOSED = "closed"  # the round's closing date has passed: the link expired with it
    NOT_OPEN = "not_open"
    SUBMITTED = "submitted"  # already answered: a link is used once

    def __init__(self, kind: str, respondent: SurveyRespondent | None = None):
        super().__init__(kind)
        self.kind = kind
        self.respondent = respondent


def survey_link_resolve(token: str, *, today: dt.date | None = None) -> SurveyRespondent:
    """The respondent a personal link stands for, if it may answer now; LinkProblem otherwise.
    Writes nothing."""
    today = today or timezone.localdate()
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=dt.timedelta(days=MAX_ROUND_DAYS))
        respondent_id, nonce = int(payload["r"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkProblem(LinkProblem.INVALID) from exc
    respondent = (
        SurveyRespondent.objects.select_related(
            "round__collaboration", "round__instrument", "organisation", "contact"
        )
        .filter(pk=respondent_id)
        .first()
    )
    if respondent is None or not secrets.compare_digest(respondent.link_nonce or "", nonce):
        raise LinkProblem(LinkProblem.INVALID)
    contact = respondent.contact
    if contact is None or not contact.is_active or not respondent.organisation.is_active:
        raise LinkProblem(LinkProblem.REVOKED, respondent)
    if today > respondent.round.closes_on:
        raise LinkProblem(LinkProblem.CLOSED, respondent)
    if today < respondent.round.opened_on:
        raise LinkProblem(LinkProblem.NOT_OPEN, respondent)
    if SurveyResponse.objects.filter(respondent=respondent, submitted_at__isnull=False).exists():
        raise LinkProblem(LinkProblem.SUBMITTED, respondent)
    return respondent


# Answering --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One statement's answer as given: 1-5, or DONT_KNOW."""

    statement_id: int
    value: int | str


def _checked_answers(survey_round: SurveyRound, answers: Mapping[int, object]) -> list[Answer]:
    statements = set(
        SurveyStatement.objects.filter(
            principle__instrument_id=survey_round.instrument_id
        ).values_list("pk", flat=True)
    )
    checked = []
    for statement_id, value in answers.items():
        field = f"statement_{statement_id}"
        if statement_id not in statements:
            raise DomainError(_("This statement is not part of this survey."), field=field)
        if value in (None, ""):
            continue  # left blank: unanswered (a draft may be partial)
        if value == DONT_KNOW:
            checked.append(Answer(statement_id, DONT_KNOW))
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise DomainError(_("Choose an answer from 1 to 5, or “don't know”."), field=field)
        checked.append(Answer(statement_id, value))
    return checked


def _checked_comments(survey_round: SurveyRound, comments: Mapping[str, str]) -> dict[str, str]:
    codes = set(
        SurveyPrinciple.objects.filter(instrument_id=survey_round.instrument_id).values_list(
            "code", flat=True
        )
    )
    checked = {}
    for code, text in comments.items():
        if code not in codes:
            raise DomainError(_("This principle is not part of this survey."), field="comments")
        text = (text or "").strip()
        if len(text) > MAX_COMMENT:
            raise DomainError(
                _("Keep each comment to %(max)s characters.") % {"max": MAX_COMMENT},
                field=f"comment_{code}",
            )
        if text:
            checked[code] = text
    return checked


def survey_response_save(
    *,
    respondent: SurveyRespondent,
    answers: Mapping[int, object],
    comments: Mapping[str, str] | None = None,
    submit: bool = False,
    today: dt.date | None = None,
) -> SurveyResponse:
    """Save a respondent's answers (replacing what it saved before); `submit` makes them final,
    and needs every statement answered (1-5 or don't know). Refused once submitted or when the
    round is not open; the respondent is locked so two submissions cannot both pass."""
    today = today or timezone.localdate()
    with transaction.atomic():
        respondent = (
            SurveyRespondent.objects.select_for_update()
            .select_related("round")
            .get(pk=respondent.pk)
        )
        survey_round = respondent.round
        if not survey_round.is_open_on(today):
            raise DomainError(_("This survey round is closed."), code="closed")
        response = SurveyResponse.objects.filter(respondent=respondent).first()
        if response is not None and response.is_submitted:
            raise DomainError(_("These answers have already been submitted."), code="submitted")
        checked = _checked_answers(survey_round, answers)
        checked_comments = _checked_comments(survey_round, comments or {})
        if submit:
            expected = SurveyStatement.objects.filter(
                principle__instrument_id=survey_round.instrument_id
            ).order_by("principle__position", "position")
            answered = {answer.statement_id for answer in checked}
            missing = [s for s in expected if s.pk not in answered]
            if missing:
                raise DomainError(
                    _("Answer this statement (or choose “don't know”) before submitting."),
                    field=f"statement_{missing[0].pk}",
                    code="incomplete",
                )
        now = timezone.now()
        if response is None:
            response = SurveyResponse.objects.create(
                round=survey_round,
                organisation_id=respondent.organisation_id,
                respondent=respondent,
                comments=checked_comments,
                updated_at=now,
            )
        else:
            response.comments = checked_comments
            response.updated_at = now
            response.answers.all().delete()
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(
                    response=response,
                    statement_id=answer.statement_id,
                    value=None if answer.value == DONT_KNOW else answer.value,
                    dont_know=answer.value == DONT_KNOW,
                )
                for answer in checked
            ]
        )
        response.submitted_at = now if submit else None
        response.save(update_fields=["comments", "updated_at", "submitted_at"])
    return response


def survey_api_respondent(*, actor, survey_round: SurveyRound) -> SurveyRespondent:
    """The respondent that stands for the caller's organisation when it answers through the API
    (its token, or its staff in a browser session); created on first use. Only an organisation
    taking an active part in the round's collaboration; read-only tokens may not answer."""
    organisation_id = actor_organisation_id(actor)
    if is_partner(actor) and not actor.can_write:
        raise PermissionDenied(_("A read-only token cannot answer a survey."))
    active = Participation.objects.filter(
        collaboration_id=survey_round.collaboration_id,
        organisation_id=organisation_id,
        status=Participation.Status.ACTIVE,
    ).exists()
    if organisation_id is None or not active:
        raise PermissionDenied(_("Only a partner taking part in this collaboration may answer."))
    try:
        with transaction.atomic():
            respondent, _created = SurveyRespondent.objects.get_or_create(
                round=survey_round, organisation_id=organisation_id, contact=None
            )
    except IntegrityError:
        respondent = SurveyRespondent.objects.get(
            round=survey_round, organisation_id=organisation_id, contact=None
        )
    return respondent


# The reminder -----------------------------------------------------------------------------------


def survey_reminders_send(*, today: dt.date | None = None) -> int:
    """One reminder per round, REMINDER_DAYS_BEFORE_CLOSE days or less before it closes, to each
    invited contact who has not submitted and whose link still works (contact active). The round
    is marked reminded in the transaction that locks it, so a rerun sends nothing twice.
    Returns the reminders sent."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=REMINDER_DAYS_BEFORE_CLOSE)
    sent = 0
    with transaction.atomic():
        rounds = list(
            SurveyRound.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                reminded_at__isnull=True,
                opened_on__lt=today,
                closes_on__gte=today,
                closes_on__lte=horizon,
            )
            .select_related("collaboration")
        )
        if not rounds:
            return 0
        submitted = SurveyResponse.objects.filter(
            respondent=OuterRef("pk"), submitted_at__isnull=False
        )
        respondents = list(
            SurveyRespondent.objects.filter(
                round__in=rounds, contact__isnull=False, contact__is_active=True
            )
            .exclude(email="")
            .exclude(Exists(submitted))
            .select_related("round__collaboration", "contact")
            .order_by("pk")
        )
        now = timezone.now()
        SurveyRound.objects.filter(pk__in=[r.pk for r in rounds]).update(reminded_at=now)
        SurveyRespondent.objects.filter(pk__in=[r.pk for r in respondents]).update(reminded_at=now)
        outgoing = [
            _invitation(r, r.round, r.round.collaboration, reminder=True) for r in respondents
        ]
        _mail_on_commit(outgoing, "survey reminders")
        sent = len(outgoing)
    return sent


# Mail -------------------------------------------------------------------------------------------


def _invitation(respondent, survey_round, collaboration, *, reminder: bool) -> mail.EmailMessage:
    # In the invited contact's own language (the deployment's when they stated none).
    with translation.override(recipient_language(respondent.contact)):
        if reminder:
            subject = _("Reminder: how is %(title)s working? (closes %(date)s)")
        else:
            subject = _("How is %(title)s working? A short partnership survey")
        subject = subject % {
            "title": translated(collaboration, "title").text_with_marker,
            "date": survey_round.closes_on.isoformat(),
        }
        lines = [
            _("Hello,"),
            "",
            _(
                "The commissioner of %(title)s asks every partner how the partnership is "
                "working: six principles, a few statements each, on a scale of 1 to 5."
            )
            % {"title": translated(collaboration, "title").text_with_marker},
            "",
            _("Your personal link (no account needed; please do not forward it):"),
            survey_link_url(respondent),
            "",
            _(
                "You can save your answers and come back to them. The survey closes at the end "
                "of %(date)s."
            )
            % {"date": survey_round.closes_on.isoformat()},
        ]
    return mail.EmailMessage(subject=subject, body="\n".join(lines), to=[respondent.email])


def _mail_on_commit(messages: list[mail.EmailMessage], what: str) -> None:
    """Send each message once the transaction commits; a message the server refuses is logged
    (its respondent can still be sent the link again by reopening)."""

    def send() -> None:
        if not messages:
            return
        connection = mail.get_connection()
        for message in messages:
            try:
                connection.send_messages([message])
            except Exception:
                logger.exception("Could not send %s to %s", what, message.to)

    transaction.on_commit(send)
