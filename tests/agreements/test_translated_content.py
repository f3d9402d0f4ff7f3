"""Collaborations and goals written in English, French or both (agreements/translation.py,
core/translated.py): each reader gets their language's version, else the other one, in its own
`lang` and marked as such; staff write both versions; the API reads and writes each."""

import re

import pytest
from django.core import mail
from django.utils import translation

from agreements import services
from agreements.models import Collaboration, SharedGoal, Structure
from commissioner.services import flag_digests_send
from core.errors import DomainError
from core.versioning import row_version
from tests import factories
from tests.agreements.conftest import session
from tests.agreements.test_views import html, page, text
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

FRENCH_TITLE = "Entente intermunicipale de sécurité incendie de la Baie"
FALLBACK_IN_FRENCH = re.compile(
    r'<span class="lang-fallback" lang="fr">Entente intermunicipale de sécurité incendie de la '
    r'Baie</span> <small class="lang-marker">\(in French\)</small>'
)


def collaboration_with_goal(lead, partner, *, goal: dict, **fields):
    """A collaboration led by `lead` with `partner` taking part, and one shared goal."""
    collaboration = factories.CollaborationFactory(lead_organisation=lead, **fields)
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead)
    factories.ParticipationFactory(collaboration=collaboration, organisation=partner)
    factories.SharedGoalFactory(collaboration=collaboration, **goal)
    return collaboration


@pytest.fixture
def bilingual(lead, partner):
    return collaboration_with_goal(
        lead,
        partner,
        title_en="Coastal Watershed Partnership",
        title_fr="Partenariat du bassin versant côtier",
        summary_en="The partners restore the estuary.",
        summary_fr="Les partenaires restaurent l'estuaire.",
        shared_vision_en="A swimmable estuary.",
        shared_vision_fr="Un estuaire où l'on se baigne.",
        slug="coast",
        goal={
            "title_en": "Safe swimming days",
            "title_fr": "Jours de baignade sécuritaire",
            "indicator_en": "Beach days meeting the guideline",
            "indicator_fr": "Jours de plage conformes à la recommandation",
        },
    )


@pytest.fixture
def french_only(lead, partner):
    return collaboration_with_goal(
        lead,
        partner,
        title=FRENCH_TITLE,
        title_en="",
        title_fr=FRENCH_TITLE,
        summary_en="",
        summary_fr="Trois municipalités mettent en commun leurs casernes.",
        shared_vision_en="",
        shared_vision_fr="Des secours en moins de dix minutes.",
        slug="incendie",
        goal={
            "title_en": "",
            "title_fr": "Délai d'intervention",
            "indicator_en": "",
            "indicator_fr": "Minutes entre l'appel et l'arrivée",
        },
    )


@pytest.fixture
def french_staff(lead):
    return factories.staff_user(lead, preferred_language="fr")


# Pages ------------------------------------------------------------------------------------------


def test_a_french_reader_sees_the_french_version(client, bilingual, french_staff):
    client.force_login(french_staff)
    body = html(client.get(page(bilingual)))
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S).group(1)
    assert "Partenariat du bassin versant côtier" in heading
    assert "Coastal Watershed Partnership" not in body
    words = text(body)
    assert "Les partenaires restaurent l'estuaire." in words
    assert "Un estuaire où l'on se baigne." in words
    assert "Jours de baignade sécuritaire" in words and "Jours de plage conformes" in words
    assert "lang-fallback" not in body  # nothing stands in for another language


def test_an_english_reader_sees_french_only_text_marked_and_in_its_language(
    client, french_only, lead_staff
):
    client.force_login(lead_staff)
    body = html(client.get(page(french_only)))
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S).group(1)
    assert FALLBACK_IN_FRENCH.search(heading), heading
    assert '<span class="lang-fallback" lang="fr">Trois municipalités' in body
    # The vision is paragraphs: marked as a block.
    assert '<div class="lang-fallback" lang="fr"><p>Des secours en moins de dix minutes.</p>' in (
        body
    )
    assert '<p class="lang-marker">(in French)</p>' in body
    assert (
        '<span class="lang-fallback" lang="fr">Délai d&#x27;intervention</span> '
        '<small class="lang-marker">(in French)</small>' in body
    )
    # The list and the goal page mark it too.
    assert FALLBACK_IN_FRENCH.search(html(client.get("/collaborations/")))
    goal = french_only.goals.get()
    goal_page = html(client.get(page(french_only, f"goals/{goal.pk}/")))
    assert '<span class="lang-fallback" lang="fr">Délai d&#x27;intervention</span>' in goal_page


def test_a_french_reader_of_english_only_text_sees_it_marked_in_english(
    client, collaboration, french_staff
):
    client.force_login(french_staff)
    body = html(client.get(page(collaboration)))
    assert (
        '<span class="lang-fallback" lang="en">Northern Valley Transit Consortium</span> '
        '<small class="lang-marker">(en anglais)</small>'
    ) in body


