"""PostgreSQL connections are opened without JIT compilation (docs/performance.md, "JIT off for
web connections"): the portfolio's plan cost crossed jit_above_cost and compiling took longer
than running it."""

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL connection option")
def test_connections_run_without_jit():
    assert "-c jit=off" in settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
