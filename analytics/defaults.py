"""What the default views read, defined once: the pages (web/), the REST API's range rules
and the post-sync cache warm-up (analytics.cache) all use these."""

from datetime import date

DEFAULT_RANGE_DAYS = 30
PRESET_RANGES = (7, 30, 90)
MAX_RANGE_DAYS = 366
EARLIEST_DAY = date(2023, 1, 1)

MEMBER_DEFAULT_SORT = "-active_days"
PAGE_SIZE = 50
