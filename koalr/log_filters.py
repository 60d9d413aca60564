"""Logging filters the settings' LOGGING uses."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request (4xx: 403, 404, 405 …) is logged as one line, without the traceback of
    the PermissionDenied or Http404 that produced it; server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
