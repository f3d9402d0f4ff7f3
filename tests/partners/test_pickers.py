"""Pickers (partners/pickers.py): every organisation or user choice of a form is a search box.
Without JavaScript a search shows the matches as radio buttons and saves nothing; the next
submission saves the one picked. The htmx suggestions are scoped as the form is, bounded, and
cost the same number of queries whatever the data; and no form grows with the directory."""

import re
from html import unescape

import pytest
from django.urls import reverse

from agreements.models import Collaboration, Participation
from partners.models import Organisation, User
from partners.pickers import RESULT_LIMIT, SUGGESTION_LIMIT
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

NEW = "/collaborations/new/"
SUGGEST = "/organisations/pick/"


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def radios(response, name: str) -> dict[str, str]:
    """The radio buttons of `name` on a page: value -> its label's text."""
    body = response.content.decode()
    found = {}
    for match in re.finditer(
        rf'<input class="form-check-input" type="radio" name="{name}" id="([^"]+)" value="([^"]*)"',
        body,
    ):
        label = re.search(
            rf'<label class="form-check-label" for="{match[1]}">([^<]*)</label>', body
        )
        found[match[2]] = unescape(label[1]) if label else ""
    return found


def options(response) -> list[str]:
    return re.findall(
        r'role="option" aria-selected="false" data-value="([^"]*)"', response.content.decode()
    )


@pytest.fixture
def lakes(db):
    return {
        "township": factories.OrganisationFactory(name="Lakeside Township", short_name="LT"),
        "water": factories.OrganisationFactory(name="Lakeview Water", short_name="LW"),
        "riverton": factories.OrganisationFactory(name="City of Riverton", short_name="CR"),
    }


def collaboration_data(**extra):
    return {"title_en": "Shared Snow Clearing", "structure": "consortium", **extra}


# The no-JavaScript path --------------------------------------------------------------------------


def test_a_search_shows_the_matches_as_radio_buttons_and_saves_nothing(commissioner_client, lakes):
    response = commissioner_client.post(
        NEW,
        collaboration_data(lead_organisation_q="lake", _search="lead_organisation"),
    )
    assert response.status_code == 200
    assert not Collaboration.objects.exists()
    choices = radios(response, "lead_organisation")
    assert set(choices) == {str(lakes["township"].pk), str(lakes["water"].pk)}
    assert "Lakeside Township (LT)" in choices.values()
    assert "Choose one of the 2 matches of “lake” below." in text(response)
    # What was typed elsewhere on the form is kept for the next submission.
    assert 'value="Shared Snow Clearing"' in response.content.decode()


def test_the_radio_button_picked_after_a_search_is_saved(commissioner_client, lakes):
    response = commissioner_client.post(
        NEW,
        collaboration_data(lead_organisation_q="lake", lead_organisation=lakes["water"].pk),
    )
    assert response.status_code == 302
    assert Collaboration.objects.get().lead_organisation == lakes["water"]


def test_text_typed_but_not_picked_is_a_search_not_a_save(commissioner_client, lakes):
    """Enter in the search box submits the form with its first button: still a search."""
    response = commissioner_client.post(NEW, collaboration_data(lead_organisation_q="river"))
    assert response.status_code == 200 and not Collaboration.objects.exists()
    assert set(radios(response, "lead_organisation")) == {str(lakes["riverton"].pk)}
    # A value picked earlier that the new text does not match is not saved either.
    response = commissioner_client.post(
        NEW,
        collaboration_data(lead_organisation_q="river", lead_organisation=lakes["water"].pk),
    )
    assert response.status_code == 200 and not Collaboration.objects.exists()


def test_a_search_that_finds_nothing_or_too_much_says_so(commissioner_client, lakes):
    response = commissioner_client.post(
        NEW, collaboration_data(lead_organisation_q="zzz", _search="lead_organisation")
    )
    assert "Nothing matches “zzz”" in text(response)
    Organisation.objects.bulk_create(
        Organisation(name=f"Lake District {n}", slug=f"lake-district-{n}", kind="municipality")
        for n in range(RESULT_LIMIT + 5)
    )
    response = commissioner_client.post(
        NEW, collaboration_data(lead_organisation_q="lake", _search="lead_organisation")
    )
    assert len(radios(response, "lead_organisation")) == RESULT_LIMIT
    assert f"Only the first {RESULT_LIMIT} matches are shown" in text(response)


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999999", "-3", "1.5"])
def test_a_bad_value_is_a_form_error(commissioner_client, lakes, value):
    response = commissioner_client.post(NEW, collaboration_data(lead_organisation=value))
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Collaboration.objects.exists()


