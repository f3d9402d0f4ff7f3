from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Installed outside production only (local, test and bench settings) for `seed_scale`."""

    name = "benchmarks"
    verbose_name = "CollabHub benchmarks"