def test_the_list_orders_by_the_title_each_reader_sees(client, lead, lead_staff, french_staff):
    for title_en, title_fr in (
        ("Bridges", "Ponts"),
        ("Zebra crossings", ""),
        ("", "Aqueduc"),
        ("Roads", "Chemins"),
    ):
        factories.CollaborationFactory(
            title=title_en or title_fr, title_en=title_en, title_fr=title_fr, lead_organisation=lead
        )

    def titles(client):
        body = html(client.get("/collaborations/"))
        cells = re.findall(r'<th scope="row"><a href="[^"]+">(.*?)</a></th>', body)
        return [re.sub(r"<[^>]+>|\s*\((in|en) [^)]+\)", "", cell).strip() for cell in cells]

    client.force_login(lead_staff)
    assert titles(client) == ["Aqueduc", "Bridges", "Roads", "Zebra crossings"]
    client.force_login(french_staff)
    assert titles(client) == ["Aqueduc", "Chemins", "Ponts", "Zebra crossings"]


def test_the_list_searches_every_version(client, bilingual, lead_staff):
    client.force_login(lead_staff)
    body = html(client.get("/collaborations/", {"q": "bassin versant"}))
    assert "Coastal Watershed Partnership" in body


def test_the_list_query_count_holds_in_french(client, lead, french_staff):
    client.force_login(french_staff)
    factories.CollaborationFactory.create_batch(3, lead_organisation=lead, title_fr="Entente")
    with query_budget("agreements.collaboration_list_french"):
        client.get("/collaborations/")
    factories.CollaborationFactory.create_batch(6, lead_organisation=lead)
    with query_budget("agreements.collaboration_list_french"):
        assert client.get("/collaborations/").status_code == 200


# Forms ------------------------------------------------------------------------------------------


def test_staff_write_both_versions_side_by_side(client, lead, lead_staff):
    client.force_login(lead_staff)
    form = html(client.get("/collaborations/new/"))
    assert '<label class="form-label" for="id_title_en">Title (English)</label>' in form
    assert '<label class="form-label" for="id_title_fr">Title (French)</label>' in form
    assert 'lang="fr"' in re.search(r"<input[^>]+id=\"id_title_fr\"[^>]*>", form).group(0)
    response = client.post(
        "/collaborations/new/",
        {
            "title_en": "Regional Fire Service",
            "title_fr": "Service régional d'incendie",
            "summary_fr": "Trois casernes, un service.",
            "structure": Structure.CONSORTIUM,
            "lead_organisation": lead.pk,
        },
    )
    assert response.status_code == 302
    created = Collaboration.objects.get(title_en="Regional Fire Service")
    assert created.title_fr == "Service régional d'incendie"
    assert (created.summary_en, created.summary_fr) == ("", "Trois casernes, un service.")
    assert created.slug == "regional-fire-service"  # from the English title


def test_a_french_reader_sees_the_form_in_french(client, french_staff):
    client.force_login(french_staff)
    form = html(client.get("/collaborations/new/"))
    assert '<label class="form-label" for="id_title_en">Titre (anglais)</label>' in form
    assert '<label class="form-label" for="id_title_fr">Titre (français)</label>' in form


@pytest.mark.parametrize("reader", ["english", "french"])
def test_a_collaboration_without_any_title_is_refused_on_the_field(
    client, lead, lead_staff, french_staff, reader
):
    user, field, message = {
        "english": (lead_staff, "title_en", "Required in English, in French or in both."),
        "french": (
            french_staff,
            "title_fr",
            "Obligatoire en anglais, en français ou dans les deux langues.",
        ),
    }[reader]
    client.force_login(user)
    body = html(
        client.post(
            "/collaborations/new/",
            {
                "title_en": " ",
                "title_fr": "",
                "structure": "consortium",
                "lead_organisation": lead.pk,
            },
        )
    )
    assert f'id="id_{field}_error"' in body and message in body
    assert not Collaboration.objects.exists()


def test_a_goal_edit_saves_both_versions(client, collaboration, lead_staff):
    goal = factories.SharedGoalFactory(collaboration=collaboration, title="Riders")
    client.force_login(lead_staff)
    form = html(client.get(page(collaboration, f"goals/{goal.pk}/edit/")))
    version = re.search(r'name="row_version" value="([^"]+)"', form).group(1)
    response = client.post(
        page(collaboration, f"goals/{goal.pk}/edit/"),
        {
            "title_en": "Riders",
            "title_fr": "Usagers",
            "indicator_en": "Boardings per month",
            "indicator_fr": "Embarquements par mois",
            "unit": "boardings",
            "baseline": "0",
            "target": "100",
            "cadence": SharedGoal.Cadence.MONTHLY,
            "row_version": version,
        },
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.title_fr, goal.indicator_fr) == ("Usagers", "Embarquements par mois")
    assert goal.indicator_en == "Boardings per month"


# Services ---------------------------------------------------------------------------------------


