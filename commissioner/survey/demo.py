"""Demo story of the partnership health survey for `manage.py seed_demo` (idempotent,
deterministic): in one active collaboration with at least three active partners, two completed
rounds (about six months apart) and one open round. In the first round every partner is broadly
content; in the second, one partner — the one the engagement demo already shows slipping, when
there is one — rates trust (and, less sharply, commitment) far below the others: divergent on
trust, and drifting from its own earlier answers. The open round has one partner's answers
submitted and another's saved as a draft."""

from __future__ import annotations

import datetime as dt
import random
import secrets

from django.db.models import Count, Q
from django.utils import timezone

from agreements.models import Collaboration, Participation
from commissioner.models import (
    Flag,
    SurveyAnswer,
    SurveyRespondent,
    SurveyResponse,
    SurveyRound,
    SurveyStatement,
)
from partners.models import Contact

from .services import instrument_default

# (opened, closes) in days before today; the last round is open.
ROUNDS = [(200, 180), (45, 25), (3, -25)]
DIVERGING_COMMENT = (
    "Decisions are taken before the steering committee meets; we hear about them afterwards."
)
CONTENT_COMMENT = "Good working relationships; reporting could be lighter."


def _collaboration() -> Collaboration | None:
    return (
        Collaboration.objects.filter(status=Collaboration.Status.ACTIVE)
        .annotate(
            active=Count("participations", filter=Q(participations__status="active")),
        )
        .filter(active__gte=3)
        .order_by("slug")
        .first()
    )


def _diverging(collaboration, members: list[Participation]) -> Participation:
    """The partner the engagement demo flagged in this collaboration, else the last non-lead."""
    flagged = set(
        Flag.objects.filter(participation__in=members, status__in=Flag.OPEN_STATUSES).values_list(
            "participation_id", flat=True
        )
    )
    others = [p for p in members if p.organisation_id != collaboration.lead_organisation_id]
    return next((p for p in others if p.pk in flagged), (others or members)[-1])


def _respondent(survey_round, participation, contacts) -> SurveyRespondent:
    contact = participation.contact if participation.contact_id else None
    if contact is None or not contact.is_active:
        contact = contacts.get(participation.organisation_id)
    return SurveyRespondent.objects.create(
        round=survey_round,
        organisation_id=participation.organisation_id,
        contact=contact,
        email=contact.email if contact else "",
        link_nonce=secrets.token_hex(8),
        invited_at=timezone.make_aware(dt.datetime.combine(survey_round.opened_on, dt.time(9))),
    )


def _value(rng, code: str, diverging: bool, round_index: int) -> int:
    if diverging and round_index == 1:
        if code == "trust":
            return rng.choice([1, 2, 2])
        if code == "commitment":
            return rng.choice([2, 3])
    if diverging and round_index == 0 and code == "trust":
        return rng.choice([3, 4])
    return rng.choice([4, 4, 5]) if code in ("trust", "need") else rng.choice([3, 4, 4, 5])


def seed() -> str:
    collaboration = _collaboration()
    if collaboration is None:
        return "no active collaboration with three active partners: no survey to load"
    if SurveyRound.objects.filter(collaboration=collaboration).exists():
        return "demo survey already loaded"
    rng = random.Random(19)
    today = timezone.localdate()
    instrument = instrument_default()
    statements = list(
        SurveyStatement.objects.filter(principle__instrument=instrument)
        .select_related("principle")
        .order_by("principle__position", "position")
    )
    members = list(
        Participation.objects.filter(
            collaboration=collaboration, status=Participation.Status.ACTIVE
        )
        .select_related("contact", "organisation")
        .order_by("organisation__name")
    )
    contacts = {}
    for contact in Contact.objects.filter(
        organisation_id__in=[p.organisation_id for p in members], is_active=True
    ).order_by("-is_primary", "pk"):
        contacts.setdefault(contact.organisation_id, contact)
    diverging = _diverging(collaboration, members)
    answers = []
    for index, (opened, closes) in enumerate(ROUNDS):
        survey_round = SurveyRound.objects.create(
            collaboration=collaboration,
            instrument=instrument,
            opened_on=today - dt.timedelta(days=opened),
            closes_on=today - dt.timedelta(days=closes),
        )
        open_round = index == len(ROUNDS) - 1
        for position, participation in enumerate(members):
            respondent = _respondent(survey_round, participation, contacts)
            if open_round and position > 1:
                continue  # not answered yet
            is_diverging = participation.pk == diverging.pk
            comments = {}
            if index == 1:
                comments = {"trust": DIVERGING_COMMENT if is_diverging else CONTENT_COMMENT}
            submitted = None
            if not open_round or position == 0:
                submitted = timezone.make_aware(
                    dt.datetime.combine(
                        survey_round.opened_on + dt.timedelta(days=2 + position), dt.time(11)
                    )
                )
            response = SurveyResponse.objects.create(
                round=survey_round,
                organisation_id=participation.organisation_id,
                respondent=respondent,
                comments=comments,
                submitted_at=submitted,
                updated_at=submitted or timezone.now(),
            )
            for statement in statements:
                if open_round and submitted is None and statement.principle.position > 3:
                    continue  # a draft: half answered
                if rng.random() < 0.04 and statement.principle.code != "trust":
                    answers.append(
                        SurveyAnswer(response=response, statement=statement, dont_know=True)
                    )
                    continue
                answers.append(
                    SurveyAnswer(
                        response=response,
                        statement=statement,
                        value=_value(rng, statement.principle.code, is_diverging, index),
                    )
                )
    SurveyAnswer.objects.bulk_create(answers)
    return (
        f"{len(ROUNDS)} survey rounds in {collaboration.title} (one open); diverging on trust: "
        f"{diverging.organisation.name}"
    )
