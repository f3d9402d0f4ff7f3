"""axe-core (npm, tests/a11y/) in a real page: every WCAG 2.1 A/AA violation, whatever its impact.

The one accessibility check of the suite: tests/trust, tests/partners, tests/agreements and
tests/commissioner all call `axe_violations` / `axe_problems`, so no page is held to a weaker
standard than another. axe's source is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so pages are checked under their real policy."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def require_axe() -> None:
    """A missing axe-core is a broken set-up, never a reason to skip the check."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci --prefix tests/a11y)")


def axe_violations(page) -> list[dict]:
    """Every violation of the WCAG 2.1 A and AA rules on the current page (all impacts:
    minor, moderate, serious and critical)."""
    require_axe()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }""",
        WCAG_TAGS,
    )


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {node}" for node in violation["nodes"][:5]]
    return "\n".join(lines)


def axe_problems(page) -> list[str]:
    """One line per violation (`rule-id (impact): help`), for `assert not axe_problems(page)`."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0] if v['nodes'] else ''}"
        for v in axe_violations(page)
    ]
