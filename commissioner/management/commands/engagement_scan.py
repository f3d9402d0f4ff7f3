import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from commissioner.services import engagement_scan


def scan_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Score every active participation now (the daily Celery job does the same): snapshots, "
        "flags and the commissioners' digests. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=str, default=None, help="scan date YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, date, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        result = engagement_scan(scan_date=scan_date(date) if date else None, batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(str(result)))
