"""Values kept in the shared cache while the data they were computed from is unchanged: the
relationship map's graph and the national portfolio's totals. Keyed by the data version, so a
recorded change makes a new key; the timeout is a backstop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection

from agreements.models import Collaboration, Participation
from partners.models import Organisation

logger = logging.getLogger(__name__)


def data_version() -> str:
    """Changes whenever an organisation, collaboration or participation is recorded as changed
    (every change to them is kept in the audit history): one query."""
    tables = [
        connection.ops.quote_name(model.history.model._meta.db_table)
        for model in (Organisation, Collaboration, Participation)
    ]
    maxima = ", ".join(f"(SELECT MAX(history_id) FROM {table})" for table in tables)  # noqa: S608 - table names from the models
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {maxima}")
        row = cursor.fetchone()
    return "-".join(str(value) for value in row)


def cached(key: str, build: Callable[[], Any], *, seconds: int, what: str) -> Any:
    """The cached value of `key`, built and kept for `seconds` when missing. With the cache down
    (Redis gone) the value is built for this request and the error logged: the page still
    answers."""
    try:
        value = cache.get(key)
    except Exception as error:  # any cache backend's failure (redis, memcached, a file)
        logger.warning("%s not cached: the cache is unavailable (%s)", what, error)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, seconds)
        except Exception as error:  # any cache backend's failure (redis, memcached, a file)
            logger.warning("%s not cached: the cache is unavailable (%s)", what, error)
    return value