def test_staff_still_lead_with_their_own_organisation_only(client, lakes):
    staff = factories.staff_user(lakes["riverton"])
    client.force_login(staff)
    page = client.get(NEW)
    # Their organisation is already chosen.
    assert radios(page, "lead_organisation") == {str(lakes["riverton"].pk): "City of Riverton (CR)"}
    response = client.post(NEW, collaboration_data(lead_organisation=lakes["water"].pk))
    assert response.status_code == 200 and "Select a valid choice" in text(response)
    response = client.post(
        NEW, collaboration_data(lead_organisation_q="lake", _search="lead_organisation")
    )
    assert radios(response, "lead_organisation") == {}
    assert options(client.get(SUGGEST, {"scope": "lead", "q": "lake"})) == []
    assert options(client.get(SUGGEST, {"scope": "lead", "q": "river"})) == [
        str(lakes["riverton"].pk)
    ]
    response = client.post(NEW, collaboration_data(lead_organisation=lakes["riverton"].pk))
    assert response.status_code == 302


def test_an_optional_picker_can_be_emptied(admin_client_, lakes):
    child = factories.OrganisationFactory(name="Lakeside Parks", parent=lakes["township"])
    edit = reverse("partners:organisation_edit", args=[child.slug])
    page = admin_client_.get(edit)
    choices = radios(page, "parent")
    assert choices == {str(lakes["township"].pk): "Lakeside Township (LT)", "": "None"}
    data = {
        "name": child.name,
        "kind": child.kind,
        "slug": child.slug,
        "parent": "",
        "is_active": "on",
        "row_version": re.search(r'name="row_version" value="([^"]+)"', page.content.decode())[1],
    }
    assert admin_client_.post(edit, data).status_code == 302
    child.refresh_from_db()
    assert child.parent is None


# The suggestions ---------------------------------------------------------------------------------


def test_suggestions_are_bounded_and_their_query_count_does_not_grow(commissioner_client, lakes):
    for total in (SUGGESTION_LIMIT + 5, 3 * SUGGESTION_LIMIT):
        Organisation.objects.bulk_create(
            Organisation(name=f"Lake Board {total}-{n}", slug=f"lb-{total}-{n}", kind="other")
            for n in range(total)
        )
        with query_budget("partners.picker_suggestions"):
            response = commissioner_client.get(
                SUGGEST,
                {"scope": "lead", "field": "lead_organisation", "lead_organisation_q": "lake"},
            )
        assert response.status_code == 200
        assert len(options(response)) == SUGGESTION_LIMIT
        assert "More match" in text(response)
    # Names starting with the text come first.
    first = options(commissioner_client.get(SUGGEST, {"scope": "lead", "q": "lakeside"}))
    assert first[0] == str(lakes["township"].pk)


def test_suggestions_follow_the_forms_scope(client, lakes):
    manager_org = factories.OrganisationFactory(name="Lakehead Regional")
    collaboration = factories.CollaborationFactory(lead_organisation=manager_org)
    factories.ParticipationFactory(collaboration=collaboration, organisation=manager_org)
    factories.ParticipationFactory(collaboration=collaboration, organisation=lakes["township"])
    client.force_login(factories.staff_user(manager_org))
    params = {"collaboration": collaboration.slug, "q": "lake"}
    # Adding a partner: the organisations that do not take part yet.
    new = options(client.get(SUGGEST, {"scope": "new-participants", **params}))
    assert new == [str(lakes["water"].pk)]
    # Editing the lead: only those taking part.
    taking_part = options(client.get(SUGGEST, {"scope": "participants", **params}))
    assert set(taking_part) == {str(manager_org.pk), str(lakes["township"].pk)}
    # Not a manager of the collaboration: refused as its forms are; unknown: not found.
    client.force_login(factories.staff_user(lakes["water"]))
    assert client.get(SUGGEST, {"scope": "new-participants", **params}).status_code == 403
    assert client.get(SUGGEST, {"scope": "participants", **params}).status_code == 403
    missing = {"scope": "participants", "collaboration": "no-such-thing", "q": "lake"}
    assert client.get(SUGGEST, missing).status_code == 404
    assert client.get(SUGGEST, {"scope": "nonsense", "q": "lake"}).status_code == 404
    assert client.get(SUGGEST).status_code == 404


