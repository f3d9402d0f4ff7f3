import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from core.scheduling import beat_schedule_sync, run_due_tasks


class Command(BaseCommand):
    help = (
        "Run periodic jobs in-process (the embedded default, without Redis): checks every "
        "--tick seconds and runs each due task. With Redis, use celery beat instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=int, default=30, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args, tick, once, **options):
        beat_schedule_sync()
        self.stdout.write("Scheduler running periodic jobs in-process.")
        while True:
            close_old_connections()
            for name in run_due_tasks():
                self.stdout.write(f"ran {name}")
            if once:
                return
            time.sleep(tick)
