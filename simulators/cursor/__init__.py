"""Cursor API simulator: a real HTTP server (stdlib `ThreadingHTTPServer`) serving Cursor's Admin,
Analytics and AI Code Tracking APIs from deterministic generated data, for tests, demos and benchmarks.
It follows the API reference in docs/cursor-api.md, serving today's response shapes by default (the
older ones with `legacy_shapes`). A test double: it imports nothing of the product, not even
Django, and keeps everything in memory.

Python interface
----------------
    from simulators.cursor import CursorSimulator, SimTeam

    sim = CursorSimulator(rate_limits=True, rate_window_seconds=60.0, clock=None)  # one server, many teams
    team = sim.add_team(api_key=None, seats=50, days=60, seed=1, plan="enterprise", now=None)
    base_url = sim.start(host="127.0.0.1", port=0)   # daemon thread; "http://127.0.0.1:PORT"
    sim.stop()                                         # also usable as a context manager

Time is injected: a team's clock is the `now` it was added with (aware UTC), else `sim.clock()`,
a zero-argument callable returning an aware datetime (default: the wall clock). Nothing else in
the simulator reads today's date; only rate-limit windows and `X-RateLimit-Reset` use real time.

Simulator settings (all settable at runtime): `sim.base_url`, `sim.clock`, `sim.rate_limits`,
`sim.rate_window_seconds`, `sim.set_limits({"admin": 20, "usage_events": 60, "analytics_team": 100,
"by_user": 50, "ai_code": 20})` (per window; ai_code counts per endpoint), `sim.limits`,
`sim.reset_limits()`, `sim.retry_after_header` (False: natural 429s carry no `Retry-After`, like the
real API), `sim.rate_limit_reset_header` (`X-RateLimit-Reset`, epoch seconds), `sim.accept_bearer`
(False), `sim.remove_team(team)`, `sim.request_log` (recent (time, team_id, family, path, status)).

Team (`SimTeam`) attributes: `api_key` (None -> "crsr_" + 64 alnum; `key_…` keys work too),
`team_id` (int), `plan`, `seed`, `seats`, `days`, `domain`, `now` (aware UTC; settable to move
the clock, the roster stays fixed), `now_ms`, `first_day`/`last_day` (data window: `days` calendar
days including today, truncated at `now`), `cycle_start` (aware datetime, 00:00 UTC on the team's
billing day of month, within the last 31 days), `request_log` (list of (monotonic time, family,
path, status) for every authenticated request), `faults`.

Ground truth, exactly what the API serves (current shapes unless `legacy_shapes`):
    team.members()                                   # /teams/members rows, removed included
    team.daily_rows(start_date, end_date, include_inactive=False)  # by user (roster order), then day
    team.usage_events(start_ms, end_ms, email=None)  # inclusive bounds, newest first, identical twins included
    team.spend_rows()                                # current cycle, listed members, roster order
    team.revise_day(day)                             # late events for 1-3 members of a past day
    team.warm(start=None, end=None)                  # generate days now instead of on first request

Switches on a team: `legacy_shapes` (numeric member/spend/daily ids, `kindLabel`, `spendCents` =
total plus `includedSpendCents`, `isFreeBugbot`, events pageSize default 10),
`daily_numeric_user_ids` (None follows legacy_shapes), `enterprise_denied_status` (403, or 401, or
a dict keyed by path or family), `events_max_range_days` (30; None = no cap on events),
`page_size_policy` ("clamp" or "reject" above a documented maximum), `ingest_delay_seconds` (0;
newer events are not visible yet), `rate_limits` (None follows the simulator), `limits` (per-team
overrides) and `group_moves` (email -> billing group name, None for Unassigned, overriding the
deterministic groups of `GET /teams/groups`; Enterprise only, so other plans get the denial).

Data faults (what Cursor's data can get wrong; Koalr's data-quality checks look for each):
    team.drop_day(day)                       # /teams/daily-usage-data serves no rows for that day
    team.drop_events(day)                    # /teams/filtered-usage-events serves none of that day's events
    team.revise_day_after(day, requests=0)   # revise_day(day) once `requests` more requests are answered
    team.add_usage_only_member(email=None)   # active every day, served in events and daily rows,
                                             # absent from /teams/members and /teams/spend
    team.skew_spend(email, cents)            # /teams/spend totals disagree with the member's events
    team.apply_data_faults({"drop_days": [...], "drop_event_days": [...], "revise_days": [{"day": ..., "after_requests": n}],
                            "usage_only_emails": [...], "spend_skew": {email|"owner": cents},
                            "malformed_events": k})   # from plain data (the command's flags)
Ground truth (`members()`, `daily_rows()`, `usage_events()`, `spend_rows()`) includes every data fault.

Faults (`team.faults`, thread-safe, immediate; every method takes `path=None`, exact or prefix*):
    rate_limit_storm(n, retry_after=True, reset_header=False)  # next n requests 429
    fail_on_call(n, status=500)      # the n-th request from now answers `status` (standard body)
    fail_next(k, status=503)         # the next k requests answer `status`
    slow_seconds = 0.0               # sleep before answering (slow_path limits it to one path)
    malformed_json_next(k)           # next k 200 answers: truncated invalid JSON
    rate_limit_storm_seconds(n, seconds)  # next n requests 429 with `Retry-After: <seconds>`
    pause_at(path=None, after=0)     # hold the request after `after` matching ones (and later ones)
                                     # until pause.release(); pause.wait_reached(timeout) waits for it
    apply({"storm": {...}, "fail_next": {...}, "fail_on_call": {...}, "slow": {...}})  # from data
    malformed_record_next(k)         # next k 200 answers: one EXTRA broken record at the head of the
                                     # list (event timestamp "not-a-number", member/spend without
                                     # email, daily row without email and a string date, ...)
    reset()
Faulted requests are not counted by the rate limiter; 304s are not counted either.

Request order: auth (401) -> route (404) -> pause point -> faults -> plan gate (403/401) -> ETag/304 (Analytics and
AI code only) -> rate limit (429) -> validation (400) -> 200.

Data (deterministic)
--------------------
The roster is drawn from (seed, seats, days, creation day): `seats` listed members (one owner, two
admins, the rest members; ~5% removed but still listed with `isRemoved: true`; ~8% idle for the last
14-45 days; ~6% heavy users; ~6% joined during the window) plus two unlisted ex-members who appear in
usage data only. Emails are `first.last@<domain>`, ids `"user_" + 24 alnum`. Each (member, UTC day)
is drawn from Random(seed, member index, day ordinal) alone, so a day never depends on `now` or the
order of generation (except truncation at `now` and the `days` window). Days are generated lazily,
cached as one JSON blob per day (about 190 MB for 1,000 seats x 30 days, ~445k events).

Definitions the sync tests can rely on, per member per UTC day, over ALL served events (the list
has a few genuinely identical events, same content and timestamp; they are real requests, counted
in daily rows and spend, so a client must keep both copies):
  * `subscriptionIncludedReqs + usageBasedReqs + apiKeyReqs` == number of events, where
    usageBasedReqs counts kind "Usage-based", apiKeyReqs "User API Key", and subscriptionIncludedReqs
    everything else ("Included in Business", "Free", "Errored, Not Charged").
  * `agentRequests + chatRequests + composerRequests + cmdkUsages` == number of events: every event
    is one of those four request types. Tab completions are not usage events; they only appear as
    `totalTabsShown`/`totalTabsAccepted` (and the Analytics tabs metric).
  * `mostUsedModel` is the most frequent event model (ties: alphabetically first); `isActive` is
    true iff the member has at least one event that day. Unpaginated daily usage returns active rows
    only; paginated mode adds zero rows (`isActive: false`, null strings) for every day a person was
    a member (ex-members included while they were members), paginated by user.
  * Spend covers listed members (removed included, ex-members not): `overallSpendCents` = sum of the
    member's `chargedCents` since `cycle_start`, `spendCents` = the same over kind "Usage-based",
    `fastPremiumRequests` = count of "Usage-based" events. Amounts are exact to 1e-4 cent.
  * `chargedCents` = `tokenUsage.totalCents` + `cursorTokenFee` (fee on third-party models only);
    0 for "Free", "Errored, Not Charged", "User API Key" and non-token included calls.
  * Analytics: `dau` == active daily rows that day; `models` messages == events; `tabs` and
    `agent-edits` sum the daily rows' tab and apply counters.
"""

from .faults import Faults
from .server import DEFAULT_LIMITS, CursorSimulator
from .team import SimTeam, generate_api_key

__all__ = ["DEFAULT_LIMITS", "CursorSimulator", "Faults", "SimTeam", "generate_api_key"]
