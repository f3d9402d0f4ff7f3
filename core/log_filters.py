"""Logging filters: a refused request (403) is an expected event, logged as one line."""

import logging

from django.core.exceptions import PermissionDenied


class RefusedRequestOneLine(logging.Filter):
    """Django logs "Forbidden (Permission denied): /path" with the PermissionDenied's traceback;
    a refusal is not a fault, so the line keeps the reason and drops the traceback (which would
    bury real errors in the logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied):
            reason = str(exc_info[1])
            record.msg = f"{record.getMessage()}{f' — {reason}' if reason else ''}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
