import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app contributes its own demo story in <app>/demo.py, run in this order (later ones use
# what earlier ones created). Every seed is idempotent: running it twice changes nothing.
DEMO_MODULES = ["partners.demo", "agreements.demo", "commissioner.demo", "commissioner.survey.demo"]


class Command(BaseCommand):
    help = "Load the demo organisations, collaborations and activity (idempotent)."

    def handle(self, *args, **options):
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            with transaction.atomic():
                summary = module.seed()
            if summary:
                self.stdout.write(f"{module_name}: {summary}")
        from partners.demo import DEMO_LOGINS, DEMO_PASSWORD

        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for username, description in DEMO_LOGINS:
            self.stdout.write(f"  {username:<14} {description}")