def test_the_added_partner_is_validated_against_the_same_scope(client, lakes):
    lead = factories.OrganisationFactory(name="Lakehead Regional")
    collaboration = factories.CollaborationFactory(lead_organisation=lead)
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead)
    client.force_login(factories.staff_user(lead))
    url = reverse("agreements:participation_add", args=[collaboration.slug])
    inactive = factories.OrganisationFactory(name="Lake Closed", is_active=False)
    for refused in (lead, inactive):
        response = client.post(
            url, {"organisation": refused.pk, "role": "member", "status": "active"}
        )
        assert response.status_code == 200 and "Select a valid choice" in text(response)
    response = client.post(
        url,
        {
            "organisation": lakes["water"].pk,
            "organisation_q": "lakeview",
            "role": "member",
            "status": "active",
        },
    )
    assert response.status_code == 302
    assert Participation.objects.filter(organisation=lakes["water"]).exists()


def test_an_organisation_is_not_offered_as_its_own_parent(admin_client_, lakes):
    page = admin_client_.get(reverse("partners:organisation_edit", args=[lakes["township"].slug]))
    url = unescape(re.search(r'hx-get="([^"]+)"', page.content.decode())[1])
    assert f"exclude={lakes['township'].pk}" in url
    found = options(admin_client_.get(url + "&parent_q=lake"))
    assert found == [str(lakes["water"].pk)]


def test_the_commissioner_filter_is_a_text_box_with_suggestions(admin_client_):
    ada = factories.CommissionerFactory(first_name="Ada", last_name="Lovelace")
    bob = factories.CommissionerFactory(first_name="Bob", last_name="Builder")
    mine = factories.CollaborationFactory(title="Ada's Water Board", commissioner=ada)
    factories.CollaborationFactory(title="Bob's Roads", commissioner=bob)
    url = reverse("agreements:collaboration_list")
    page = text(admin_client_.get(url, {"commissioner": "ada lovelace"}))
    assert mine.title in page and "Bob's Roads" not in page
    page = text(admin_client_.get(url, {"commissioner": str(bob.pk)}))
    assert "Bob's Roads" in page and mine.title not in page
    suggestions = admin_client_.get(
        SUGGEST,
        {
            "scope": "commissioners",
            "field": "commissioner",
            "commissioner_q": "love",
            "fill": "label",
        },
    )
    assert options(suggestions) == ["Ada Lovelace"]


# Page weight ------------------------------------------------------------------------------------

LIMIT_BYTES = 150_000


def test_forms_stay_small_with_thousands_of_organisations_and_commissioners(admin_client_, lakes):
    Organisation.objects.bulk_create(
        Organisation(
            name=f"Regional District of Somewhere Quite Long {n:05d}",
            short_name=f"RD{n:05d}",
            slug=f"rd-{n:05d}",
            kind="regional_government",
        )
        for n in range(4000)
    )
    User.objects.bulk_create(
        User(
            username=f"commissioner{n:04d}",
            first_name="Casey",
            last_name=f"Comm {n:04d}",
            role="commissioner",
        )
        for n in range(500)
    )
    collaboration = factories.CollaborationFactory(lead_organisation=lakes["township"])
    factories.ParticipationFactory(collaboration=collaboration, organisation=lakes["township"])
    pages = [
        NEW,
        reverse("agreements:collaboration_edit", args=[collaboration.slug]),
        reverse("agreements:participation_add", args=[collaboration.slug]),
        reverse("agreements:collaboration_list"),
        reverse("partners:organisation_create"),
        reverse("partners:organisation_edit", args=[lakes["water"].slug]),
        reverse("partners:person_create"),
    ]
    for url in pages:
        response = admin_client_.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert len(response.content) < LIMIT_BYTES, (url, len(response.content))
        assert body.count("<option") < 60, (url, body.count("<option"))
