"""Reads of the partners app: who sees which organisations, token and staff lists, history."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from agreements.models import Participation
from core.actors import PartnerPrincipal
from partners import selectors, services
from tests import factories

pytestmark = pytest.mark.django_db


def principal(organisation) -> PartnerPrincipal:
    token, _ = factories.api_token(organisation)
    return PartnerPrincipal(token=token)


def test_a_partner_sees_its_own_organisation_and_those_it_collaborates_with():
    a, partner, b, b_partner = (factories.OrganisationFactory() for _ in range(4))
    together = factories.CollaborationFactory(lead_organisation=a)
    factories.ParticipationFactory(collaboration=together, organisation=a)
    factories.ParticipationFactory(collaboration=together, organisation=partner)
    apart = factories.CollaborationFactory(lead_organisation=b)
    factories.ParticipationFactory(collaboration=apart, organisation=b)
    factories.ParticipationFactory(collaboration=apart, organisation=b_partner)

    visible = set(selectors.organisation_list_for(actor=principal(a)))
    assert visible == {a, partner}
    with pytest.raises(Http404):
        selectors.organisation_get_for(actor=principal(a), pk=b.pk)
    assert selectors.organisation_get_for(actor=principal(a), slug=partner.slug) == partner


def test_a_partner_without_collaborations_sees_only_itself(organisation):
    factories.OrganisationFactory()
    assert list(selectors.organisation_list_for(actor=principal(organisation))) == [organisation]


def test_any_participation_status_counts_as_sharing_a_collaboration():
    a, partner = factories.OrganisationFactory(), factories.OrganisationFactory()
    collaboration = factories.CollaborationFactory(lead_organisation=a)
    factories.ParticipationFactory(
        collaboration=collaboration, organisation=a, status=Participation.Status.INVITED
    )
    factories.ParticipationFactory(
        collaboration=collaboration, organisation=partner, status=Participation.Status.WITHDRAWN
    )
    assert partner in selectors.organisation_list_for(actor=principal(a))


def test_signed_in_people_see_the_whole_directory(staff, commissioner, administrator):
    others = factories.OrganisationFactory.create_batch(3)
    for actor in (staff, commissioner, administrator):
        assert set(others) <= set(selectors.organisation_list_for(actor=actor))


def test_anonymous_sees_nothing(organisation):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.organisation_list_for(actor=AnonymousUser()).exists()


def test_token_and_staff_lists_are_for_administrators_and_own_staff(
    staff, other_staff, commissioner, administrator, organisation
):
    factories.api_token(organisation)
    for actor, sees in (
        (staff, True),
        (administrator, True),
        (other_staff, False),
        (commissioner, False),
    ):
        tokens = selectors.api_token_list_for(actor=actor, organisation=organisation)
        members = selectors.organisation_staff_for(actor=actor, organisation=organisation)
        assert tokens.exists() is sees, actor
        assert members.exists() is sees, actor


def test_directory_sorts(staff):
    factories.OrganisationFactory(name="Beta", jurisdiction="Zed")
    factories.OrganisationFactory(name="Alpha", jurisdiction="Yuk")
    names = lambda sort: [  # noqa: E731
        o.name for o in selectors.organisation_directory_for(actor=staff, sort=sort)
    ]
    assert names("name")[:2] == ["Alpha", "Beta"]
    assert names("-name")[-2:] == ["Beta", "Alpha"]
    assert names("-jurisdiction")[:2] == ["Beta", "Alpha"]
    assert names("nonsense") == names("name")


def test_references_name_what_points_at_an_organisation(organisation):
    factories.ParticipationFactory(organisation=organisation)
    factories.staff_user(organisation)
    references = selectors.organisation_references(organisation=organisation)
    assert references == {"participations": 1, "staff members": 1}


def test_history_says_who_changed_what(staff, organisation):
    parent = factories.OrganisationFactory(name="Province of Westmark")
    services.organisation_update(
        actor=staff, organisation=organisation, jurisdiction="Treaty 9", parent=parent
    )
    contact = services.contact_create(
        actor=staff, organisation=organisation, name="Amara", email="amara@example.org"
    )
    services.contact_update(actor=staff, contact=contact, title="CAO")

    history = selectors.organisation_history(organisation=organisation)
    assert [(entry.subject, entry.action) for entry in history] == [
        ("Contact: Amara", "changed"),
        ("Contact: Amara", "created"),
        ("Organisation", "changed"),
        ("Organisation", "created"),
    ]
    title_change = history[0].changes
    assert [(c.label, c.old, c.new) for c in title_change] == [("title", "—", "CAO")]
    org_changes = {c.label: (c.old, c.new) for c in history[2].changes}
    assert org_changes == {
        "jurisdiction or region": ("Northern Valley", "Treaty 9"),
        "parent organisation": ("—", "Province of Westmark"),
    }
    assert history[0].user == staff


def test_a_history_entry_is_one_sentence_worded_as_a_whole(staff, organisation):
    """An entry ("Contact: Amara Okafor changed") is one sentence for the translator (French
    puts a non-breaking space before the colon and words the action its own way), not a label,
    a literal ": " and a word put side by side."""
    contact = services.contact_create(
        actor=staff, organisation=organisation, name="Amara Okafor", email="amara@example.org"
    )
    services.contact_update(actor=staff, contact=contact, title="CAO")
    assert selectors.organisation_history(organisation=organisation)[0].summary == (
        "Contact: Amara Okafor changed"
    )
    with translation.override("fr"):
        entry = selectors.organisation_history(organisation=organisation)[0]
    assert entry.summary == "Personne-ressource\xa0: Amara Okafor — modification"


def test_history_costs_the_same_queries_however_long_it_is(staff, organisation):
    def count():
        with CaptureQueriesContext(connection) as queries:
            selectors.organisation_history(organisation=organisation)
        return len(queries.captured_queries)

    services.organisation_update(actor=staff, organisation=organisation, jurisdiction="One")
    first = count()
    for number in range(5):
        services.organisation_update(
            actor=staff, organisation=organisation, jurisdiction=f"Two {number}"
        )
        services.contact_create(
            actor=staff, organisation=organisation, name=f"C{number}", email=f"c{number}@x.org"
        )
    assert count() == first
