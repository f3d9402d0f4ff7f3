"""A named contact who left, replaced in every collaboration that names them: the service, the
participation form (without JavaScript) and the API. The races are in tests/integrity."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from simple_history.utils import get_history_model_for_model

from agreements import services
from agreements.models import Collaboration, Participation, Role, Structure
from partners import services as partner_services
from tests import factories
from tests.agreements.conftest import participation_of, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def departed(lead, partner, lead_staff, partner_staff, collaboration):
    """Ana spoke for Lakeside in the transit consortium and in three other collaborations: one
    Riverton also leads, one another organisation leads, one Lakeside withdrew from. She left."""
    ana = factories.ContactFactory(organisation=partner, name="Ana Roy")
    elsewhere = {
        "water": factories.CollaborationFactory(
            title="Water Board", lead_organisation=lead, structure=Structure.CONSORTIUM
        ),
        "foreign": factories.CollaborationFactory(title="Hospital Study"),
        "withdrawn": factories.CollaborationFactory(title="Old Study", lead_organisation=lead),
    }
    for key, other in elsewhere.items():
        factories.ParticipationFactory(
            collaboration=other,
            organisation=partner,
            role=Role.MEMBER,
            contact=ana,
            status=Participation.Status.WITHDRAWN if key == "withdrawn" else "active",
        )
    services.participation_update(
        actor=lead_staff, participation=participation_of(collaboration, partner), contact=ana
    )
    partner_services.contact_update(actor=partner_staff, contact=ana, is_active=False)
    ana.refresh_from_db()
    return {"ana": ana, **elsewhere, "ben": factories.ContactFactory(organisation=partner)}


def named(collaboration, organisation) -> str:
    contact = participation_of(collaboration, organisation).contact
    return contact.name if contact else ""


def test_a_successor_is_named_wherever_the_one_who_left_was_and_the_actor_manages(
    departed, collaboration, partner, lead_staff
):
    ben = departed["ben"]
    services.participation_update(
        actor=lead_staff,
        participation=participation_of(collaboration, partner),
        contact=ben,
        everywhere=True,
    )
    assert named(collaboration, partner) == ben.name
    assert named(departed["water"], partner) == ben.name
    # Not where another organisation leads, nor where Lakeside withdrew.
    assert named(departed["foreign"], partner) == "Ana Roy"
    assert named(departed["withdrawn"], partner) == "Ana Roy"
    history = get_history_model_for_model(Participation).objects.filter(
        id=participation_of(departed["water"], partner).pk
    )
    latest = history.latest("history_date")
    assert (latest.history_user, latest.history_change_reason) == (
        lead_staff,
        "named in place of a contact who left",
    )


def test_without_everywhere_only_this_participation_changes(
    departed, collaboration, partner, lead_staff
):
    services.participation_update(
        actor=lead_staff,
        participation=participation_of(collaboration, partner),
        contact=departed["ben"],
    )
    assert named(departed["water"], partner) == "Ana Roy"


def test_a_contact_still_active_is_changed_here_only(collaboration, partner, lead, lead_staff):
    """Naming someone else in place of a contact who is still there is no hand-over: the
    organisation may want her in the other collaboration."""
    cleo = factories.ContactFactory(organisation=partner, name="Cleo")
    water = factories.CollaborationFactory(lead_organisation=lead)
    factories.ParticipationFactory(collaboration=water, organisation=partner, contact=cleo)
    services.participation_update(
        actor=lead_staff, participation=participation_of(collaboration, partner), contact=cleo
    )
    services.participation_update(
        actor=lead_staff,
        participation=participation_of(collaboration, partner),
        contact=factories.ContactFactory(organisation=partner),
        everywhere=True,
    )
    assert named(water, partner) == "Cleo"


def test_a_participation_changed_by_hand_meanwhile_keeps_its_contact(
    departed, collaboration, partner, lead_staff
):
    """The candidates are read before the locks: one renamed between the two is left alone."""
    here = participation_of(collaboration, partner)
    candidates = services.handover_candidates(actor=lead_staff, participation=here)
    assert [p.collaboration.title for p in candidates] == ["Water Board"]
    dee = factories.ContactFactory(organisation=partner, name="Dee")
    Participation.objects.filter(pk=candidates[0].pk).update(contact=dee)
    services.participation_update(
        actor=lead_staff, participation=here, contact=departed["ben"], everywhere=True
    )
    assert named(departed["water"], partner) == "Dee"


def test_a_concluded_collaboration_keeps_the_contact_it_ended_with(
    departed, collaboration, partner, lead_staff
):
    Collaboration.objects.filter(pk=departed["water"].pk).update(
        status=Collaboration.Status.CONCLUDED
    )
    services.participation_update(
        actor=lead_staff,
        participation=participation_of(collaboration, partner),
        contact=departed["ben"],
        everywhere=True,
    )
    assert named(departed["water"], partner) == "Ana Roy"


def edit_url(collaboration, partner) -> str:
    return reverse(
        "agreements:participation_edit",
        args=[collaboration.slug, participation_of(collaboration, partner).pk],
    )


def test_the_form_says_who_left_and_offers_the_hand_over_checked(
    departed, collaboration, partner, lead_staff, client
):
    client.force_login(lead_staff)
    page = client.get(edit_url(collaboration, partner)).content.decode()
    assert "Ana Roy, named here, is no longer an active contact" in page
    assert (
        "Name them in place of Ana Roy in the other collaboration that still names Ana Roy too"
        in page
    )
    assert "Water Board" in page and "Hospital Study" not in page
    box = re.search(r'<input type="checkbox" name="everywhere"[^>]*>', page)
    assert box is not None and " checked" in box.group(0)


@pytest.mark.parametrize("ticked", [True, False])
def test_the_form_hands_over_only_when_ticked(
    departed, collaboration, partner, lead_staff, client, ticked
):
    """A plain form POST, as without JavaScript: an unticked box is absent from the POST."""
    client.force_login(lead_staff)
    here = participation_of(collaboration, partner)
    fields = {"role": here.role, "status": "active", "contact": departed["ben"].pk}
    if ticked:
        fields["everywhere"] = "on"
    answer = client.post(edit_url(collaboration, partner), fields, follow=True)
    assert answer.status_code == 200
    assert named(collaboration, partner) == departed["ben"].name
    assert named(departed["water"], partner) == (departed["ben"].name if ticked else "Ana Roy")
    said = "is now named in place of Ana Roy in the other collaborations too"
    assert (said in answer.content.decode()) is ticked


def test_no_hand_over_is_offered_when_no_one_left(collaboration, partner, lead_staff, client):
    client.force_login(lead_staff)
    page = client.get(edit_url(collaboration, partner)).content.decode()
    assert 'name="everywhere"' not in page
    assert "no longer an active contact" not in page


def test_the_api_hands_over_when_asked(departed, collaboration, partner, lead_staff):
    here = participation_of(collaboration, partner)
    answer = session(lead_staff).patch(
        f"/api/v1/participations/{here.pk}/",
        {"contact": departed["ben"].pk, "everywhere": True},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert "everywhere" not in answer.json()
    assert named(departed["water"], partner) == departed["ben"].name


def test_the_api_refuses_an_everywhere_that_is_no_boolean(
    departed, collaboration, partner, lead_staff
):
    here = participation_of(collaboration, partner)
    answer = session(lead_staff).patch(
        f"/api/v1/participations/{here.pk}/",
        {"contact": departed["ben"].pk, "everywhere": "perhaps"},
        format="json",
    )
    assert answer.status_code == 400
    assert "everywhere" in answer.json()
    assert named(collaboration, partner) == "Ana Roy"


def test_the_collaboration_page_marks_a_named_contact_who_left(
    departed, collaboration, partner, lead_staff, client
):
    """Where staff see who speaks for each partner, and find the participation to edit."""
    client.force_login(lead_staff)
    page = client.get(collaboration.get_absolute_url()).content.decode()
    assert re.search(r"Ana Roy\s*<span[^>]*>no longer active</span>", page)
    services.participation_update(
        actor=lead_staff,
        participation=participation_of(collaboration, partner),
        contact=departed["ben"],
    )
    assert "no longer active" not in client.get(collaboration.get_absolute_url()).content.decode()
