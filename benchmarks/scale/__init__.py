"""National-scale data for benchmarks (`manage.py seed_scale --factor F`): see seeder.py."""

from .copy import copy_rows, next_id, reset_domain, sync_sequences  # noqa: F401
from .data import PORTFOLIO_SIZE, SCALE_PASSWORD, SIZES, Plan  # noqa: F401
from .seeder import ScaleSeeder  # noqa: F401
