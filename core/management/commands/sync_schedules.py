from django.core.management.base import BaseCommand

from core.scheduling import beat_schedule_sync


class Command(BaseCommand):
    help = "Load the periodic jobs defined in settings.CELERY_BEAT_SCHEDULE into the database."

    def handle(self, *args, **options):
        for task in beat_schedule_sync():
            self.stdout.write(f"{task.name}: {task.task} ({task.crontab or task.interval})")
