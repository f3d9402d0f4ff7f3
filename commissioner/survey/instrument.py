"""The default instrument: six partnership principles (after the Partnership Assessment Tool's),
each with statements in CollabHub's own wording. Stored in English and translated when shown
(gettext_noop marks them for the catalogue)."""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

DEFAULT_CODE = "partnership-health"
DEFAULT_TITLE = N_("Partnership health check")
DEFAULT_DESCRIPTION = N_(
    "Each partner says how far it agrees with these statements about the partnership, from 1 "
    "(strongly disagree) to 5 (strongly agree), or that it does not know."
)

# (code, title, statements): codes are stable across versions, so rounds compare.
DEFAULT_PRINCIPLES: list[tuple[str, str, list[str]]] = [
    (
        "need",
        N_("Recognising the need for the partnership"),
        [
            N_("Our organisation could not reach these outcomes as well on its own."),
            N_("The partners agree on why working together is worth the effort."),
            N_("The reasons for the partnership still hold today."),
        ],
    ),
    (
        "purpose",
        N_("Clarity and realism of purpose"),
        [
            N_("The partnership's aims are written down and understood by every partner."),
            N_("The aims are achievable with the time and money the partners have."),
            N_("Each partner can say what it expects to gain from the partnership."),
            N_("The shared goals are specific enough to tell whether they were met."),
        ],
    ),
    (
        "commitment",
        N_("Commitment and ownership"),
        [
            N_("Our senior leaders actively support the partnership."),
            N_("Partners deliver what they promised, on time."),
            N_("The people who come to meetings can commit their organisation."),
            N_("The partnership is part of our organisation's plans, not an extra."),
        ],
    ),
    (
        "trust",
        N_("Trust"),
        [
            N_("Partners share information openly, including bad news."),
            N_("Our organisation's views are listened to and taken into account."),
            N_("I trust the other partners to act in the partnership's interest."),
            N_("Disagreements are raised and worked through rather than avoided."),
        ],
    ),
    (
        "arrangements",
        N_("Clear and robust arrangements"),
        [
            N_("Who decides what, and how, is clear to every partner."),
            N_("Roles and responsibilities are agreed and written down."),
            N_("The arrangements are simple enough not to slow the work down."),
        ],
    ),
    (
        "learning",
        N_("Monitoring, measuring and learning"),
        [
            N_("Progress towards the shared goals is measured regularly."),
            N_("The partners review how the partnership itself is working."),
            N_("Lessons learnt lead to changes in how the partners work together."),
        ],
    ),
]

# How a reason names a principle ("rated trust 2.0 of 5 ...").
PRINCIPLE_NAMES = {
    "need": N_("the need for the partnership"),
    "purpose": N_("purpose"),
    "commitment": N_("commitment"),
    "trust": N_("trust"),
    "arrangements": N_("arrangements"),
    "learning": N_("monitoring and learning"),
}
