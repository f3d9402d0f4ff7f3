"""Issue 15, cases 1-4, 11 and 14: conflicting and repeated writes fired at a live server at the
same moment. Each asserts what every caller was answered AND what the database holds after:
no lost write, no duplicate row, no 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    Signatory,
    Structure,
)
from commissioner.models import Activity, Attendance
from partners.models import Contact
from tests import factories

from .conftest import bearer_caller, race, repeat, session_caller, statuses

pytestmark = [pytest.mark.django_db(transaction=True)]

TRIALS = 20


@pytest.fixture
def people(server):
    """A consortium led by Riverton (its staff manage it) with Lakeside as a member."""
    lead = factories.OrganisationFactory(name="City of Riverton")
    partner = factories.OrganisationFactory(name="Town of Lakeside")
    manager = factories.staff_user(lead)
    return {
        "lead": lead,
        "partner": partner,
        "manager": session_caller(server, manager),
        "partner_api": bearer_caller(server, partner),
        "server": server,
    }


def consortium(people, **kwargs) -> Collaboration:
    collaboration = factories.CollaborationFactory(
        lead_organisation=people["lead"], structure=Structure.CONSORTIUM, **kwargs
    )
    factories.ParticipationFactory(
        collaboration=collaboration, organisation=people["lead"], role=Role.LEAD
    )
    factories.ParticipationFactory(
        collaboration=collaboration, organisation=people["partner"], role=Role.MEMBER
    )
    return collaboration


def no_server_errors(answers):
    assert all(a.status < 500 for a in answers), [(a.status, a.body) for a in answers]


# Case 1 ------------------------------------------------------------------------------------------


def test_back_to_draft_and_the_last_signature_at_once_never_both_win(people):
    collaboration = consortium(people)
    manager, partner_api = people["manager"], people["partner_api"]
    for _ in range(TRIALS):
        agreement = factories.AgreementFactory(
            collaboration=collaboration, status=Agreement.Status.CIRCULATING
        )
        factories.SignatoryFactory(agreement=agreement, organisation=people["partner"])
        sign, draft = race(
            lambda a=agreement: partner_api.post(f"/api/v1/agreements/{a.pk}/sign/"),
            lambda a=agreement: manager.post(
                f"/api/v1/agreements/{a.pk}/transition/", {"status": "draft"}
            ),
        )
        no_server_errors([sign, draft])
        agreement.refresh_from_db()
        signed = Signatory.objects.filter(agreement=agreement, signed_at__isnull=False).exists()
        assert (sign.status, draft.status) in {(200, 400), (200, 409), (409, 200)}, (sign, draft)
        if sign.status == 200:
            assert agreement.status == Agreement.Status.IN_FORCE and signed
        else:
            assert agreement.status == Agreement.Status.DRAFT and not signed


def test_an_edit_at_the_moment_of_the_last_signature_leaves_it_in_force(people):
    collaboration = consortium(people)
    manager, partner_api = people["manager"], people["partner_api"]
    expiry = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    for _ in range(TRIALS):
        agreement = factories.AgreementFactory(
            collaboration=collaboration, status=Agreement.Status.CIRCULATING
        )
        factories.SignatoryFactory(agreement=agreement, organisation=people["partner"])
        sign, edit = race(
            lambda a=agreement: partner_api.post(f"/api/v1/agreements/{a.pk}/sign/"),
            lambda a=agreement: manager.patch(
                f"/api/v1/agreements/{a.pk}/", {"expiry_date": expiry}
            ),
        )
        no_server_errors([sign, edit])
        assert sign.status == 200 and edit.status == 200, (sign, edit)
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.IN_FORCE
        assert agreement.expiry_date.isoformat() == expiry


# Case 2 ------------------------------------------------------------------------------------------


def test_an_edit_never_undoes_the_partner_marking_an_obligation_met(people):
    collaboration = consortium(people)
    manager, partner_api = people["manager"], people["partner_api"]
    for trial in range(TRIALS):
        obligation = factories.ObligationFactory(
            collaboration=collaboration, organisation=people["partner"]
        )
        met, edit = race(
            lambda o=obligation, t=trial: partner_api.post(
                f"/api/v1/obligations/{o.pk}/mark-met/", {"evidence": f"Paid, ref {t}"}
            ),
            lambda o=obligation: manager.patch(
                f"/api/v1/obligations/{o.pk}/", {"description": "Annual contribution (revised)"}
            ),
        )
        no_server_errors([met, edit])
        assert met.status == 200, met
        obligation.refresh_from_db()
        assert obligation.status == Obligation.Status.MET
        assert obligation.met_at is not None
        assert obligation.evidence == f"Paid, ref {trial}"
        if edit.status == 200:
            # The edit came first: the partner then met the edited obligation.
            assert obligation.description == "Annual contribution (revised)"
        else:
            assert edit.status == 400 and "can no longer change" in str(edit.body)


# Case 3 ------------------------------------------------------------------------------------------


def test_twenty_identical_measurement_reports_store_one_row(people):
    collaboration = consortium(people)
    goal = factories.SharedGoalFactory(collaboration=collaboration)
    body = {"goal": goal.pk, "value": "42.00", "period_end": timezone.localdate().isoformat()}
    answers = repeat(TRIALS, lambda: people["partner_api"].post("/api/v1/measurements/", body))
    no_server_errors(answers)
    assert statuses(answers) == [200] * (TRIALS - 1) + [201]
    assert len({a.body["id"] for a in answers}) == 1
    assert Measurement.objects.filter(goal=goal).count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.MEASUREMENT_REPORTED).count() == 1
    # A different figure for the same period is a conflict, not a second row.
    conflicting = people["partner_api"].post("/api/v1/measurements/", {**body, "value": "43"})
    assert conflicting.status == 409
    assert "already reported" in conflicting.body["period_end"][0]
    assert Measurement.objects.filter(goal=goal).count() == 1


def test_a_double_clicked_measurement_form_stores_one_row(people, server):
    collaboration = consortium(people)
    goal = factories.SharedGoalFactory(collaboration=collaboration)
    partner_staff = session_caller(server, factories.staff_user(people["partner"]))
    path = f"/collaborations/{collaboration.slug}/goals/{goal.pk}/measurements/new/"
    fields = {"value": "42", "period_end": timezone.localdate().isoformat(), "evidence": "Q3"}
    answers = repeat(TRIALS, lambda: partner_staff.form(path, fields))
    no_server_errors(answers)
    # Every click is answered as the report it repeats: saved.
    assert statuses(answers) == [302] * TRIALS, statuses(answers)
    assert Measurement.objects.filter(goal=goal).count() == 1


# Case 4 ------------------------------------------------------------------------------------------


def test_an_edit_while_concluding_leaves_it_concluded(people):
    manager = people["manager"]
    for trial in range(TRIALS):
        collaboration = consortium(people)
        edit, conclude = race(
            lambda c=collaboration, t=trial: manager.patch(
                f"/api/v1/collaborations/{c.pk}/", {"summary": f"Revised {t}"}
            ),
            lambda c=collaboration: manager.post(
                f"/api/v1/collaborations/{c.pk}/transition/", {"status": "concluded"}
            ),
        )
        no_server_errors([edit, conclude])
        assert conclude.status == 200, conclude
        collaboration.refresh_from_db()
        assert collaboration.status == Collaboration.Status.CONCLUDED
        if edit.status == 200:
            assert collaboration.summary == f"Revised {trial}"
        else:
            assert edit.status == 400 and "no longer change" in str(edit.body)


def test_concluded_and_paused_at_once_only_one_wins(people):
    manager = people["manager"]
    for _ in range(TRIALS):
        collaboration = consortium(people)
        answers = race(
            *[
                lambda c=collaboration, s=status: manager.post(
                    f"/api/v1/collaborations/{c.pk}/transition/", {"status": s}
                )
                for status in ("concluded", "paused")
            ]
        )
        no_server_errors(answers)
        concluded, paused = answers
        assert concluded.status == 200, concluded
        collaboration.refresh_from_db()
        # Paused then concluded is a valid path; concluded then paused is not (final).
        assert collaboration.status == Collaboration.Status.CONCLUDED
        if paused.status != 200:
            assert paused.status == 400 and "final" in str(paused.body)


def test_two_withdrawals_at_once_keep_an_active_mutual_to_its_rules(people):
    manager = people["manager"]
    for _ in range(TRIALS):
        collaboration = factories.CollaborationFactory(
            lead_organisation=people["lead"], structure=Structure.MUTUAL
        )
        members = [
            factories.ParticipationFactory(
                collaboration=collaboration, organisation=organisation, role=Role.MEMBER
            )
            for organisation in (people["lead"], *factories.OrganisationFactory.create_batch(2))
        ]
        answers = race(
            *[
                lambda p=p: manager.post(f"/api/v1/participations/{p.pk}/withdraw/", {})
                for p in members[1:]
            ]
        )
        no_server_errors(answers)
        assert statuses(answers) == [200, 400], answers
        active = collaboration.participations.filter(status=Participation.Status.ACTIVE)
        assert active.count() == 2


# Case 11 -----------------------------------------------------------------------------------------


def test_a_repeated_add_participant_adds_one(people):
    collaboration = consortium(people)
    newcomer = factories.OrganisationFactory()
    body = {"collaboration": collaboration.pk, "organisation": newcomer.pk, "role": "member"}
    answers = repeat(TRIALS, lambda: people["manager"].post("/api/v1/participations/", body))
    no_server_errors(answers)
    assert statuses(answers).count(201) == 1, statuses(answers)
    assert set(statuses(answers)) <= {201, 400, 409}
    assert collaboration.participations.filter(organisation=newcomer).count() == 1


def test_a_double_submitted_add_participant_form_adds_one_and_never_500s(people):
    collaboration = consortium(people)
    newcomer = factories.OrganisationFactory()
    path = f"/collaborations/{collaboration.slug}/participations/new/"
    fields = {"organisation": newcomer.pk, "role": "member", "status": "active"}
    answers = repeat(TRIALS, lambda: people["manager"].form(path, fields))
    no_server_errors(answers)
    assert statuses(answers).count(302) == 1, statuses(answers)
    for answer in answers:
        if answer.status != 302:
            # A form error: "already takes part", or the organisation no longer offered.
            assert answer.status == 200 and b'id="form-errors"' in answer.body
    assert collaboration.participations.filter(organisation=newcomer).count() == 1


def test_a_double_submitted_primary_contact_is_added_once(people):
    organisation = people["lead"]
    fields = {"name": "Dana Ortiz", "email": "dana@example.org", "is_primary": "on"}
    path = f"/organisations/{organisation.slug}/contacts/new/"
    answers = repeat(TRIALS, lambda: people["manager"].form(path, fields))
    no_server_errors(answers)
    assert statuses(answers).count(302) == 1, statuses(answers)
    refused = [a for a in answers if a.status != 302]
    for answer in refused:
        assert answer.status == 200, answer.status
        assert b"already has the e-mail" in answer.body, answer.body.decode()[-3000:]
    assert Contact.objects.filter(organisation=organisation, name="Dana Ortiz").count() == 1
    assert Contact.objects.filter(organisation=organisation, is_primary=True).count() == 1


# Case 14 -----------------------------------------------------------------------------------------


def test_twenty_identical_attendance_confirmations_all_succeed(people):
    collaboration = consortium(people)
    meeting = factories.MeetingFactory(collaboration=collaboration)
    path = f"/api/v1/meetings/{meeting.pk}/confirm-attendance/"
    answers = repeat(TRIALS, lambda: people["partner_api"].post(path, {"status": "present"}))
    no_server_errors(answers)
    assert statuses(answers) == [200] * TRIALS, [(a.status, a.body) for a in answers]
    assert Attendance.objects.filter(meeting=meeting).count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.MEETING_ATTENDED).count() == 1


# Issue 16: measurement corrections -----------------------------------------------------------


def test_two_corrections_at_once_leave_one_consistent_row(people):
    """The partner and a manager correct the same measurement at the same moment: both are
    answered (the later one corrects the corrected row), and the row's value and reason come
    from the same correction, with one history record per correction."""
    collaboration = consortium(people)
    goal = factories.SharedGoalFactory(collaboration=collaboration)
    manager, partner_api = people["manager"], people["partner_api"]
    for trial in range(TRIALS // 2):
        period_end = timezone.localdate() - dt.timedelta(days=trial)
        reported = partner_api.post(
            "/api/v1/measurements/",
            {"goal": goal.pk, "value": "10", "period_end": period_end.isoformat()},
        )
        assert reported.status == 201, reported
        pk = reported.body["id"]
        by_partner, by_manager = race(
            lambda pk=pk: partner_api.post(
                f"/api/v1/measurements/{pk}/correct/", {"value": "11", "reason": "partner"}
            ),
            lambda pk=pk: manager.post(
                f"/api/v1/measurements/{pk}/correct/", {"value": "12", "reason": "manager"}
            ),
        )
        no_server_errors([by_partner, by_manager])
        assert (by_partner.status, by_manager.status) == (200, 200), (by_partner, by_manager)
        row = Measurement.objects.get(pk=pk)
        assert (str(row.value), row.correction_reason) in {
            ("11.00", "partner"),
            ("12.00", "manager"),
        }
        assert row.history.count() == 3
        # A correction and a withdrawal at once: the withdrawal always wins in the end, and a
        # correction that came after it is a 409.
        correct, withdraw = race(
            lambda pk=pk: partner_api.post(
                f"/api/v1/measurements/{pk}/correct/", {"value": "13", "reason": "again"}
            ),
            lambda pk=pk: manager.post(
                f"/api/v1/measurements/{pk}/withdraw/", {"reason": "in error"}
            ),
        )
        no_server_errors([correct, withdraw])
        assert withdraw.status == 200, withdraw
        assert correct.status in (200, 409), correct
        row = Measurement.all_objects.get(pk=pk)
        assert row.withdrawn_at is not None
        assert (str(row.value) == "13.00") == (correct.status == 200)
    assert Activity.objects.filter(kind=Activity.Kind.MEASUREMENT_REPORTED).count() == TRIALS // 2


# A named contact who left, replaced from two collaborations at once -------------------------------


def test_two_hand_overs_at_once_each_keep_their_own_choice_and_never_deadlock(people):
    """Ana spoke for Lakeside in two collaborations and left; from each, a manager names a
    successor "everywhere" at the same moment. Both lock every collaboration, then every
    participation, in one order: they queue. The first names its successor in both; the second
    names its own in its collaboration and leaves the other alone, as it no longer names Ana.
    Whatever the order, each ends with the successor chosen from it."""
    partner = people["partner"]
    for _ in range(TRIALS):
        ana = factories.ContactFactory(organisation=partner, is_active=False)
        pair = [consortium(people), consortium(people)]
        Participation.objects.filter(collaboration__in=pair, organisation=partner).update(
            contact=ana
        )
        successors = factories.ContactFactory.create_batch(2, organisation=partner)
        here = [c.participations.get(organisation=partner) for c in pair]
        answers = race(
            *[
                lambda p=p, s=s: people["manager"].patch(
                    f"/api/v1/participations/{p.pk}/", {"contact": s.pk, "everywhere": True}
                )
                for p, s in zip(here, successors, strict=True)
            ]
        )
        no_server_errors(answers)
        assert statuses(answers) == [200, 200], answers
        assert [Participation.objects.get(pk=p.pk).contact_id for p in here] == [
            s.pk for s in successors
        ]
