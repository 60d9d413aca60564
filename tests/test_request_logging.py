"""Finding 6: a 403 is logged once, as one line without a traceback; a 500 keeps its traceback."""

import logging

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def root_records():
    handler = Records()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


def test_djangos_own_handlers_are_gone_so_nothing_is_printed_twice():
    assert logging.getLogger("django").handlers == []
    assert django_settings.LOGGING["loggers"]["django"]["handlers"] == []


@pytest.mark.parametrize("path", ["/ai-analytics/spend/", "/api/v1/orgs/acme/spend"])
def test_a_403_is_one_line_without_traceback(member_client, root_records, path, settings):
    settings.DEBUG = True  # Django's console handler printed it a second time in DEBUG
    response = member_client.get(path)
    assert response.status_code == 403
    forbidden = [r for r in root_records if r.name == "django.request"]
    assert len(forbidden) == 1, [r.getMessage() for r in forbidden]
    assert forbidden[0].levelno == logging.WARNING
    assert forbidden[0].exc_info is None


def test_a_500_keeps_its_traceback(root_records):
    from koalr.log_filters import ClientErrorsWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal", (), sys.exc_info()
        )
    record.status_code = 500
    assert ClientErrorsWithoutTraceback().filter(record)
    assert record.exc_info is not None
