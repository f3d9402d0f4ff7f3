"""The API token lifecycle: issued with a secret shown once, stored only as a peppered hash,
refused when unknown, expired, revoked or read-only-writing, and `last used` written at most once
a minute."""

import datetime as dt
import hashlib
import hmac
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from commissioner.models import Activity
from partners import services, tokens
from partners.models import ApiToken
from partners.tokens import token_digest, token_prefix
from tests import factories

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# Storage -------------------------------------------------------------------------------------


def test_only_an_hmac_of_the_token_is_stored(organisation):
    token, raw = factories.api_token(organisation)
    expected = hmac.new(b"test-only-pepper", raw.encode(), hashlib.sha256).hexdigest()
    assert token.digest == expected
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    secret = raw.rsplit("_", 1)[1]
    assert not any(secret in str(value) for value in stored.values())
    assert stored["prefix"] == token_prefix(raw)


def test_the_hash_depends_on_the_server_pepper(organisation):
    _, raw = factories.api_token(organisation)
    with override_settings(API_TOKEN_PEPPER="another-pepper"):
        assert token_digest(raw) != ApiToken.objects.get().digest
        assert services.api_token_authenticate(raw_token=raw)[0] is None


def test_every_token_is_different(organisation):
    raws = {factories.api_token(organisation)[1] for _ in range(5)}
    assert len(raws) == 5


def test_a_prefix_already_taken_is_drawn_again_not_a_500(staff_client, organisation, monkeypatch):
    # The public prefix is 32 random bits: by 10,000 tokens two share one about 1% of the time.
    existing, existing_raw = factories.api_token(organisation)
    draws = [existing.prefix, "0badc0de"]
    real_token_hex = tokens.secrets.token_hex
    monkeypatch.setattr(
        tokens.secrets,
        "token_hex",
        lambda nbytes: draws.pop(0) if draws else real_token_hex(nbytes),
    )
    response = staff_client.post(
        f"/organisations/{organisation.slug}/tokens/new/", {"name": "Second system"}
    )
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw.startswith("chb_0badc0de_")
    assert not draws
    assert bearer(raw).get(ME).status_code == 200
    assert bearer(existing_raw).get(ME).status_code == 200
    assert sorted(ApiToken.objects.values_list("prefix", flat=True)) == sorted(
        [existing.prefix, "0badc0de"]
    )


# Authentication ------------------------------------------------------------------------------


def test_a_valid_bearer_token_authenticates_as_its_organisation(organisation):
    _, raw = factories.api_token(organisation, write=False, name="Reporting")
    response = bearer(raw).get(ME)
    assert response.status_code == 200
    assert response.json()["organisation"]["slug"] == organisation.slug


