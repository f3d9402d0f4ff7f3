"""The agreements API as partner systems and signed-in staff use it: scoped reads of every
resource, the partner writes (measurements, signatures, obligations met) for their own
organisation only, foreign keys checked against the caller's scope, managers' writes through the
same services, filters, ordering, bad input as 400s, and query counts of every list."""

import contextlib
import datetime as dt

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from agreements import services
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    Structure,
)
from commissioner.models import Activity
from tests import factories
from tests.agreements.conftest import session
from tests.agreements.test_services import pdf
from tests.conftest import token_client
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

API = "/api/v1"
RESOURCES = [
    "collaborations",
    "participations",
    "goals",
    "measurements",
    "agreements",
    "obligations",
]


@pytest.fixture
def world(collaboration, goal, circulating, partner_obligation, partner, lead, outsider):
    """Our consortium with one object of every resource, and the outsider's own collaboration
    with its own objects."""
    measurement = factories.MeasurementFactory(
        goal=goal,
        reported_by_organisation=partner,
        period_end=timezone.localdate() - dt.timedelta(days=30),
    )
    theirs = factories.CollaborationFactory(lead_organisation=outsider, title="Elsewhere Pool")
    factories.ParticipationFactory(collaboration=theirs, organisation=outsider, role=Role.LEAD)
    their_goal = factories.SharedGoalFactory(collaboration=theirs)
    factories.MeasurementFactory(goal=their_goal, reported_by_organisation=outsider)
    their_agreement = factories.AgreementFactory(
        collaboration=theirs, status=Agreement.Status.CIRCULATING
    )
    factories.SignatoryFactory(agreement=their_agreement, organisation=outsider)
    factories.ObligationFactory(collaboration=theirs, organisation=outsider)
    return {
        "collaborations": collaboration,
        "participations": collaboration.participations.get(organisation=partner),
        "goals": goal,
        "measurements": measurement,
        "agreements": circulating,
        "obligations": partner_obligation,
        "theirs": theirs,
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def url(resource, obj=None, action=None) -> str:
    path = f"{API}/{resource}/"
    if obj is not None:
        path += f"{obj.pk}/"
    if action:
        path += f"{action}/"
    return path


# Reading and scoping ---------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_partner_reads_its_collaborations_and_their_children(world, partner_token, resource):
    mine = world[resource]
    listed = ids(partner_token.get(url(resource)))
    assert mine.pk in listed
    assert partner_token.get(url(resource, mine)).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_organisations_token_gets_404_and_never_sees_foreign_rows(
    world, outsider_token, resource
):
    ours = world[resource]
    listed = ids(outsider_token.get(url(resource)))
    assert listed, "the outsider sees its own rows"
    assert ours.pk not in listed
    response = outsider_token.get(url(resource, ours))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    if resource != "measurements":  # measurements are never changed, only reported
        assert outsider_token.patch(url(resource, ours), {}, format="json").status_code == 404


@pytest.mark.parametrize(
    ("resource", "action", "body"),
    [
        ("collaborations", "transition", {"status": "paused"}),
        ("participations", "withdraw", {}),
        ("agreements", "sign", {}),
        ("agreements", "transition", {"status": "terminated"}),
        ("obligations", "mark-met", {"evidence": "EFT 1"}),
        ("obligations", "waive", {"reason": "x"}),
    ],
)
def test_every_action_on_a_foreign_object_is_404_and_changes_nothing(
    world, outsider_token, resource, action, body
):
    obj = world[resource]
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    response = outsider_token.post(url(resource, obj, action), body, format="json")
    assert response.status_code == 404, response.content
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_a_partner_sees_collaborations_it_has_withdrawn_from(world, outsider, lead_staff):
    theirs = world["theirs"]
    withdrawn = factories.ParticipationFactory(
        collaboration=world["collaborations"],
        organisation=factories.OrganisationFactory(),
        status=Participation.Status.WITHDRAWN,
    )
    client = token_client(withdrawn.organisation)
    assert ids(client.get(url("collaborations"))) == {world["collaborations"].pk}
    assert client.get(url("collaborations", theirs)).status_code == 404


def test_signed_in_staff_read_every_collaboration(world, outsider_staff):
    assert ids(session(outsider_staff).get(url("collaborations"))) == {
        world["collaborations"].pk,
        world["theirs"].pk,
    }


def test_collaboration_representation(world, partner_token, lead):
    collaboration = world["collaborations"]
    data = partner_token.get(url("collaborations", collaboration)).json()
    assert data["title"] == "Northern Valley Transit Consortium"
    assert data["structure"] == "consortium"
    assert data["lead_organisation"] == lead.pk
    assert data["lead_organisation_name"] == "City of Riverton"
    assert data["active_participant_count"] == 2
    assert data["structure_problems"] == []
    assert data["web_url"] == "/collaborations/nv-transit/"


def test_structure_problems_are_explained_in_the_api(partner_token, partner):
    collaboration = factories.CollaborationFactory(
        structure=Structure.PRIME_CONTRACTOR, status=Collaboration.Status.FORMING
    )
    factories.ParticipationFactory(
        collaboration=collaboration, organisation=partner, role=Role.COMMISSIONING_BODY
    )
    data = partner_token.get(url("collaborations", collaboration)).json()
    assert data["structure_problems"] == [
        "A prime-contractor collaboration needs exactly one prime contractor; it has none."
    ]


def test_goal_progress_is_derived(world, partner_token, goal):
    factories.MeasurementFactory(goal=goal, value=300, period_end=timezone.localdate())
    data = partner_token.get(url("goals", goal)).json()
    assert data["latest_value"] == "300.00"
    assert data["progress_percent"] == 50
    assert data["measurement_count"] == 2


def test_agreement_representation_lists_signatories(world, partner_token, lead, partner):
    data = partner_token.get(url("agreements", world["agreements"])).json()
    assert data["status"] == "circulating"
    assert [(s["organisation"], s["signed"]) for s in data["signatories"]] == [
        (lead.pk, False),
        (partner.pk, False),
    ]
    assert (data["signatory_count"], data["signed_count"]) == (2, 0)
    assert data["has_document"] is False


def test_obligations_overdue_filter(world, partner_token, partner):
    late = factories.ObligationFactory(
        collaboration=world["collaborations"],
        organisation=partner,
        due_date=timezone.localdate() - dt.timedelta(days=3),
    )
    assert ids(partner_token.get(url("obligations"), {"overdue": "true"})) == {late.pk}
    row = partner_token.get(url("obligations", late)).json()
    assert (row["overdue"], row["days_overdue"]) == (True, 3)
    assert late.pk not in ids(partner_token.get(url("obligations"), {"overdue": "false"}))
    assert partner_token.get(url("obligations"), {"overdue": "maybe"}).status_code == 400


def test_filters_and_ordering(world, partner_token, partner):
    collaboration = world["collaborations"]
    assert ids(partner_token.get(url("participations"), {"organisation": partner.pk})) == {
        world["participations"].pk
    }
    assert ids(partner_token.get(url("goals"), {"collaboration": collaboration.pk})) == {
        world["goals"].pk
    }
    assert ids(partner_token.get(url("agreements"), {"awaiting_signature_from": partner.pk})) == {
        world["agreements"].pk
    }
    assert ids(partner_token.get(url("collaborations"), {"status": "paused"})) == set()
    assert partner_token.get(url("collaborations"), {"status": "asleep"}).status_code == 400
    assert partner_token.get(url("goals"), {"collaboration": "1.5"}).status_code == 400
    assert partner_token.get(url("goals"), {"collaboration": str(10**30)}).status_code == 400
    bad = partner_token.get(url("obligations"), {"ordering": "secret"})
    assert bad.status_code == 400 and "ordering" in bad.json()
    assert partner_token.get(url("obligations"), {"ordering": "-due_date"}).status_code == 200


# Partner writes --------------------------------------------------------------------------------


def report(client, goal, **extra):
    body = {"goal": goal.pk, "value": "275.5", "period_end": timezone.localdate().isoformat()}
    return client.post(url("measurements"), {**body, **extra}, format="json")


def test_a_partner_reports_a_measurement_for_its_own_organisation(world, partner_token, partner):
    response = report(partner_token, world["goals"], evidence="Fare-box counts")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reported_by_organisation"] == partner.pk
    assert data["value"] == "275.50"
    measurement = Measurement.objects.get(pk=data["id"])
    assert measurement.reported_by_token is not None
    assert measurement.history.get().history_change_reason.startswith("via API token")
    assert Activity.objects.filter(
        kind=Activity.Kind.MEASUREMENT_REPORTED, participation__organisation=partner
    ).exists()


def test_a_partner_cannot_report_for_another_organisation(world, partner_token, lead, outsider):
    response = report(partner_token, world["goals"], reported_by_organisation=lead.pk)
    assert response.status_code == 400
    assert "own organisation only" in response.json()["reported_by_organisation"][0]
    # An organisation outside its scope is not even found.
    response = report(partner_token, world["goals"], reported_by_organisation=outsider.pk)
    assert response.status_code == 400
    assert "does not exist" in response.json()["reported_by_organisation"][0]
    assert Measurement.objects.count() == 2


def test_a_goal_outside_the_scope_is_a_400_naming_goal(world, outsider_token):
    response = report(outsider_token, world["goals"])
    assert response.status_code == 400
    assert "does not exist" in response.json()["goal"][0]
    assert (
        not Measurement.objects.filter(reported_by_organisation__slug="elsewhere")
        .exclude(goal__collaboration=world["theirs"])
        .exists()
    )


def test_bad_measurements_are_400s_naming_the_field(world, partner_token):
    goal = world["goals"]
    response = report(partner_token, goal, value="lots")
    assert response.status_code == 400 and "value" in response.json()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = report(partner_token, goal, period_end=tomorrow)
    assert response.status_code == 400
    assert "cannot be in the future" in response.json()["period_end"][0]
    response = report(partner_token, goal, value="1" * 20)
    assert response.status_code == 400 and "value" in response.json()


def test_a_period_end_long_before_the_goal_is_a_400_that_scores_nothing(world, partner_token):
    """0001-01-01 used to be accepted: a bogus report, counted by the scan as a report made.
    (It is now outside the dates anyone may enter at all; 1950 is within them.)"""
    goal = world["goals"]
    before = Measurement.objects.count()
    response = report(partner_token, goal, period_end="0001-01-01")
    assert response.status_code == 400, response.content
    assert response.json() == {"period_end": ["Enter a date between 1900-01-01 and 2200-12-31."]}
    response = report(partner_token, goal, period_end="1950-01-01")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["period_end"]
    earliest = services.earliest_period_end(goal)
    assert f"cannot be before {earliest.isoformat()}" in response.json()["period_end"][0]
    assert Measurement.objects.count() == before
    assert not Activity.objects.filter(kind=Activity.Kind.MEASUREMENT_REPORTED).exists()
    # The earliest period the goal allows is accepted.
    response = report(partner_token, goal, period_end=earliest.isoformat())
    assert response.status_code == 201, response.content


def test_a_partner_signs_for_itself_and_the_last_signature_brings_it_into_force(
    world, partner_token, lead_token, lead
):
    agreement = world["agreements"]
    response = partner_token.post(
        url("agreements", agreement, "sign"),
        {"signed_by_name": "Lee Park", "signed_by_title": "Municipal Clerk"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["signed_count"] == 1
    signed = [s for s in response.json()["signatories"] if s["signed"]]
    assert [(s["signed_by_name"], s["signed_by_title"]) for s in signed] == [
        ("Lee Park", "Municipal Clerk")
    ]
    again = partner_token.post(url("agreements", agreement, "sign"), {}, format="json")
    assert again.status_code == 409
    assert "already signed" in again.json()["organisation"][0]
    response = lead_token.post(url("agreements", agreement, "sign"), {}, format="json")
    assert response.json()["status"] == "in_force"
    assert response.json()["effective_date"] == timezone.localdate().isoformat()


def test_a_partner_cannot_sign_for_another_signatory(world, partner_token, lead):
    agreement = world["agreements"]
    response = partner_token.post(
        url("agreements", agreement, "sign"), {"organisation": lead.pk}, format="json"
    )
    assert response.status_code == 400
    assert "own organisation only" in response.json()["organisation"][0]
    assert not agreement.signatories.filter(signed_at__isnull=False).exists()


def test_a_partner_that_is_not_a_signatory_gets_404_on_sign(world, partner, lead_staff):
    agreement = factories.AgreementFactory(
        collaboration=world["collaborations"], status=Agreement.Status.CIRCULATING
    )
    factories.SignatoryFactory(
        agreement=agreement, organisation=world["collaborations"].lead_organisation
    )
    client = token_client(partner)
    assert client.get(url("agreements", agreement)).status_code == 200
    assert client.post(url("agreements", agreement, "sign"), {}, format="json").status_code == 404


def test_a_partner_marks_its_own_obligation_met(world, partner_token):
    obligation = world["obligations"]
    missing = partner_token.post(url("obligations", obligation, "mark-met"), {}, format="json")
    assert missing.status_code == 400 and "evidence" in missing.json()
    response = partner_token.post(
        url("obligations", obligation, "mark-met"), {"evidence": "EFT 2025-118"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "met"
    assert response.json()["met_at"]
    assert Activity.objects.filter(kind=Activity.Kind.OBLIGATION_MET).count() == 1


def test_another_participants_obligation_is_404_for_mark_met(world, lead_token):
    obligation = world["obligations"]
    assert lead_token.get(url("obligations", obligation)).status_code == 200
    response = lead_token.post(
        url("obligations", obligation, "mark-met"), {"evidence": "not ours"}, format="json"
    )
    assert response.status_code == 404
    assert Obligation.objects.get(pk=obligation.pk).status == Obligation.Status.PENDING


@pytest.mark.parametrize(
    ("resource", "body_of"),
    [
        ("collaborations", lambda w: {"title": "Mine now", "structure": "mutual"}),
        (
            "participations",
            lambda w: {
                "collaboration": w["collaborations"].pk,
                "organisation": w["collaborations"].lead_organisation_id,
                "role": "member",
            },
        ),
        (
            "goals",
            lambda w: {
                "collaboration": w["collaborations"].pk,
                "title": "x",
                "indicator": "x",
                "unit": "x",
                "target": "5",
            },
        ),
        (
            "agreements",
            lambda w: {"collaboration": w["collaborations"].pk, "title": "x", "kind": "mou"},
        ),
        (
            "obligations",
            lambda w: {
                "collaboration": w["collaborations"].pk,
                "organisation": w["collaborations"].lead_organisation_id,
                "kind": "funding",
                "description": "x",
                "due_date": "2030-01-01",
            },
        ),
    ],
)
def test_partner_tokens_cannot_create_what_managers_create(world, partner_token, resource, body_of):
    before = type(world[resource]).objects.count()
    response = partner_token.post(url(resource), body_of(world), format="json")
    assert response.status_code == 403
    assert "Partner tokens may only" in response.json()["detail"]
    assert type(world[resource]).objects.count() == before


@pytest.mark.parametrize(
    ("resource", "action", "body"),
    [
        ("collaborations", None, {"title": "Renamed"}),
        ("collaborations", "transition", {"status": "paused"}),
        ("participations", None, {"role": "lead"}),
        ("participations", "withdraw", {}),
        ("goals", None, {"title": "Renamed"}),
        ("agreements", None, {"title": "Renamed"}),
        ("agreements", "transition", {"status": "terminated"}),
        ("obligations", None, {"description": "Renamed"}),
        ("obligations", "waive", {"reason": "no"}),
    ],
)
def test_partner_tokens_cannot_change_what_they_can_see(
    world, partner_token, resource, action, body
):
    obj = world[resource]
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    call = partner_token.post if action else partner_token.patch
    response = call(url(resource, obj, action), body, format="json")
    assert response.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_read_only_tokens_write_nothing(world, partner):
    client = token_client(partner, write=False)
    response = report(client, world["goals"])
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert client.post(url("agreements", world["agreements"], "sign"), {}).status_code == 403


# Signed-in users -------------------------------------------------------------------------------


def test_staff_set_up_a_collaboration_through_the_api(lead_staff, lead):
    client = session(lead_staff)
    response = client.post(
        url("collaborations"),
        {"title": "Valley Library Partnership", "structure": "collaborative_partnership"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["lead_organisation"], data["status"]) == (lead.pk, "proposed")
    assert data["structure_problems"] == [
        "A collaborative partnership needs at least 2 partners; it has 1."
    ]
    collaboration = Collaboration.objects.get(pk=data["id"])
    refused = client.post(
        url("collaborations", collaboration, "transition"), {"status": "active"}, format="json"
    )
    assert refused.status_code == 400
    assert "cannot go from Proposed to Active" in refused.json()["status"][0]


def test_managers_add_partners_goals_agreements_and_obligations(world, lead_staff, outsider):
    client = session(lead_staff)
    collaboration = world["collaborations"]
    response = client.post(
        url("participations"),
        {"collaboration": collaboration.pk, "organisation": outsider.pk, "role": "host"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["role"] == [
        "A consortium has the roles Lead and Member; “Host” is not one of them."
    ]
    response = client.post(
        url("participations"),
        {"collaboration": collaboration.pk, "organisation": outsider.pk, "role": "member"},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = client.post(
        url("obligations"),
        {
            "collaboration": collaboration.pk,
            "organisation": outsider.pk,
            "kind": "staff_time",
            "description": "Analyst time",
            "quantity": "120",
            "unit": "hours",
            "due_date": "2030-06-30",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["overdue"] is False


def test_a_non_manager_gets_403_writing(world, partner_staff):
    client = session(partner_staff)
    response = client.patch(
        url("collaborations", world["collaborations"]), {"title": "Mine"}, format="json"
    )
    assert response.status_code == 403


def test_agreement_upload_through_the_api(world, lead_staff):
    """The document travels only through its own operation, multipart/form-data; creating the
    agreement takes JSON."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = session(lead_staff)
    collaboration = world["collaborations"]
    response = client.post(
        url("agreements"),
        {"collaboration": collaboration.pk, "title": "Scanned MOU", "kind": "mou"},
        format="json",
    )
    assert response.status_code == 201, response.content
    agreement = Agreement.objects.get(pk=response.json()["id"])
    document = url("agreements", agreement, "document")
    response = client.put(document, {"document": pdf()}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["document_name"] == "agreement.pdf"

    web_page = SimpleUploadedFile("mou.pdf", b"<html>not a pdf</html>")
    response = client.put(document, {"document": web_page}, format="multipart")
    assert response.status_code == 400
    assert "PDF, DOCX or ODT" in response.json()["document"][0]
    # JSON is the one body type of every other operation: a multipart create is refused.
    response = client.post(
        url("agreements"),
        {"collaboration": collaboration.pk, "title": "Form", "kind": "mou", "document": pdf()},
        format="multipart",
    )
    assert response.status_code == 415


def test_a_partner_cannot_upload_an_agreement_document(world, partner_token):
    response = partner_token.put(
        url("agreements", world["agreements"], "document"), {"document": pdf()}, format="multipart"
    )
    assert response.status_code == 403


def test_obligation_evidence_with_a_link_and_a_file_through_the_api(world, partner_token):
    from django.core.files.uploadedfile import SimpleUploadedFile

    obligation = world["obligations"]
    evidence_file = url("obligations", obligation, "evidence-file")
    early = partner_token.put(evidence_file, {"evidence_file": pdf()}, format="multipart")
    assert early.status_code == 409 and "evidence_file" in early.json()
    bad_link = partner_token.post(
        url("obligations", obligation, "mark-met"),
        {"evidence": "Paid", "evidence_url": "ftp://example.org/receipt"},
        format="json",
    )
    assert bad_link.status_code == 400 and "evidence_url" in bad_link.json()
    response = partner_token.post(
        url("obligations", obligation, "mark-met"),
        {"evidence": "Paid: EFT 4471", "evidence_url": "https://example.org/receipt/4471"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["evidence_url"] == "https://example.org/receipt/4471"
    assert response.json()["has_evidence_file"] is False

    script = SimpleUploadedFile("receipt.pdf", b"#!/bin/sh\necho not a pdf\n")
    refused = partner_token.put(evidence_file, {"evidence_file": script}, format="multipart")
    assert refused.status_code == 400
    assert "PDF, DOCX or ODT" in refused.json()["evidence_file"][0]
    response = partner_token.put(
        evidence_file, {"evidence_file": pdf("Receipt 4471.exe")}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert response.json()["evidence_file_name"] == "Receipt_4471.pdf"
    again = partner_token.post(
        url("obligations", obligation, "mark-met"), {"evidence": "Again"}, format="json"
    )
    assert again.status_code == 409


def test_a_foreign_key_outside_a_partner_collaboration_is_rejected_for_managers_too(
    world, lead_staff
):
    """A manager naming another collaboration's agreement on an obligation is refused by name."""
    client = session(lead_staff)
    their_agreement = world["theirs"].agreements.get()
    response = client.post(
        url("obligations"),
        {
            "collaboration": world["collaborations"].pk,
            "organisation": world["collaborations"].lead_organisation_id,
            "agreement": their_agreement.pk,
            "kind": "report",
            "description": "x",
            "due_date": "2030-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "agreement" in response.json()


# Query counts ------------------------------------------------------------------------------------


def _grow(collaboration, partner, lead, n):
    """n more rows of every resource in `collaboration`."""
    for _ in range(n):
        organisation = factories.OrganisationFactory()
        factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
        goal = factories.SharedGoalFactory(collaboration=collaboration)
        factories.MeasurementFactory(goal=goal, reported_by_organisation=partner)
        agreement = factories.AgreementFactory(collaboration=collaboration)
        factories.SignatoryFactory(agreement=agreement, organisation=lead)
        factories.SignatoryFactory(agreement=agreement, organisation=partner)
        factories.ObligationFactory(
            collaboration=collaboration, organisation=partner, agreement=agreement
        )
        other = factories.CollaborationFactory(lead_organisation=lead)
        factories.ParticipationFactory(collaboration=other, organisation=partner)
        factories.ParticipationFactory(collaboration=other, organisation=lead, role=Role.LEAD)


@pytest.mark.parametrize(
    "resource",
    [
        ("collaborations", "collaboration"),
        ("participations", "participation"),
        ("goals", "goal"),
        ("measurements", "measurement"),
        ("agreements", "agreement"),
        ("obligations", "obligation"),
    ],
    ids=lambda r: r[0],
)
def test_api_list_query_counts_do_not_grow_with_the_page(
    world, partner, lead, resource, partner_token
):
    path, name = resource
    _grow(world["collaborations"], partner, lead, 2)
    partner_token.get(url(path))  # the token's daily API-use activity is recorded once
    with query_budget(f"agreements.api_{name}_list"):
        first = partner_token.get(url(path))
    _grow(world["collaborations"], partner, lead, 5)
    with query_budget(f"agreements.api_{name}_list"):
        second = partner_token.get(url(path))
    assert len(second.json()["results"]) > len(first.json()["results"])


def test_managers_circulate_update_and_waive_through_the_api(world, lead_staff, lead, partner):
    client = session(lead_staff)
    draft = client.post(
        url("agreements"),
        {
            "collaboration": world["collaborations"].pk,
            "title": "Fleet Maintenance MOU",
            "kind": "mou",
            "signatory_organisations": [lead.pk, partner.pk],
        },
        format="json",
    )
    assert draft.status_code == 201, draft.content
    agreement = Agreement.objects.get(pk=draft.json()["id"])
    response = client.post(
        url("agreements", agreement, "transition"), {"status": "circulating"}, format="json"
    )
    assert response.json()["status"] == "circulating"
    response = client.patch(url("agreements", agreement), {"title": "Changed"}, format="json")
    assert response.status_code == 400
    assert "Only a draft agreement's text" in response.json()["title"][0]
    # A manager records Lakeside's signature on paper.
    response = client.post(
        url("agreements", agreement, "sign"),
        {"organisation": partner.pk, "signed_by_name": "Mayor Lee (wet ink)"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["signed_count"] == 1

    response = client.patch(
        url("goals", world["goals"]), {"target": "800", "cadence": "monthly"}, format="json"
    )
    assert (response.json()["target"], response.json()["cadence"]) == ("800.00", "monthly")
    response = client.post(
        url("obligations", world["obligations"], "waive"),
        {"reason": "Covered by the province this year"},
        format="json",
    )
    assert response.json()["status"] == "waived"
    response = client.patch(
        url("participations", world["participations"]), {"role": "host"}, format="json"
    )
    assert response.status_code == 400 and "role" in response.json()


def test_partners_read_only_their_collaborations_agreements_through_filters(
    world, partner_token, outsider
):
    # Filtering by an id outside the scope finds nothing rather than leaking anything.
    theirs = world["theirs"]
    assert ids(partner_token.get(url("agreements"), {"collaboration": theirs.pk})) == set()
    assert ids(partner_token.get(url("obligations"), {"organisation": outsider.pk})) == set()
    assert ids(partner_token.get(url("collaborations"), {"search": "Elsewhere"})) == set()


# A write and its answer are one unit -------------------------------------------------------------

TODAY = timezone.localdate()
# Every write of the agreements API: (caller, method, resource, object, action, body). The objects
# are keys of the `writable` fixture; the caller a manager (Riverton's staff) or Lakeside's token.
UPLOAD = "a PDF file"  # sent as a fresh PDF upload, multipart/form-data
WRITES = [
    ("manager", "post", "collaborations", None, None, {"title": "Valley", "structure": "mutual"}),
    ("manager", "patch", "collaborations", "collaborations", None, {"title": "Renamed"}),
    ("manager", "post", "collaborations", "collaborations", "transition", {"status": "paused"}),
    (
        "manager",
        "post",
        "participations",
        None,
        None,
        {"organisation": "outsider", "role": "member"},
    ),
    ("manager", "patch", "participations", "extra", None, {"role": "member", "status": "invited"}),
    ("manager", "post", "participations", "extra", "withdraw", {}),
    (
        "manager",
        "post",
        "goals",
        None,
        None,
        {"title": "Trips", "indicator": "Trips", "unit": "trips", "target": "9"},
    ),
    ("manager", "patch", "goals", "goals", None, {"target": "800"}),
    (
        "partner",
        "post",
        "measurements",
        None,
        None,
        {"goal": "goals", "value": "42.00", "period_end": TODAY.isoformat()},
    ),
    (
        "partner",
        "post",
        "measurements",
        "measurements",
        "correct",
        {"value": "43", "reason": "Typo"},
    ),
    ("manager", "post", "measurements", "measurements", "withdraw", {"reason": "In error"}),
    ("manager", "post", "agreements", None, None, {"title": "Fleet MOU", "kind": "mou"}),
    ("manager", "patch", "agreements", "draft", None, {"title": "Renamed"}),
    ("manager", "post", "agreements", "agreements", "transition", {"status": "terminated"}),
    ("partner", "post", "agreements", "agreements", "sign", {}),
    (
        "manager",
        "post",
        "obligations",
        None,
        None,
        {
            "organisation": "partner",
            "kind": "report",
            "description": "A report",
            "due_date": "2031-01-01",
        },
    ),
    ("manager", "patch", "obligations", "obligations", None, {"description": "Renamed"}),
    ("partner", "post", "obligations", "obligations", "mark-met", {"evidence": "EFT 1"}),
    ("manager", "post", "obligations", "obligations", "waive", {"reason": "Covered"}),
    # The uploads (multipart/form-data, a PDF in the named field).
    ("manager", "put", "agreements", "draft", "document", {"document": UPLOAD}),
    ("partner", "put", "obligations", "met", "evidence-file", {"evidence_file": UPLOAD}),
]


@pytest.fixture
def writable(world, partner, outsider):
    """The world, with a draft agreement and a third active member that may be withdrawn."""
    extra = factories.ParticipationFactory(collaboration=world["collaborations"], role=Role.MEMBER)
    return {
        **world,
        "extra": extra,
        "draft": factories.AgreementFactory(collaboration=world["collaborations"]),
        "met": factories.ObligationFactory(
            collaboration=world["collaborations"],
            organisation=partner,
            status=Obligation.Status.MET,
            met_at=timezone.now(),
            evidence="EFT 2",
        ),
        "partner": partner,
        "outsider": outsider,
    }


def everything_stored() -> dict:
    """Every row of the agreements app (its audit history too) and of the activity log, but the
    log of the API call itself: the call did happen."""
    from django.apps import apps

    stored = [model.objects.all() for model in apps.get_app_config("agreements").get_models()] + [
        Activity.objects.exclude(kind=Activity.Kind.API_CALL)
    ]
    return {rows.model._meta.label: sorted(map(repr, rows.values_list())) for rows in stored}


@contextlib.contextmanager
def read_back_fails(monkeypatch):
    """The connection drops while the API reads the written object back to answer."""
    from agreements.api.views import AgreementsViewSet

    respond = AgreementsViewSet.respond

    def drop(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    def respond_on_a_dropped_connection(self, obj, status_code=200):
        with connection.execute_wrapper(drop):
            return respond(self, obj, status_code)

    with monkeypatch.context() as patched:
        patched.setattr(AgreementsViewSet, "respond", respond_on_a_dropped_connection)
        yield


@pytest.mark.parametrize(("caller", "method", "resource", "target", "action", "body"), WRITES)
def test_an_api_write_that_cannot_answer_writes_nothing(
    writable, lead_staff, partner_token, monkeypatch, caller, method, resource, target, action, body
):
    """A 503 means "nothing was saved, try again": never a measurement or a signature stored
    while the client is told to retry (and then refused as already reported or signed)."""
    client = session(lead_staff) if caller == "manager" else partner_token
    path = url(resource, writable[target] if target else None, action)
    if target is None and resource not in ("collaborations", "measurements"):
        body = {"collaboration": "collaborations", **body}
    # Objects named in the body by their key in `writable`.
    data = {
        key: writable[value].pk if key in ("collaboration", "organisation", "goal") else value
        for key, value in body.items()
    }
    before = everything_stored()

    def call():
        if UPLOAD in data.values():
            files = {key: pdf() for key, value in data.items() if value == UPLOAD}
            return getattr(client, method)(path, files, format="multipart")
        return getattr(client, method)(path, data, format="json")

    with read_back_fails(monkeypatch):
        response = call()
    assert response.status_code == 503, response.content
    assert everything_stored() == before

    # The control: the same request, answered, writes.
    response = call()
    assert response.status_code in (200, 201), response.content
    assert everything_stored() != before


def test_every_api_write_is_tried_with_its_answer_failing():
    """A write action added to the API without a line in WRITES fails here."""
    from agreements.api.urls import router

    writes = {
        (prefix, action.replace("_", "-"))
        for prefix, viewset, _basename in router.registry
        for route in router.get_routes(viewset)
        for method, action in route.mapping.items()
        if method not in ("get", "head", "options") and hasattr(viewset, action)
    }
    tried = {
        (resource, action or ("partial-update" if method == "patch" else "create"))
        for _caller, method, resource, _target, action, _body in WRITES
    }
    assert writes == tried


def test_only_a_manager_dates_a_signature_made_on_paper(world, partner_token, lead_staff, partner):
    agreement = world["agreements"]
    sign = url("agreements", agreement, "sign")
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = partner_token.post(sign, {"signed_on": yesterday}, format="json")
    assert response.status_code == 400 and "signed_on" in response.json()
    response = session(lead_staff).post(
        sign,
        {
            "organisation": partner.pk,
            "signed_by_name": "Lee Park",
            "signed_by_title": "Municipal Clerk",
            "signed_on": yesterday,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    ours = [s for s in response.json()["signatories"] if s["organisation"] == partner.pk]
    assert ours[0]["signed_by_title"] == "Municipal Clerk"
    assert timezone.localtime(
        dt.datetime.fromisoformat(ours[0]["signed_at"])
    ).date().isoformat() == (yesterday)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a race needs a connection per request: SQLite's in-memory test database is one "
    "connection shared by the live server's threads (CI runs PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["sign", "mark-met"])
def test_the_same_write_sent_twice_at_once_is_one_200_and_one_409(
    live_server, what, settings, partner
):
    """Two requests race through the row lock: the second sees the first's write and is a 409,
    never a second signature or a second "met" (one activity each)."""
    import json
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": "1000000/min", "user": "1000000/min"},
    }
    collaboration = factories.CollaborationFactory()
    factories.ParticipationFactory(collaboration=collaboration, organisation=partner)
    if what == "sign":
        target = factories.AgreementFactory(
            collaboration=collaboration,
            status=Agreement.Status.CIRCULATING,
            circulated_on=timezone.localdate(),
        )
        factories.SignatoryFactory(agreement=target, organisation=partner)
        factories.SignatoryFactory(agreement=target)
        path, body = f"/api/v1/agreements/{target.pk}/sign/", {"signed_by_name": "Lee"}
        kind = Activity.Kind.AGREEMENT_SIGNED
    else:
        target = factories.ObligationFactory(collaboration=collaboration, organisation=partner)
        path, body = f"/api/v1/obligations/{target.pk}/mark-met/", {"evidence": "EFT 1"}
        kind = Activity.Kind.OBLIGATION_MET
    _token, raw = factories.api_token(partner)

    def post(_):
        request = urllib.request.Request(  # noqa: S310 (the live server's http:// address)
            live_server.url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(post, range(2)))
    assert codes == [200, 409]
    assert Activity.objects.filter(kind=kind, participation__organisation=partner).count() == 1
