"""python manage.py engagement_backtest --from D --to D [--collaboration SLUG] [--bars 150,200]"""

import logging

from django.core.management.base import BaseCommand, CommandError

from agreements.models import Collaboration
from commissioner.backtest import bars_around, engagement_backtest
from commissioner.engagement import policy_in_force
from core.errors import DomainError

from .engagement_scan import scan_date


class Command(BaseCommand):
    help = (
        "Replay the engagement scan as of each past day from --from to --to (writing nothing "
        "that lasts) and print the flags it would have raised, the flaps, and which partners "
        "went silent with or without a warning before; and the same at other bars for drifting."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--collaboration", default=None, help="a collaboration's slug")
        parser.add_argument(
            "--bars",
            default=None,
            help="drift evidence bars to compare, comma-separated (default: 0.75 to 2 times the "
            "policy's)",
        )

    def handle(self, *args, date_from, date_to, collaboration, bars, **options):
        collaboration_ids = None
        found = None
        if collaboration:
            found = Collaboration.objects.filter(slug=collaboration).first()
            if found is None:
                raise CommandError(f"No collaboration {collaboration!r}")
            collaboration_ids = [found.pk]
        compared = (
            _bars(bars)
            if bars
            else bars_around(policy_in_force(collaboration=found)[0].drift_evidence)
        )
        # The day-by-day scans log a line each: the table below is what this command says.
        logging.getLogger("commissioner").setLevel(logging.WARNING)
        try:
            result = engagement_backtest(
                date_from=scan_date(date_from),
                date_to=scan_date(date_to),
                collaboration_ids=collaboration_ids,
                bars=compared,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        write = self.stdout.write
        write(
            f"Backtest {result.date_from} to {result.date_to}: {result.participations} "
            f"participations, {len(result.flags)} flags raised, {result.flaps} flaps; "
            f"{len(result.silent)} went silent, {result.silent_warned} of them warned before; "
            f"{result.flagged_in_touch} flagged had not gone silent by the end."
        )
        for flag in result.flags:
            closed = flag.closed_on.isoformat() if flag.closed_on else "still open"
            write(
                f"  {flag.raised_on}  {flag.state:<10}  {flag.organisation} — "
                f"{flag.collaboration} (closed: {closed})"
            )
        for partner in result.silent:
            warned = f"warned {partner.warned_on}" if partner.warned_on else "NOT warned"
            write(
                f"  silent since {partner.last_heard}: {partner.organisation} — "
                f"{partner.collaboration} ({warned})"
            )
        write("At other bars for drifting (the policy's drift evidence), the same days:")
        write("  bar  partners flagged  flaps  silent, warned before  flagged, not gone silent")
        for trial in result.bars:
            warned = f"{trial.silent_warned} of {len(result.silent)}"
            write(
                f"  {trial.bar:>4}  {trial.flagged:>15}  {trial.flaps:>5}  {warned:>21}  "
                f"{trial.flagged_in_touch:>24}"
            )


def _bars(text: str) -> list[int]:
    """Whole numbers from 1 to 5000 (the policy's range), at most ten."""
    try:
        bars = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise CommandError("--bars: whole numbers separated by commas") from error
    if not bars or len(bars) > 10 or not all(1 <= bar <= 5000 for bar in bars):
        raise CommandError("--bars: one to ten whole numbers from 1 to 5000")
    return bars
