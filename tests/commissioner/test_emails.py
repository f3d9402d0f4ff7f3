"""Every link in every e-mail CollabHub sends is absolute: SITE_URL followed by a path, so it
opens from a mail client (which has no page to resolve a relative link against)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from agreements.models import Agreement
from commissioner.services import (
    agreement_renewal_reminders_send,
    flag_digests_send,
    obligation_reminders_send,
)
from tests import factories

SITE = "https://collabhub.example.ca"
# Anything that looks like a link: a scheme, or a path starting with a slash after a space.
URL = re.compile(r"(?:https?://\S+)|(?:(?<=\s)/\S+)")

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    return SITE


def links_of(message) -> list[str]:
    return URL.findall(message.body)


def assert_every_link_absolute(message, client: Client) -> None:
    links = links_of(message)
    assert links, message.body
    for link in links:
        assert link.startswith(f"{SITE}/"), link
        # And it leads somewhere real: the path answers the logged-in reader.
        response = client.get(link.removeprefix(SITE))
        assert response.status_code == 200, link


def test_the_engagement_digest_links_are_absolute(site, commissioner, commissioner_client):
    collaboration = factories.CollaborationFactory(commissioner=commissioner)
    factories.FlagFactory(participation=factories.ParticipationFactory(collaboration=collaboration))
    assert_sent(flag_digests_send)
    (message,) = mail.outbox
    assert_every_link_absolute(message, commissioner_client)
    assert any("/commissioner/flags/" in link for link in links_of(message))


def assert_sent(send) -> None:
    """Run `send` and deliver what it queued for after the commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert send() >= 1


def test_obligation_reminders_link_to_the_collaboration(site, commissioner, commissioner_client):
    collaboration = factories.CollaborationFactory(commissioner=commissioner)
    owing = factories.OrganisationFactory()
    factories.ContactFactory(organisation=owing, email="cao@owing.example", is_primary=True)
    factories.ParticipationFactory(collaboration=collaboration, organisation=owing)
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=owing,
        due_date=timezone.localdate() + dt.timedelta(days=3),
    )
    assert_sent(obligation_reminders_send)
    (message,) = mail.outbox
    assert_every_link_absolute(message, commissioner_client)
    assert f"{SITE}/collaborations/{collaboration.slug}/" in links_of(message)


def test_renewal_reminders_link_to_the_agreement(site, commissioner, commissioner_client):
    collaboration = factories.CollaborationFactory(commissioner=commissioner)
    today = timezone.localdate()
    agreement = factories.AgreementFactory(
        collaboration=collaboration,
        status=Agreement.Status.IN_FORCE,
        effective_date=today - dt.timedelta(days=700),
        expiry_date=today + dt.timedelta(days=30),
        renewal_notice_days=90,
    )
    assert_sent(agreement_renewal_reminders_send)
    (message,) = mail.outbox
    assert_every_link_absolute(message, commissioner_client)
    assert f"{SITE}/collaborations/{collaboration.slug}/agreements/{agreement.pk}/" in links_of(
        message
    )


def test_site_url_comes_from_the_environment():
    code = "from collabhub.settings import base; print(base.SITE_URL)"
    environment = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**environment, "SITE_URL": "https://partners.example.org/"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "https://partners.example.org"
