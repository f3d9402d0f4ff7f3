"""Shared goals: created and edited by the collaboration's managers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core import fields
from core.bounds import check_date
from core.errors import DomainError
from core.locking import copy_row, lock
from core.translated import version_names, versions_of
from core.versioning import check_version

from ..models import (
    Collaboration,
    SharedGoal,
)
from .common import (
    _clean_texts,
    _lock_collaboration,
    _require_manager,
    _require_not_final,
    _stamp,
)

# Written in each language (agreements/translation.py): given as their versions (`title_en`,
# `title_fr`), or without a language (`title`) for the version in the caller's language.
GOAL_TEXTS = ("title", "indicator")
GOAL_FIELDS = (
    *version_names("title"),
    *version_names("indicator"),
    "unit",
    "baseline",
    "target",
    "target_date",
    "cadence",
)


def _clean_goal(values: dict) -> dict:
    baseline = fields.amount(SharedGoal, "baseline", values.get("baseline"))
    target = fields.amount(SharedGoal, "target", values.get("target"))
    if target == baseline:
        raise DomainError(
            _("The target must differ from the baseline, or there is no progress to measure."),
            field="target",
        )
    check_date(values.get("target_date"), field="target_date")
    cadence = values.get("cadence") or ""
    if cadence not in SharedGoal.Cadence.values:
        raise DomainError(_("Choose how often progress is reported."), field="cadence")
    return {
        **_clean_texts(SharedGoal, GOAL_TEXTS, values),
        "unit": fields.text(SharedGoal, "unit", values.get("unit")),
        "baseline": baseline,
        "target": target,
        "target_date": values.get("target_date"),
        "cadence": cadence,
    }


@transaction.atomic
def goal_create(
    *,
    actor,
    collaboration: Collaboration,
    unit: str,
    target,
    title: str = "",
    indicator: str = "",
    baseline=Decimal("0"),
    target_date: dt.date | None = None,
    cadence: str = SharedGoal.Cadence.QUARTERLY,
    **versions: str,
) -> SharedGoal:
    """A goal of `collaboration`. Title and indicator: `title` is the version in the caller's
    language; `versions` gives any language's by name (`title_en=`, `title_fr=`), which wins."""
    unknown = set(versions) - {v for name in GOAL_TEXTS for v in version_names(name)}
    if unknown:
        raise TypeError(f"goal_create() got unexpected arguments {sorted(unknown)}")
    collaboration = _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    texts = versions_of(
        {
            **({"title": title} if title else {}),
            **({"indicator": indicator} if indicator else {}),
            **versions,
        },
        GOAL_TEXTS,
    )
    values = _clean_goal(
        {
            **texts,
            "unit": unit,
            "baseline": baseline,
            "target": target,
            "target_date": target_date,
            "cadence": cadence,
        }
    )
    goal = SharedGoal(collaboration=collaboration, **values)
    _stamp(goal, actor)
    goal.save()
    return goal


@transaction.atomic
def goal_update(
    *, actor, goal: SharedGoal, expected_version: str | None = None, **changes
) -> SharedGoal:
    unknown = set(changes) - set(GOAL_FIELDS) - set(GOAL_TEXTS)
    if unknown:
        raise TypeError(f"goal_update() got unexpected fields {sorted(unknown)}")
    changes = {
        **{name: value for name, value in changes.items() if name not in GOAL_TEXTS},
        **versions_of(changes, GOAL_TEXTS),
    }
    collaboration = _lock_collaboration(goal.collaboration_id)
    caller_copy, goal = goal, lock(SharedGoal, goal.pk)
    goal.collaboration = collaboration
    _require_manager(actor, collaboration)
    check_version(goal, expected_version)
    _require_not_final(collaboration)
    current = {name: getattr(goal, name) for name in GOAL_FIELDS}
    values = _clean_goal({**current, **changes})
    for name, value in values.items():
        setattr(goal, name, value)
    _stamp(goal, actor)
    # The original text columns follow their versions (core/translated.py).
    goal.save(update_fields=[*values, *GOAL_TEXTS])
    return copy_row(caller_copy, goal)
