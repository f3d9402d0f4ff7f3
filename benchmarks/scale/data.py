"""What the national-scale data set is made of: its sizes, the engagement profiles that shape
each participation, the names and places it draws from, and the plan of one collaboration."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from agreements.models import (
    Collaboration,
    Role,
    Structure,
)
from partners.models import Organisation

# The size of a national deployment, F=1.
SIZES = {
    "organisations": 10_000,
    "collaborations": 20_000,
    "participations": 200_000,
    "attendance": 1_000_000,
    "obligations": 150_000,
    "activities": 5_000_000,
}
# A commissioner looks after this many collaborations, whatever the size of the deployment:
# their pages are bounded by their portfolio, not by the database.
PORTFOLIO_SIZE = 50
# Organisations per staff user with a login.
ORGANISATIONS_PER_STAFF = 5
SCALE_PASSWORD = "collabhub-scale"  # noqa: S105 - benchmark data only, printed by the command
HISTORY_WEEKS = 4

ENGAGED, DRIFTING, DISENGAGED = "engaged", "drifting", "disengaged"
PROFILE_WEIGHTS = {ENGAGED: 0.70, DRIFTING: 0.18, DISENGAGED: 0.12}
# Activities per participation over the year, by profile (about 25 on average).
ACTIVITY_COUNTS = {ENGAGED: 30, DRIFTING: 15, DISENGAGED: 6}
# Chance of being present / sending apologies at a meeting, by profile.
ATTENDANCE_ODDS = {ENGAGED: (0.88, 0.08), DRIFTING: (0.45, 0.15), DISENGAGED: (0.08, 0.05)}
# Chance that a past-due obligation was met, and that a report was made, by profile.
MET_ODDS = {ENGAGED: 0.96, DRIFTING: 0.55, DISENGAGED: 0.12}
REPORT_ODDS = {ENGAGED: 0.95, DRIFTING: 0.5, DISENGAGED: 0.05}
# Days between the latest activity and today, by profile.
QUIET_DAYS = {ENGAGED: (0, 12), DRIFTING: (20, 50), DISENGAGED: (70, 200)}
SCORE_RANGES = {ENGAGED: (70, 98), DRIFTING: (45, 72), DISENGAGED: (12, 42)}

STRUCTURE_WEIGHTS = {
    Structure.CONSORTIUM: 0.22,
    Structure.COLLABORATIVE_PARTNERSHIP: 0.25,
    Structure.MUTUAL: 0.12,
    Structure.QUALITY_NETWORK: 0.14,
    Structure.PRIME_CONTRACTOR: 0.17,
    Structure.CROWDSOURCING: 0.10,
}
STATUS_WEIGHTS = {
    Collaboration.Status.ACTIVE: 0.80,
    Collaboration.Status.FORMING: 0.05,
    Collaboration.Status.PROPOSED: 0.03,
    Collaboration.Status.PAUSED: 0.04,
    Collaboration.Status.CONCLUDED: 0.06,
    Collaboration.Status.DISSOLVED: 0.02,
}
KIND_WEIGHTS = {
    Organisation.Kind.MUNICIPALITY: 0.38,
    Organisation.Kind.REGIONAL_GOVERNMENT: 0.05,
    Organisation.Kind.FIRST_NATION: 0.08,
    Organisation.Kind.PROVINCE: 0.03,
    Organisation.Kind.FEDERAL: 0.04,
    Organisation.Kind.PUBLIC_BODY: 0.07,
    Organisation.Kind.NON_PROFIT: 0.18,
    Organisation.Kind.PRIVATE_FIRM: 0.11,
    Organisation.Kind.ACADEMIC: 0.04,
    Organisation.Kind.OTHER: 0.02,
}
NAME_PATTERNS = {
    Organisation.Kind.MUNICIPALITY: [
        "City of {p}",
        "Town of {p}",
        "Village of {p}",
        "{p} Township",
    ],
    Organisation.Kind.REGIONAL_GOVERNMENT: ["{p} Regional District", "Regional County of {p}"],
    Organisation.Kind.FIRST_NATION: ["{p} First Nation", "{p} Cree Nation", "{p} Métis Council"],
    Organisation.Kind.PROVINCE: ["{p} Ministry of Municipal Affairs", "{p} Ministry of Health"],
    Organisation.Kind.FEDERAL: ["{p} Regional Office, Infrastructure Canada", "{p} Service Canada"],
    Organisation.Kind.PUBLIC_BODY: ["{p} Housing Corporation", "{p} Health Authority"],
    Organisation.Kind.NON_PROFIT: ["{p} Food Bank", "{p} Youth Services", "{p} Transit Society"],
    Organisation.Kind.PRIVATE_FIRM: ["{p} Engineering Ltd.", "{p} Digital Inc.", "{p} Consulting"],
    Organisation.Kind.ACADEMIC: ["{p} College", "University of {p}"],
    Organisation.Kind.OTHER: ["{p} Watershed Council", "{p} Chamber of Commerce"],
}
PLACE_STARTS = [
    "North", "South", "East", "West", "Cedar", "Maple", "Pine", "Birch", "River", "Lake", "Stone",
    "Clear", "Silver", "Red", "Green", "Fox", "Wolf", "Bear", "Eagle", "Elk", "Spruce", "Oak",
    "Willow", "Aspen", "Sun", "Moon", "Hill", "Glen", "Brook", "Fair",
]  # fmt: skip
PLACE_ENDS = [
    "field", "ford", "wood", "view", "dale", "port", "haven", "ridge", "crest", "falls", "mount",
    "bridge", "water", "side", "vale", "bay", "point", "creek", "meadow", "stead",
]  # fmt: skip
REGIONS = [
    "Northern Valley", "Coastal District", "Prairie South", "Lakelands", "Eastern Shore",
    "Highlands", "Treaty 6", "Treaty 9", "Capital Region", "Interior", "Far North", "Delta",
]  # fmt: skip
GIVEN = [
    "Amara",
    "Benoît",
    "Chloe",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Isabelle",
    "Jonah",
    "Kiona",
    "Louis",
    "Maya",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
]
FAMILY = [
    "Okafor",
    "Tremblay",
    "Nakamura",
    "Whitehorse",
    "Petrova",
    "Haddad",
    "Singh",
    "Roy",
    "Martin",
    "Cardinal",
    "Nguyen",
    "Gagnon",
    "Wilson",
    "Bouchard",
    "Lee",
    "Morin",
]
TOPICS = [
    "Regional Transit", "Shared Water Services", "Wildfire Preparedness", "Affordable Housing",
    "Broadband Access", "Youth Employment", "Food Security", "Waste Diversion",
    "Emergency Dispatch",
    "Watershed Stewardship", "Senior Care Network", "Digital Permits", "Road Maintenance",
    "Community Safety", "Language Revitalisation", "Tourism Marketing",
]  # fmt: skip
GOALS = [
    ("Households served", "households served", "households"),
    ("Kilometres maintained", "km of road maintained", "km"),
    ("Response time", "median response time", "minutes"),
    ("Participants trained", "people completing training", "people"),
    ("Tonnes diverted", "waste diverted from landfill", "tonnes"),
]
MEETINGS_PER_YEAR = 5
WEEK = dt.timedelta(days=7)


# The generator -----------------------------------------------------------------------------------


@dataclass
class Part:
    """A participation as the generator remembers it."""

    id: int
    collaboration: int
    organisation: int
    profile: str
    joined_on: dt.date
    active: bool  # status active and the collaboration scanned


@dataclass
class Collab:
    id: int
    status: str
    start: dt.date
    parts: list[Part] = field(default_factory=list)
    goals: list[tuple[int, str]] = field(default_factory=list)  # (goal id, cadence)
    agreements: list[int] = field(default_factory=list)


@dataclass
class Plan:
    factor: float
    organisations: int
    collaborations: int
    participations: int
    attendance: int
    obligations: int
    activities: int

    @classmethod
    def for_factor(cls, factor: float) -> Plan:
        if factor <= 0:
            raise ValueError("the factor must be positive")
        sizes = {name: max(1, round(count * factor)) for name, count in SIZES.items()}
        sizes["organisations"] = max(sizes["organisations"], 20)
        sizes["collaborations"] = max(sizes["collaborations"], 6)
        return cls(factor=factor, **sizes)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _roles(structure: str, count: int, rng: random.Random) -> list[str]:
    """Roles for `count` participants (the lead organisation first) that satisfy the structure."""
    if structure == Structure.CONSORTIUM:
        return [Role.LEAD] + [Role.MEMBER] * (count - 1)
    if structure == Structure.COLLABORATIVE_PARTNERSHIP:
        convenor = count >= 3 and rng.random() < 0.3
        return [Role.PARTNER] * (count - 1) + [Role.CONVENOR if convenor else Role.PARTNER]
    if structure == Structure.MUTUAL:
        return [Role.MEMBER] * count
    if structure == Structure.QUALITY_NETWORK:
        return [Role.COORDINATOR] + [Role.MEMBER] * (count - 1)
    if structure == Structure.PRIME_CONTRACTOR:
        bodies = 1 + (1 if count >= 4 and rng.random() < 0.3 else 0)
        return (
            [Role.COMMISSIONING_BODY] * bodies
            + [Role.PRIME_CONTRACTOR]
            + [Role.SUBCONTRACTOR] * (count - bodies - 1)
        )
    return [Role.HOST] + [Role.CONTRIBUTOR] * (count - 1)
