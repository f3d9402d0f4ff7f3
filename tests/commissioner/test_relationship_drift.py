"""The named contact moving on, as the early warning reads it: "left or changed in the last 90
days" from the change history, and a partner whose contact left with no one named in its place
drifting from less evidence (docs/engagement.md, "The watch state")."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from agreements.models import Participation
from commissioner.engagement import Policy
from commissioner.engagement.scoring import Figures
from commissioner.reasons import render_all
from commissioner.services import engagement_scan
from commissioner.trends import Previous, Trend, watch
from partners.models import Contact
from tests import factories
from tests.commissioner.conftest import SCAN, at, days_before, partner

pytestmark = pytest.mark.django_db


def day_of(evidence: int, *, contact: str = "stayed", policy: Policy | None = None):
    """An engaged partner scoring 90, usually heard from on 15 days in 90, not heard from
    yesterday: (15 + 1) / (90 + 14) = 0.1538 of days, ln((1 - 0.4 x 0.1538) / (1 - 0.1538)) =
    +0.1035, 4 hundredths added to `evidence`. Its named contact "stayed", "left" lately with no
    one named in its place, or was "handed over" to a successor lately."""
    trend = Trend(
        days_before=90,
        contact_days_before=15,
        contact_left=contact != "stayed",
        contact_vacant=contact == "left",
    )
    figures = Figures(days_since_activity=2, trend=trend, days_since_joining=400)
    assessment = type("Assessment", (), {"figures": figures, "score": 90, "band": "engaged"})
    previous = Previous("engaged", 0, 0, 90, evidence)
    return watch(assessment, policy or Policy.model_defaults(), previous, None)


def test_a_partner_whose_contact_left_is_drifting_from_less_evidence():
    """160 + 4 = 164: under the 200 of drifting, but over 200 - 50 for a partner whose named
    contact left lately with no one named in its place. Its reason says both, quoting 10^1.5 =
    32 times likelier; the evidence itself is the same either way (it is what the record
    weighs)."""
    left = day_of(160, contact="left")
    assert (left.evidence, left.state) == (164, "drifting")
    assert left.codes[0] == {"code": "trend_evidence_contact_vacant", "figures": {"times": 32}}
    assert render_all(left.codes, SCAN)[0].startswith(
        "its named contact left in the last 90 days and no one has been named in its place, "
        "and its record of recent weeks"
    )
    assert "over 32 times likelier" in render_all(left.codes, SCAN)[0]
    stayed = day_of(160)
    assert (stayed.evidence, stayed.state, stayed.codes) == (164, "engaged", [])
    # A commissioner who does not want it: 0 in the policy.
    off = dataclasses.replace(Policy.model_defaults(), drift_contact_left=0)
    assert day_of(160, contact="left", policy=off).state == "engaged"


def test_a_successor_named_is_a_handover_not_a_lower_bar():
    """The same partner once a successor is named: engaged at 164, as if its contact had
    stayed (until then the change counted for 90 days whoever was named, which flagged steady
    partners through a handover and held the flags of partners back from a dip)."""
    handed_over = day_of(160, contact="handed over")
    assert (handed_over.evidence, handed_over.state, handed_over.codes) == (164, "engaged", [])
    assert day_of(50, contact="handed over").clear_streak == 1


def test_the_reason_stored_before_the_handover_counted_still_reads():
    """Flags raised in December 2026 before this change keep their stored reason's wording."""
    stored = [{"code": "trend_evidence_contact_left", "figures": {"times": 32}}]
    assert render_all(stored, SCAN)[0].startswith(
        "its named contact left or changed in the last 90 days, and its record of recent weeks"
    )


def test_a_flag_closes_later_while_the_contact_is_gone():
    """The flag closes under half the threshold, the departure counted: 50 + 4 = 54 is under
    100 (clear) for a partner whose contact stayed, and 54 + 50 = 104 is not for one whose
    contact left with no one named in its place."""
    assert day_of(50).clear_streak == 1
    assert day_of(50, contact="left").clear_streak == 0


def name(participation: Participation, contact: Contact, on: dt.datetime) -> None:
    """Name `contact` on the participation, as its change history records it on `on`."""
    participation.contact = contact
    participation.save()
    latest = Participation.history.filter(id=participation.pk).latest("history_date", "history_id")
    Participation.history.filter(history_id=latest.history_id).update(history_date=on)


