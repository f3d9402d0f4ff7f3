"""python manage.py engagement_backtest --from D --to D [--collaboration SLUG]"""

import logging

from django.core.management.base import BaseCommand, CommandError

from agreements.models import Collaboration
from commissioner.backtest import engagement_backtest
from core.errors import DomainError

from .engagement_scan import scan_date


class Command(BaseCommand):
    help = (
        "Replay the engagement scan as of each past day from --from to --to (writing nothing "
        "that lasts) and print the flags it would have raised, the flaps, and which partners "
        "went silent with or without a warning before."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--collaboration", default=None, help="a collaboration's slug")

    def handle(self, *args, date_from, date_to, collaboration, **options):
        collaboration_ids = None
        if collaboration:
            found = Collaboration.objects.filter(slug=collaboration).values_list("pk", flat=True)
            if not found:
                raise CommandError(f"No collaboration {collaboration!r}")
            collaboration_ids = list(found)
        # The day-by-day scans log a line each: the table below is what this command says.
        logging.getLogger("commissioner").setLevel(logging.WARNING)
        try:
            result = engagement_backtest(
                date_from=scan_date(date_from),
                date_to=scan_date(date_to),
                collaboration_ids=collaboration_ids,
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
