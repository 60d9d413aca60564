"""Claude Code simulator: a real HTTP server (stdlib `ThreadingHTTPServer`) serving the Anthropic
endpoints Koalr syncs Claude Code usage from, per docs/claude-code-api.md, from deterministic
generated data. A test double: it imports nothing of the product, not even Django (only
`simulators.cursor`'s roster, so people are shared with the Cursor simulator).

Python interface
----------------
    from simulators.claude_code import ClaudeCodeSimulator

    sim = ClaudeCodeSimulator(clock=None, now=None, seed=1, users=20, days=90, cursor_seats=None,
                              rate_limits=True, rate_window_seconds=60.0, default_orgs=True)
    sim.start(host="127.0.0.1", port=0)   # daemon thread; returns sim.url, "http://127.0.0.1:PORT"
    sim.admin_key, sim.console            # default Console org and its Admin key (sk-ant-admin01-…)
    sim.enterprise_key, sim.enterprise    # default Enterprise org, key sk-ant-api01-… (read:analytics, read:members)
    org = sim.add_org("console" | "enterprise", seed=1, users=20, days=90, now=None, admin_key=None,
                      api_key=None, enterprise_key=None, scopes=None, cursor_seats=None,
                      shared_fraction=0.7, api_actors=2)
    sim.add_key(org, "admin" | "api" | "enterprise", key=None, scopes=None); org.revoke_key(key)
    sim.remove_org(org); sim.stop()       # also a context manager

Time is injected: an org's clock is the `now` it was added with (aware UTC), else `sim.clock()`
(`now=` on the constructor fixes it). `org.now` is settable to move time forward; the people stay
fixed. Nothing else reads today's date; only rate-limit windows use real time.

Endpoints (all GET; headers `x-api-key` and `anthropic-version`, a missing version is a 400)
---------------------------------------------------------------------------------------------
  /v1/organizations/usage_report/claude_code   Admin key. `starting_at=YYYY-MM-DD` (one UTC day),
        `limit` 1-1000 (20), `page`. `{data, has_more, next_page}`; records as in §3.2: `date` an
        RFC 3339 midnight, actor `user_actor`/`api_actor`, `is_remote`, `customer_type`,
        `subscription_type`, `terminal_type`, core_metrics, open `tool_actions` map (tools with
        proposals only), `model_breakdown` with integer-cent `estimated_cost`. The cursor keeps the
        first page's moment, so a pagination session reads one data boundary. Rows ordered by
        actor (emails, then API-key names), then is_remote.
  /v1/organizations/users                      Admin key, or an Enterprise key with read:members.
        `limit` (20), `after_id`, `before_id`, `email`, `roles[]`; `{data, first_id, last_id, has_more}`,
        ordered by added_at.
  /v1/organizations/analytics/users            Enterprise key with read:analytics. `date` or
        `starting_date`/`ending_date` (exclusive), `limit` (100), `page`, `filter[]=user_id:…`.
        `{data, next_page}` sorted by email; `claude_code_metrics` with the §5.4 names.
  /v1/organizations/analytics/user_cost_report, /user_usage_report   read:analytics. `starting_at`,
        `ending_at`, `bucket_width=1d` (1h/1m: a 400 saying the simulator lacks them), `products[]`,
        `models[]`, `user_ids[]`, `group_by[]` (model, product; other documented values: a 400),
        `order_by`, `order`, `limit` (20), `page`. `{data, data_refreshed_at, has_more, next_page,
        organization_id}`; `amount`/`list_amount` decimal strings in cents ("41280.000000").
  Enterprise cursors are bound to the query (other parameters: 400) and expire with
  `org.expire_cursors()` (410).

Keys and errors (body `{"type":"error","error":{"type","message"},"request_id"}`, header `request-id`)
  unknown/missing key 401 authentication_error; a standard Console key (sk-ant-api03-, `org.api_key`)
  on the Admin API 403 permission_error; an Admin key on Enterprise Analytics 403; an Enterprise key
  on the Claude Code report, or without the needed scope, 403 naming its scopes and the one needed;
  `org.api_access_enabled = False` 403 (`org.api_disabled_status`) on Analytics; unknown path 404; bad parameters 400.

Simulator settings: `sim.rate_limits`, `sim.rate_window_seconds`, `sim.set_limits({"enterprise": 60,
"admin": None})` (per org per window; Enterprise's 60/min is documented, the Admin API's limits are
not, so none by default), `sim.reset_limits()`, `sim.retry_after_header` (True),
`sim.require_version_header` (True), `sim.request_log`; per org `org.rate_limits`, `org.limits`,
`org.request_log` ((time, path, query, status)).

Faults (`org.faults`, thread-safe; every method takes `path=None`, exact or prefix*):
    rate_limit_storm(n, retry_after=1)   # next n requests 429 rate_limit_error (+ retry-after)
    overloaded_next(k)                   # next k requests 529 overloaded_error
    fail_next(k, status=500)             # next k requests answer status (500, 502, 503, 504 ...)
    fail_on_call(n, status=500)          # the n-th request from now answers status
    slow_seconds / slow_path             # sleep before answering
    malformed_json_next(k)               # next k 200 answers truncated
    malformed_record_next(k)             # next k 200 answers: one broken record heads `data`
    reset()
Request order: key (401) -> anthropic-version (400) -> route (404) -> key type/scope (403) ->
faults -> rate limit (429) -> validation (400) -> 200.

Choices where the reference is unsure (docs/claude-code-api.md §7), default first:
  org.serve_subscription_rows = False  # §3.4: subscription-seat users never appear (True: they do,
                                       #   customer_type "subscription", subscription_type team/enterprise)
  org.split_by_terminal = False        # one row per (actor, is_remote); True: also per terminal_type
  org.serve_is_remote = True           # False: the pre-2026 shape, no field and no remote rows
  org.omit_null_subscription_type = False   # True: the key is absent instead of null
  org.extra_tool_names = ()            # e.g. ("bash_tool",): extra keys in the open tool_actions map
  org.accept_ending_at = False         # True: the report also takes `ending_at` (exclusive, <= 31 days)
                                       #   and lists those days in one pagination (third-party OpenAPI)
  org.fractional_estimated_cost = False  # True: `estimated_cost.amount` a number with 2 decimals
  org.freshness_seconds = 3600         # only data older than 1 hour
  org.console_earliest_day = None      # no earliest date documented: the data window
  org.engagement_lag_hours = 34        # DOC: day N at 10:00 UTC on N+1; SUP: 106 (3 days later)
  org.engagement_max_span_days = 366   # SUP: 90;  org.engagement_lookback_days = None (SUP: 90)
  org.users_default_limit = 100        # SUP: 20
  org.users_include_inactive = False   # True: zero rows for every seat in range
  org.earliest_enterprise_day = 2026-01-01; org.cost_lag_seconds = 4 h; org.cost_max_age_days = 365;
  org.cost_max_span_days = 31; org.api_access_enabled = True; org.api_disabled_status = 403

Data (deterministic)
--------------------
People come from `simulators.cursor.roster.build_roster(seed, cursor_seats or users, ...)`: a
deterministic ~70% (`shared_fraction`) of its current members keep their email and name, so a
Cursor team with the same seed and seats shares them (`org.shared_emails()`); the rest are
Claude-only people on the same domain. A Console org also has one unlisted ex-member (usage, not
the users list), `api_actors` API keys ("ci-review-bot" works remotely, "nightly-refactor" locally),
~15% subscription-seat users (missing from the report by default), a few idle people and a few who
never use Claude Code. Each (person, UTC day) is drawn from Random(seed, person, day) alone.

Revised days: every session becomes visible at its end plus an ingestion delay (5-55 min; ~7% of
sessions 3-60 h late), so today's, yesterday's and the day before's figures grow as `org.now`
moves; `org.revise_day(day)` adds late sessions for 1-3 people at once. The Enterprise cost reports
add `cost_lag_seconds`; `/analytics/users` shows day N only after `engagement_lag_hours`.

Money: list price per token per model (generate.PRICES, micro-cents); the report's
`estimated_cost.amount` is the row's model list price rounded half up to whole cents; Enterprise
`list_amount` is exact and `amount` is 80% of it, floored to 1e-6 cent, summed per session.

Ground truth (exactly what is served at the org's `now`):
    org.report_rows(day, as_of=None)        # every Claude Code report record of the day, served order
    org.actor_day(actor, day)               # email or API-key name: local+remote summed; sessions,
                                            #   lines_added/removed, commits, pull_requests,
                                            #   tool_actions, models{model: tokens + cost_cents}, cost_cents
    org.model_day(actor, day, model)        # {input, output, cache_read, cache_creation, cost_cents}
    org.users_list()                        # users list rows, all pages
    org.missing_from_usage(start, end)      # listed emails never in the report (the known gap)
    org.engagement_rows(start, end_excl)    # /analytics/users rows
    org.cost_rows(starting_at, ending_at, bucket_width="1d", products=None, models=None,
                  user_ids=None, group_by=())   # /analytics/user_cost_report rows, all pages
    org.usage_rows(...)                     # /analytics/user_usage_report rows
    org.people, org.person(ref), org.shared_emails(), org.first_day, org.warm()
"""

from .faults import Faults
from .org import SimOrg, generate_admin_key, generate_api_key, generate_enterprise_key
from .server import DEFAULT_LIMITS, ClaudeCodeSimulator

__all__ = [
    "DEFAULT_LIMITS",
    "ClaudeCodeSimulator",
    "Faults",
    "SimOrg",
    "generate_admin_key",
    "generate_api_key",
    "generate_enterprise_key",
]