def test_a_contact_named_long_ago_and_replaced_lately_counts_as_changed(collaboration):
    """Named 300 days before the scan, replaced 20 days before: changed in the last 90 days
    (until December 2026 only the namings within the 90 days were compared, and a single one
    there read as no change). Replaced 100 days before: no longer."""
    person = partner(collaboration)
    Participation.history.filter(id=person.pk).update(history_date=days_before(400))
    first = factories.ContactFactory(organisation=person.organisation)
    second = factories.ContactFactory(organisation=person.organisation)
    name(person, first, days_before(300))
    name(person, second, days_before(20))
    engagement_scan(scan_date=SCAN)
    assert person.snapshots.get(scan_date=SCAN).trend["contact_left"] is True
    latest = Participation.history.filter(id=person.pk).latest("history_date", "history_id")
    Participation.history.filter(history_id=latest.history_id).update(history_date=days_before(100))
    engagement_scan(scan_date=SCAN)
    assert person.snapshots.get(scan_date=SCAN).trend["contact_left"] is False


def named_long_ago_and_gone(person: Participation) -> Contact:
    """A contact created and named on the participation 300 days before the scan, then made
    inactive (now: the caller dates its departure in the change history)."""
    long_ago = at(SCAN - dt.timedelta(days=300))
    named = factories.ContactFactory(organisation=person.organisation)
    Contact.objects.filter(pk=named.pk).update(created_at=long_ago)
    Contact.history.filter(id=named.pk).update(history_date=long_ago)
    Participation.history.filter(id=person.pk).update(history_date=long_ago)
    name(person, named, long_ago)
    named.refresh_from_db()
    named.is_active = False
    named.save()
    return named


def test_a_named_contact_gone_counts_for_90_days_not_for_ever(collaboration):
    """Made inactive 20 days before the scan: gone lately. 120 days before: no longer (it
    counted for ever until December 2026)."""
    person = partner(collaboration)
    named = named_long_ago_and_gone(person)
    for days, left in ((20, True), (120, False)):
        Contact.history.filter(id=named.pk, is_active=False).update(history_date=days_before(days))
        engagement_scan(scan_date=SCAN)
        trend = person.snapshots.get(scan_date=SCAN).trend
        assert (trend["contact_left"], trend["contact_vacant"]) == (left, left), days


def test_a_contact_gone_is_vacant_until_a_successor_is_named(collaboration):
    """Made inactive 20 days before the scan and no one named since: gone, and vacant (the
    lower bar for drifting). A successor named 5 days before the scan: still changed in the
    last 90 days (the points off, if a policy sets them), but no longer vacant."""
    person = partner(collaboration)
    gone = named_long_ago_and_gone(person)
    Contact.history.filter(id=gone.pk, is_active=False).update(history_date=days_before(20))
    engagement_scan(scan_date=SCAN)
    trend = person.snapshots.get(scan_date=SCAN).trend
    assert (trend["contact_left"], trend["contact_vacant"]) == (True, True)
    successor = factories.ContactFactory(organisation=person.organisation)
    Contact.objects.filter(pk=successor.pk).update(created_at=days_before(5))
    Contact.history.filter(id=successor.pk).update(history_date=days_before(5))
    name(person, successor, days_before(5))
    engagement_scan(scan_date=SCAN)
    trend = person.snapshots.get(scan_date=SCAN).trend
    assert (trend["contact_left"], trend["contact_vacant"]) == (True, False)


def test_policies_left_at_the_old_default_stop_taking_points_off_for_a_contact_gone(db):
    """The migration: a policy at the old default (5 points off) gets the new one (0) and the
    lower bar for drifting (50); a policy someone chose keeps its points."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("commissioner.migrations.0021_drift_contact_left")
    old = factories.EngagementPolicyFactory(collaboration=None, points_contact_left=5)
    chosen = factories.EngagementPolicyFactory(
        collaboration=factories.CollaborationFactory(), points_contact_left=8
    )
    migration.forwards(apps, None)
    old.refresh_from_db()
    chosen.refresh_from_db()
    assert (old.points_contact_left, old.drift_contact_left) == (0, 50)
    assert chosen.points_contact_left == 8
