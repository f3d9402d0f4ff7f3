"""The demo data: about twenty organisations with contacts, the demo logins, and idempotency."""

import pytest

from partners import demo
from partners.models import Contact, Organisation, StaffMembership, User

pytestmark = pytest.mark.django_db


def counts():
    return (
        Organisation.objects.count(),
        Contact.objects.count(),
        User.objects.count(),
        StaffMembership.objects.count(),
    )


def test_seed_creates_realistic_organisations_and_is_idempotent():
    demo.seed()
    first = counts()
    assert 18 <= first[0] <= 25
    assert not Organisation.objects.filter(contacts__isnull=True).exists()
    assert Contact.objects.filter(is_primary=True).count() == first[0]
    ministry = Organisation.objects.get(slug="wmma")
    assert ministry.parent.name == "Province of Westmark"
    assert len({o.kind for o in Organisation.objects.all()}) == len(Organisation.Kind)

    demo.seed()
    assert counts() == first


def test_demo_logins_sign_in_with_the_demo_password():
    demo.seed()
    for username, _description in demo.DEMO_LOGINS:
        assert User.objects.get(username=username).check_password(demo.DEMO_PASSWORD), username
    assert User.objects.get(username="staff").staff_membership.organisation.slug == "riverton"
    assert User.objects.get(username="admin").is_administrator
