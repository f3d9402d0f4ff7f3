import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from benchmarks.scale import PORTFOLIO_SIZE, SCALE_PASSWORD, Plan, ScaleSeeder, reset_domain


class Command(BaseCommand):
    help = (
        "Fill PostgreSQL with national-scale benchmark data: F=1 is 10,000 organisations, "
        "20,000 collaborations, 200,000 participations, 1,000,000 attendance rows, 150,000 "
        "obligations and 5,000,000 activity rows; F=0.1 a tenth of that."
    )

    def add_arguments(self, parser):
        parser.add_argument("--factor", type=float, default=0.1, help="size factor (default 0.1)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (reproducible data)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="empty the organisations, collaborations, commissioner tables and users first",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, factor, seed, reset, no_progress, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_scale writes with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL "
                "database (e.g. postgres://postgres@127.0.0.1:5432/collabhub_bench)."
            )
        try:
            plan = Plan.for_factor(factor)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if reset:
            reset_domain()

        def progress(table: str, total: int):
            if no_progress:
                return None
            return tqdm(total=total, desc=f"{table:<34}", unit=" rows", file=self.stderr._out)

        started = time.perf_counter()
        seeder = ScaleSeeder(plan, seed=seed, progress=progress)
        counts = seeder.run()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded F={factor:g} in {elapsed:.0f} s:"))
        for name, count in counts.items():
            self.stdout.write(f"  {count:>10,} {name}")
        self.stdout.write(
            f"Logins (password {SCALE_PASSWORD}): scale.commissioner{seeder.first_user} "
            f"(a portfolio of {PORTFOLIO_SIZE} collaborations), scale.staff{seeder.staff_ids[0]}."
        )