@pytest.mark.parametrize(
    "header",
    [
        "Bearer chb_00000000_unknownsecret",
        "Bearer not-even-a-token",
        "Bearer",
        "Bearer one two",
    ],
)
def test_unknown_or_malformed_tokens_get_401_with_a_json_message(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_no_credentials_get_401():
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_token_is_refused(organisation):
    _, raw = factories.api_token(organisation, expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has expired."}


def test_a_token_works_until_it_expires(organisation):
    token, raw = factories.api_token(
        organisation, expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert bearer(raw).get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert bearer(raw).get(ME).status_code == 401


def test_a_revoked_token_is_refused(organisation):
    token, raw = factories.api_token(organisation)
    assert bearer(raw).get(ME).status_code == 200
    services.api_token_revoke(token=token)
    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has been revoked."}


def test_revoking_twice_keeps_the_first_time(organisation):
    token, _ = factories.api_token(organisation)
    services.api_token_revoke(token=token)
    first = token.revoked_at
    services.api_token_revoke(token=token)
    token.refresh_from_db()
    assert token.revoked_at == first


def test_a_token_of_an_inactive_organisation_is_refused(organisation):
    _, raw = factories.api_token(organisation)
    organisation.is_active = False
    organisation.save()
    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert "inactive" in response.json()["detail"]


def test_a_read_only_token_reads_but_cannot_write(organisation):
    _, raw = factories.api_token(organisation, write=False)
    client = bearer(raw)
    assert client.get(f"/api/v1/organisations/{organisation.pk}/").status_code == 200
    response = client.patch(
        f"/api/v1/organisations/{organisation.pk}/", {"name": "Changed"}, format="json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    response = client.post("/api/v1/organisations/", {"name": "X", "kind": "other"}, format="json")
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.name != "Changed"


# Last used -----------------------------------------------------------------------------------


def test_last_used_is_written_on_first_use(organisation):
    token, raw = factories.api_token(organisation)
    assert token.last_used_at is None
    before = timezone.now()
    bearer(raw).get(ME)
    token.refresh_from_db()
    assert token.last_used_at >= before


def test_last_used_is_written_at_most_once_a_minute(organisation):
    token, raw = factories.api_token(organisation)
    recent = timezone.now() - dt.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    with CaptureQueriesContext(connection) as queries:
        assert services.api_token_authenticate(raw_token=raw)[0] is not None
    token.refresh_from_db()
    assert token.last_used_at == recent
    assert not any(q["sql"].startswith("UPDATE") for q in queries.captured_queries)

    a_while_ago = timezone.now() - dt.timedelta(seconds=61)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_while_ago)
    services.api_token_authenticate(raw_token=raw)
    token.refresh_from_db()
    assert token.last_used_at > a_while_ago + dt.timedelta(seconds=60)


def test_of_two_racing_requests_only_the_first_writes_last_used(organisation):
    participation = factories.ParticipationFactory(organisation=organisation)
    token, raw = factories.api_token(organisation)
    # Another request with the same token writes its last use (and records the API call) between
    # this request reading the token, never used, and writing.
    other_request_at = timezone.now()
    raced = []

    def another_request_in_between(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not raced and sql.startswith("SELECT") and '"partners_apitoken"' in sql:
            raced.append(sql)
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=other_request_at)
        return result

    with connection.execute_wrapper(another_request_in_between):
        assert services.api_token_authenticate(raw_token=raw)[0] == token
    assert raced
    token.refresh_from_db()
    assert token.last_used_at == other_request_at
    # The other request counts as the sign of life; this one adds nothing.
    assert not Activity.objects.filter(
        participation=participation, kind=Activity.Kind.API_CALL
    ).exists()


def test_api_use_is_a_sign_of_life_only_in_the_collaboration_it_touched(organisation):
    """A partner silent in one collaboration must not look alive because it uses the API for
    another (issue: early warning)."""
    touched = factories.ParticipationFactory(organisation=organisation)
    silent = factories.ParticipationFactory(organisation=organisation)
    _, raw = factories.api_token(organisation)
    assert bearer(raw).get(ME).status_code == 200  # touches no collaboration
    assert not Activity.objects.filter(kind=Activity.Kind.API_CALL).exists()
    url = f"/api/v1/collaborations/{touched.collaboration_id}/"
    assert bearer(raw).get(url).status_code == 200
    assert bearer(raw).get(url).status_code == 200  # the same day: recorded once
    goals = f"/api/v1/goals/?collaboration={touched.collaboration_id}"
    assert bearer(raw).get(goals).status_code == 200
    api_use = Activity.objects.filter(kind=Activity.Kind.API_CALL)
    assert list(api_use.values_list("participation_id", flat=True)) == [touched.pk]
    assert not silent.activities.exists()


# Issued once ---------------------------------------------------------------------------------


def test_the_issue_page_shows_the_token_once(staff_client, organisation):
    url = f"/organisations/{organisation.slug}/tokens/new/"
    response = staff_client.post(url, {"name": "Reporting system", "write_enabled": "on"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    html = response.content.decode()
    assert raw in html
    assert "will not be shown again" in html
    assert "no-store" in response["Cache-Control"]
    assert raw not in response.get("Location", "")
    # Not in the session, not on any later page.
    assert raw not in str(dict(staff_client.session))
    detail = staff_client.get(organisation.get_absolute_url()).content.decode()
    assert raw not in detail
    assert ApiToken.objects.get().prefix in detail
    # And it works.
    me = bearer(raw).get(ME).json()
    assert me["token"] == {
        "name": "Reporting system",
        "prefix": ApiToken.objects.get().prefix,
        "read_only": False,
        "scope": "read-write",
        "expires_at": None,
    }


# Management command --------------------------------------------------------------------------


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_command_prints_a_working_read_only_token_once(organisation):
    raw, message = run_command(organisation.slug, "--name", "Nightly sync")
    token = ApiToken.objects.get()
    assert token.name == "Nightly sync" and not token.write_enabled and token.expires_at is None
    assert "will not be shown again" in message
    assert raw.startswith(f"chb_{token.prefix}_")
    assert bearer(raw).get(ME).status_code == 200


def test_command_issues_read_write_tokens_that_expire(organisation):
    raw, _ = run_command(organisation.slug, "--write", "--expires-days", "7")
    token = ApiToken.objects.get()
    assert token.write_enabled
    assert 6 <= (token.expires_at - timezone.now()).days <= 7
    assert bearer(raw).get(ME).json()["token"]["scope"] == "read-write"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-organisation"], "No organisation"),
        (["{slug}", "--expires-days", "0"], "--expires-days"),
        (["{slug}", "--name", "x" * 101], "--name"),
    ],
)
def test_command_refuses_bad_input(organisation, args, message):
    args = [arg.format(slug=organisation.slug) for arg in args]
    with pytest.raises(CommandError, match=message):
        run_command(*args)
    assert not ApiToken.objects.exists()


def test_command_refuses_inactive_organisations():
    inactive = factories.OrganisationFactory(is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        run_command(inactive.slug)


def test_administrators_revoke_tokens_from_the_django_admin(client, organisation):
    superuser = factories.AdministratorFactory(is_superuser=True)
    client.force_login(superuser)
    token, raw = factories.api_token(organisation)
    response = client.post(
        "/admin/partners/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "1 token revoked." in response.content.decode()
    assert bearer(raw).get(ME).status_code == 401
    assert client.get("/admin/partners/apitoken/add/").status_code == 403
    others = [factories.api_token(organisation)[0].pk for _ in range(2)]
    response = client.post(
        "/admin/partners/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk, *others]},
        follow=True,
    )
    assert "2 tokens revoked." in response.content.decode()  # the first was revoked already
