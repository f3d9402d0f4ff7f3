"""Every structure's rules, as the collaboration page and the activation check explain them."""

import pytest

from agreements.models import Participation, Role, Structure
from agreements.structures import (
    STRUCTURES,
    allowed_roles,
    problems_for_roles,
    role_not_allowed_message,
    structure_problems,
)
from tests import factories
from tests.agreements.conftest import VALID_ROLES, build_collaboration


def members(*roles):
    return [(role, f"Org {index}") for index, role in enumerate(roles, start=1)]


def test_every_structure_has_rules_and_a_valid_example():
    assert set(STRUCTURES) == set(Structure.values)
    for structure, roles in VALID_ROLES.items():
        assert problems_for_roles(structure, members(*roles)) == [], structure


@pytest.mark.parametrize(
    ("structure", "roles", "expected"),
    [
        # Consortium: at least 2 active participants, exactly one lead.
        (
            Structure.CONSORTIUM,
            [Role.LEAD],
            ["A consortium needs at least 2 active participants; it has 1."],
        ),
        (
            Structure.CONSORTIUM,
            [Role.MEMBER, Role.MEMBER],
            ["A consortium needs exactly one lead; it has none."],
        ),
        (
            Structure.CONSORTIUM,
            [Role.LEAD, Role.LEAD],
            ["A consortium needs exactly one lead; it has 2: Org 1 and Org 2."],
        ),
        # Collaborative partnership: at least 2 partners, at most one convenor.
        (
            Structure.COLLABORATIVE_PARTNERSHIP,
            [Role.PARTNER, Role.CONVENOR],
            ["A collaborative partnership needs at least 2 partners; it has 1."],
        ),
        (
            Structure.COLLABORATIVE_PARTNERSHIP,
            [Role.PARTNER, Role.PARTNER, Role.CONVENOR, Role.CONVENOR],
            [
                "A collaborative partnership may have at most one convenor; it has 2: "
                "Org 3 and Org 4."
            ],
        ),
        # Mutual structure: at least 2 members, and no lead role at all.
        (
            Structure.MUTUAL,
            [Role.MEMBER],
            ["A mutual structure for social benefit needs at least 2 members; it has 1."],
        ),
        (
            Structure.MUTUAL,
            [Role.LEAD, Role.MEMBER, Role.MEMBER],
            [
                "Org 1 has the role “Lead”, which a mutual structure for social benefit does "
                "not have (Member)."
            ],
        ),
        # Quality network: exactly one coordinator, at least one member.
        (
            Structure.QUALITY_NETWORK,
            [Role.MEMBER, Role.MEMBER],
            ["A quality network needs exactly one coordinator; it has none."],
        ),
        (
            Structure.QUALITY_NETWORK,
            [Role.COORDINATOR],
            ["A quality network needs at least one member; it has none."],
        ),
        # Prime contractor: exactly one prime contractor, at least one commissioning body.
        (
            Structure.PRIME_CONTRACTOR,
            [Role.COMMISSIONING_BODY, Role.SUBCONTRACTOR],
            ["A prime-contractor collaboration needs exactly one prime contractor; it has none."],
        ),
        (
            Structure.PRIME_CONTRACTOR,
            [Role.PRIME_CONTRACTOR, Role.PRIME_CONTRACTOR, Role.COMMISSIONING_BODY],
            [
                "A prime-contractor collaboration needs exactly one prime contractor; it has 2: "
                "Org 1 and Org 2."
            ],
        ),
        (
            Structure.PRIME_CONTRACTOR,
            [Role.PRIME_CONTRACTOR],
            [
                "A prime-contractor collaboration needs at least one commissioning body; it has "
                "none."
            ],
        ),
        # Crowdsourcing: exactly one host, any number of contributors.
        (
            Structure.CROWDSOURCING,
            [Role.CONTRIBUTOR] * 5,
            ["A crowdsourcing collaboration needs exactly one host; it has none."],
        ),
        (
            Structure.CROWDSOURCING,
            [Role.HOST, Role.HOST],
            ["A crowdsourcing collaboration needs exactly one host; it has 2: Org 1 and Org 2."],
        ),
    ],
)
def test_each_broken_rule_is_explained(structure, roles, expected):
    assert problems_for_roles(structure, members(*roles)) == expected


def test_crowdsourcing_needs_no_contributors():
    assert problems_for_roles(Structure.CROWDSOURCING, members(Role.HOST)) == []


def test_several_problems_are_all_listed():
    problems = problems_for_roles(Structure.CONSORTIUM, members(Role.HOST))
    assert problems == [
        "Org 1 has the role “Host”, which a consortium does not have (Lead and Member).",
        "A consortium needs at least 2 active participants; it has 1.",
        "A consortium needs exactly one lead; it has none.",
    ]


def test_role_not_allowed_names_the_allowed_roles():
    assert role_not_allowed_message(Structure.PRIME_CONTRACTOR, Role.MEMBER) == (
        "A prime-contractor collaboration has the roles Commissioning body, Prime contractor and "
        "Subcontractor; “Member” is not one of them."
    )
    assert allowed_roles(Structure.QUALITY_NETWORK) == (Role.COORDINATOR, Role.MEMBER)


@pytest.mark.django_db
def test_only_active_participations_count():
    collaboration = build_collaboration(Structure.CONSORTIUM, [Role.LEAD, Role.MEMBER])
    assert structure_problems(collaboration) == []
    member = collaboration.participations.get(role=Role.MEMBER)
    member.status = Participation.Status.WITHDRAWN
    member.save()
    factories.ParticipationFactory(
        collaboration=collaboration, role=Role.MEMBER, status=Participation.Status.INVITED
    )
    assert structure_problems(collaboration) == [
        "A consortium needs at least 2 active participants; it has 1."
    ]
