"""Why a partner lost points, as codes and figures, rendered in the reader's language only when
shown.

The scan stores each reason as `{"code": ..., "figures": {...}}` (snapshots and flags). A figure
that grows by itself every day — days since the last sign of life, days an obligation is
overdue, days an agreement has waited for a signature — is stored as the date it counts from
(`since`), not as a day count, so an open flag whose partner has not changed is not rewritten
every day (issue 18: 38,000 flags were, because "no activity in 63 days" became "... 64 days").
The count is computed when the reason is shown, as of the snapshot's scan date or, for an open
flag, today.

Texts stored by earlier versions (plain strings) are shown as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

# Reasons whose `days` grow by one every day while nothing changes: stored as `since`.
GROWING = frozenset({"obligations", "recency", "signatures", "trend_silence"})


def coded(code: str, **figures) -> dict:
    return {"code": code, "figures": figures}


def anchored(reasons: Iterable[dict | str], on: dt.date) -> list:
    """The reasons as stored: every growing day count replaced by the date it counts from."""
    stored = []
    for reason in reasons:
        if isinstance(reason, dict) and reason["code"] in GROWING and "days" in reason["figures"]:
            figures = dict(reason["figures"])
            days = figures.pop("days")
            figures["since"] = (on - dt.timedelta(days=days)).isoformat() if days else None
            reason = {"code": reason["code"], "figures": figures}
        stored.append(reason)
    return stored


def _days(figures: dict, as_of: dt.date | None) -> int:
    if "days" in figures:
        return figures["days"]
    since = figures.get("since")
    if not since or as_of is None:
        return 0
    return max(0, (as_of - dt.date.fromisoformat(since)).days)


def render(reason: dict | str, as_of: dt.date | None = None) -> list[str]:
    """The texts of one reason in the active language (a survey reason may give several)."""
    if not isinstance(reason, dict):
        return [str(reason)]
    code, figures = reason["code"], reason.get("figures") or {}
    if code in SIGNAL_FIGURES:
        from .engagement.scoring import _reason_text

        numbers = tuple(
            _days(figures, as_of) if name == "days" else figures.get(name, 0)
            for name in SIGNAL_FIGURES[code]
        )
        return [_reason_text(get_language(), code, numbers)]
    if code == "survey":
        from .survey.signals import survey_reasons

        survey = dict(figures)
        if isinstance(survey.get("last_round_opened_on"), str):
            survey["last_round_opened_on"] = dt.date.fromisoformat(survey["last_round_opened_on"])
        return survey_reasons(survey)
    text = _render_other(code, figures, as_of)
    return [text] if text else []


def render_all(reasons: Iterable[dict | str] | None, as_of: dt.date | None = None) -> list[str]:
    texts: list[str] = []
    for reason in reasons or ():
        texts.extend(render(reason, as_of))
    return texts


def reasons_payload(reasons, as_of: dt.date | None = None) -> list[dict]:
    """{code, text, figures} for each reason (texts stored by earlier versions: code None)."""
    payload = []
    for reason in reasons or ():
        if not isinstance(reason, dict):
            payload.append({"code": None, "text": str(reason), "figures": {}})
            continue
        for text in render(reason, as_of):
            payload.append({"code": reason["code"], "text": text, "figures": reason["figures"]})
    return payload


# The figures each signal's text quotes, in the order engagement._reason_text takes them.
SIGNAL_FIGURES = {
    "attendance": ("missed", "held", "apologies", "in_a_row"),
    "obligations": ("overdue", "days", "late_met", "late_days"),
    "reporting": ("missing", "expected"),
    "recency": ("days",),
    "signatures": ("pending", "days"),
}


def _render_other(code: str, f: dict, as_of: dt.date | None) -> str:
    if code == "contact_left":
        return _("the named contact left or changed in the last 90 days")
    if code == "single_contact":
        return _("only one active contact at the organisation")
    if code == "partner_withdrew":
        return ngettext(
            "%(count)s other partner withdrew in the last 90 days",
            "%(count)s other partners withdrew in the last 90 days",
            f["count"],
        ) % {"count": f["count"]}
    if code == "trend_evidence":
        return (
            _(
                "its record of recent weeks (signs of life, meetings, reports and obligations "
                "taken together) is over %(times)s times likelier from a partner drifting away "
                "than from its usual self"
            )
            % f
        )
    if code == "trend_evidence_contact_vacant":
        return (
            _(
                "its named contact left in the last 90 days and no one has been named in its "
                "place, and its record of recent weeks (signs of life, meetings, reports and "
                "obligations taken together) is over %(times)s times likelier from a partner "
                "drifting away than from its usual self"
            )
            % f
        )
    # Stored by the scans of December 2026 before a successor's naming counted as a handover.
    if code == "trend_evidence_contact_left":
        return (
            _(
                "its named contact left or changed in the last 90 days, and its record of "
                "recent weeks (signs of life, meetings, reports and obligations taken together) "
                "is over %(times)s times likelier from a partner drifting away than from its "
                "usual self"
            )
            % f
        )
    if code == "trend_attendance":
        return _("attendance fell from %(before)s%% to %(recent)s%% over the last 3 meetings") % f
    if code == "trend_contact":
        return (
            _("signs of life on %(recent)s days in the last %(days)s days, usually about %(usual)s")
            % f
        )
    if code == "trend_silence":
        return _("no sign of life in %(days)s days, usually one every %(gap)s days") % {
            "days": _days(f, as_of),
            "gap": f["gap"],
        }
    if code == "trend_obligation_late":
        return _("obligations now met %(recent)s days late on average, were %(before)s") % f
    if code == "trend_report_delay":
        return (
            _("goal reports now %(recent)s days after the period on average, were %(before)s") % f
        )
    if code == "trend_score":
        return _("score down %(points)s points in %(days)s days") % f
    return ""