def test_title_without_a_language_is_the_callers_version(collaboration, lead_staff):
    with translation.override("fr"):
        services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, title="Consortium de transport"
        )
    collaboration.refresh_from_db()
    assert collaboration.title_en == "Northern Valley Transit Consortium"
    assert collaboration.title_fr == "Consortium de transport"
    # The original column stays in the deployment's language, whoever saved.
    raw = Collaboration.objects.rewrite(False).filter(pk=collaboration.pk)
    assert raw.values_list("title", flat=True).get() == "Northern Valley Transit Consortium"


def test_removing_the_last_title_is_refused(collaboration, lead_staff):
    with pytest.raises(DomainError) as refused:
        services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, title_en="", title_fr=""
        )
    assert refused.value.field == "title"


def test_a_row_has_one_version_whatever_the_readers_language(bilingual):
    with translation.override("fr"):
        french = row_version(Collaboration.objects.get(pk=bilingual.pk))
    assert row_version(Collaboration.objects.get(pk=bilingual.pk)) == french


def test_the_history_shows_which_version_changed(client, collaboration, lead_staff):
    services.collaboration_update(
        actor=lead_staff, collaboration=collaboration, title_fr="Consortium de transport"
    )
    client.force_login(lead_staff)
    history = text(html(client.get(page(collaboration)))).split("History")[-1]
    assert "Title (French): from — → to Consortium de transport" in history


# API --------------------------------------------------------------------------------------------


def test_the_api_answers_in_the_requests_language_with_each_version(bilingual, lead_staff):
    api = session(lead_staff)
    french = api.get(f"/api/v1/collaborations/{bilingual.pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["title"] == "Partenariat du bassin versant côtier"
    assert french["title_fr"] == "Partenariat du bassin versant côtier"
    assert french["title_en"] == "Coastal Watershed Partnership"
    assert french["summary"] == "Les partenaires restaurent l'estuaire."
    english = api.get(f"/api/v1/collaborations/{bilingual.pk}/").json()
    assert english["title"] == "Coastal Watershed Partnership"
    goals = api.get("/api/v1/goals/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    assert goals[0]["title"] == "Jours de baignade sécuritaire"
    assert goals[0]["indicator_en"] == "Beach days meeting the guideline"


def test_the_api_falls_back_to_the_other_language(french_only, partner):
    from tests.conftest import token_client

    body = token_client(partner, write=False).get(f"/api/v1/collaborations/{french_only.pk}/")
    assert body.json()["title"] == FRENCH_TITLE
    assert body.json()["title_en"] == ""


def test_the_api_writes_each_version_and_title_in_the_requests_language(lead, lead_staff):
    api = session(lead_staff)
    created = api.post(
        "/api/v1/collaborations/",
        {"title": "Transport régional", "structure": "consortium"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["title_fr"] == "Transport régional"
    assert created.json()["title_en"] == ""
    pk = created.json()["id"]
    changed = api.patch(
        f"/api/v1/collaborations/{pk}/", {"title_en": "Regional transit"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["title"], changed.json()["title_fr"]) == (
        "Regional transit",
        "Transport régional",
    )


def test_the_api_refuses_a_collaboration_or_goal_without_a_title(collaboration, lead_staff):
    api = session(lead_staff)
    refused = api.post(
        "/api/v1/collaborations/", {"structure": "consortium", "title_fr": " "}, format="json"
    )
    assert refused.status_code == 400
    assert "title" in refused.json()
    goal = api.post(
        "/api/v1/goals/",
        {"collaboration": collaboration.pk, "indicator_fr": "Usagers", "unit": "x", "target": 5},
        format="json",
    )
    assert goal.status_code == 400 and "title" in goal.json()


def test_the_api_searches_and_orders_by_what_each_reader_sees(bilingual, french_only, lead_staff):
    api = session(lead_staff)
    found = api.get("/api/v1/collaborations/", {"search": "baignade"}).json()["results"]
    assert found == []  # goals are not searched with collaborations
    found = api.get("/api/v1/collaborations/", {"search": "bassin"}).json()["results"]
    assert [row["id"] for row in found] == [bilingual.pk]
    english = api.get("/api/v1/collaborations/", {"ordering": "title"}).json()["results"]
    assert [row["id"] for row in english] == [bilingual.pk, french_only.pk]  # Coastal < Entente
    french = api.get(
        "/api/v1/collaborations/", {"ordering": "title"}, HTTP_ACCEPT_LANGUAGE="fr"
    ).json()["results"]
    assert [row["id"] for row in french] == [french_only.pk, bilingual.pk]  # Entente < Partenariat


# E-mails ----------------------------------------------------------------------------------------


def test_a_digest_names_a_french_only_collaboration_marked_as_french(
    french_only, partner, django_capture_on_commit_callbacks
):
    commissioner = factories.CommissionerFactory(preferred_language="en")
    Collaboration.objects.filter(pk=french_only.pk).update(commissioner=commissioner)
    factories.FlagFactory(participation=french_only.participations.get(organisation=partner))
    with django_capture_on_commit_callbacks(execute=True):
        flag_digests_send()
    (digest,) = mail.outbox
    assert f"{FRENCH_TITLE} (in French)" in digest.body
