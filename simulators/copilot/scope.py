"""A simulated organization or enterprise: its seats, report availability and ground truth.

Everything the API serves is computed from here, and the ground-truth accessors return exactly
what the endpoints serve, so a test can compare a sync with them.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from .faults import Faults
from .generate import ACTIVITY_FIELDS, UserDay, user_day
from .roster import GitHubUser
from .util import daterange, dumps, iso_z, midnight

# docs/copilot-api.md §2.2: enterprise reports from 2025-10-10, organization reports from 2025-12-12,
# both up to one year back.
REPORTS_START = {"org": date(2025, 12, 12), "enterprise": date(2025, 10, 10)}
REPORT_RETENTION_DAYS = 365
# Billing usage: the past 24 months (docs/copilot-api.md §5.1).
BILLING_MONTHS = 24
# Simulator conventions (not GitHub's figures): included allowance per seat and month.
INCLUDED_PREMIUM_REQUESTS = {"business": 300, "enterprise": 1000}
INCLUDED_CREDITS_HUNDREDTHS = {"business": 190_000, "enterprise": 390_000}
MODEL_DISPLAY = {
    "claude-sonnet-4.6": "Claude Sonnet 4.6",
    "gpt-5.4": "GPT-5.4",
    "auto": "Auto",
    "gpt-5-mini": "GPT-5 mini",
    "claude-opus-4.6": "Claude Opus 4.6",
    "gemini-3-pro": "Gemini 3 Pro",
}


class _DayCache:
    """Process-wide cache of UserDay by (user id, day): a person's day is the same everywhere."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[tuple[int, date], UserDay | None] = {}

    def get(self, user: GitHubUser, day: date) -> UserDay | None:
        key = (user.id, day)
        try:
            return self._data[key]
        except KeyError:
            pass
        value = user_day(user, day)
        with self._lock:
            self._data[key] = value
        return value


class Scope:
    """What organizations and enterprises share: a clock, a data window, reports and faults."""

    kind = "org"

    def __init__(self, *, slug: str, entity_id: int, now: datetime, days: int, cache: _DayCache):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if days < 1:
            raise ValueError("days must be positive")
        self.slug = slug
        self.id = entity_id
        self._now = now.astimezone(UTC)
        self.days = days
        # Fixed at creation: moving `now` forward adds days, it never drops old ones.
        self.first_day = self._now.date() - timedelta(days=days - 1)
        self._cache = cache
        self.faults = Faults()
        # Reports (docs/copilot-api.md §2.2): day D appears `report_delay` after D closes.
        self.report_delay = timedelta(days=1)
        self.missing_days: set[date] = set()  # never get a report
        self.late_days: dict[date, datetime] = {}  # report appears only from this moment
        self.no_report_status: int | None = None  # None: 204 where the OAS lists it, else 404
        self.include_inactive_users = False  # per-user files list active users only
        self.lines_per_file = 100  # a report spans ceil(lines / lines_per_file) files
        self.metrics_policy_enabled = True  # "Copilot usage metrics" policy
        self.policy_disabled_status = 403
        self.request_log: list[tuple[float, str, int]] = []  # (monotonic, path, status)
        self._lock = threading.RLock()

    # -- time -------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._now = value.astimezone(UTC)

    @property
    def today(self) -> date:
        return self._now.date()

    # -- people (overridden) ----------------------------------------------------------------------

    def seat_rows(self) -> list[dict]:
        raise NotImplementedError

    def people_on(self, day: date) -> list[GitHubUser]:
        """People holding a seat on `day`, in seat order (deduplicated by user id)."""
        raise NotImplementedError

    def ids(self) -> dict:
        raise NotImplementedError

    # -- reports ----------------------------------------------------------------------------------

    @property
    def reports_start(self) -> date:
        return max(self.first_day, REPORTS_START[self.kind])

    def report_available(self, day: date) -> bool:
        if day < self.reports_start or day < self.today - timedelta(days=REPORT_RETENTION_DAYS):
            return False
        if day in self.missing_days:
            return False
        ready = self.late_days.get(day, midnight(day + timedelta(days=1)) + self.report_delay)
        return self._now >= ready

    def report_days(self) -> list[date]:
        """Every day the 1-day endpoints answer with a report, oldest first."""
        return [d for d in daterange(self.reports_start, self.today) if self.report_available(d)]

    @property
    def latest_report_day(self) -> date | None:
        """The most recent day with a report: where the 28-day window ends."""
        day = self.today
        while day >= self.reports_start:
            if self.report_available(day):
                return day
            day -= timedelta(days=1)
        return None

    def user_days(self, day: date) -> list[tuple[GitHubUser, UserDay]]:
        if day < self.first_day:
            return []
        out = []
        for user in self.people_on(day):
            ud = self._cache.get(user, day)
            if ud is not None:
                out.append((user, ud))
        return out

    def _with_ids(self, record: dict, extra: dict | None = None) -> dict:
        out = {}
        for key, value in record.items():
            out[key] = value
            if key == "day":
                out.update(self.ids())
                if extra:
                    out.update(extra)
        return out

    def user_records(self, day: date, window: dict | None = None) -> list[dict]:
        """The records of the `users-1-day` report for `day` (whether or not it is available yet),
        in seat order. Ground truth: exactly the lines the report's files hold."""
        records = [self._with_ids(ud.record, window) for _, ud in self.user_days(day)]
        if self.include_inactive_users:
            active = {r["user_id"] for r in records}
            for user in self.people_on(day):
                if user.id not in active and day >= self.first_day:
                    records.append(self._with_ids(_inactive_record(user, day), window))
        return records

    def user_metrics(self, login: str, day: date) -> dict | None:
        """One person's record for a day, or None if they have no line that day."""
        for record in self.user_records(day):
            if record["user_login"].lower() == login.lower():
                return record
        return None

    def users_28_day_records(self) -> list[dict]:
        """The `users-28-day/latest` file: one record per user-day with a report in the window."""
        window = self.window_28()
        if window is None:
            return []
        start, end = window
        extra = {"report_start_day": start.isoformat(), "report_end_day": end.isoformat()}
        out = []
        for day in daterange(start, end):
            if self.report_available(day):
                out.extend(self.user_records(day, extra))
        return out

    def window_28(self) -> tuple[date, date] | None:
        end = self.latest_report_day
        if end is None:
            return None
        return end - timedelta(days=27), end

    def aggregate(self, day: date) -> dict:
        """The `organization-1-day` / `enterprise-1-day` record for `day`."""
        todays = self.user_days(day)
        week = _distinct(self, day, 7)
        month = _distinct(self, day, 28)
        record = {"day": day.isoformat(), **self.ids()}
        uds = [ud for _, ud in todays]
        record["daily_active_users"] = len(uds)
        record["weekly_active_users"] = len(week)
        record["monthly_active_users"] = len(month)
        record["monthly_active_chat_users"] = sum(1 for flags in month.values() if flags["chat"])
        record["monthly_active_agent_users"] = sum(1 for flags in month.values() if flags["agent"])
        for prefix, flag in (
            ("active_copilot_cloud_agent_users", "cloud_agent"),
            ("active_copilot_code_review_users", "review_active"),
            ("passive_copilot_code_review_users", "review_passive"),
        ):
            record[f"daily_{prefix}"] = sum(1 for ud in uds if getattr(ud, flag))
            record[f"weekly_{prefix}"] = sum(1 for flags in week.values() if flags[flag])
            record[f"monthly_{prefix}"] = sum(1 for flags in month.values() if flags[flag])
        cli_users = sum(1 for ud in uds if ud.cli)
        if cli_users:
            record["daily_active_cli_users"] = cli_users
        for name in ACTIVITY_FIELDS:
            record[name] = sum(ud.record[name] for ud in uds)
        record["totals_by_ide"] = _merge(
            uds, "totals_by_ide", ("ide",), drop=("last_known_ide_version", "last_known_plugin_version")
        )
        record["totals_by_feature"] = _merge(uds, "totals_by_feature", ("feature",))
        record["totals_by_language_feature"] = _merge(
            uds, "totals_by_language_feature", ("language", "feature")
        )
        record["totals_by_language_model"] = _merge(uds, "totals_by_language_model", ("language", "model"))
        record["totals_by_model_feature"] = _merge(uds, "totals_by_model_feature", ("model", "feature"))
        clis = [ud.record["totals_by_cli"] for ud in uds if "totals_by_cli" in ud.record]
        if clis:
            out_tok = sum(c["token_usage"]["output_tokens_sum"] for c in clis)
            in_tok = sum(c["token_usage"]["prompt_tokens_sum"] for c in clis)
            requests = sum(c["request_count"] for c in clis)
            record["totals_by_cli"] = {
                "session_count": sum(c["session_count"] for c in clis),
                "request_count": requests,
                "prompt_count": sum(c["prompt_count"] for c in clis),
                "token_usage": {
                    "output_tokens_sum": out_tok,
                    "prompt_tokens_sum": in_tok,
                    "avg_tokens_per_request": round((out_tok + in_tok) / requests, 1) if requests else None,
                },
            }
        agents: dict[str, dict] = {}
        for ud in uds:
            for row in ud.record["totals_by_3rd_party_agent"]:
                entry = agents.setdefault(
                    row["agent_id"],
                    {
                        "agent_id": row["agent_id"],
                        "agent_name": row["agent_name"],
                        "user_initiated_interaction_count": 0,
                        "session_count": 0,
                    },
                )
                entry["user_initiated_interaction_count"] += row["user_initiated_interaction_count"]
                entry["session_count"] += 1
        record["totals_by_3rd_party_agent"] = [agents[k] for k in sorted(agents)]
        phases: dict[int, list[UserDay]] = {}
        for ud in uds:
            phases.setdefault(ud.record["ai_adoption_phase"]["phase_number"], []).append(ud)
        record["totals_by_ai_adoption_phase"] = [_phase_row(n, group) for n, group in sorted(phases.items())]
        created = sum(ud.prs[0] for ud in uds)
        merged = sum(ud.prs[2] for ud in uds)
        record["pull_requests"] = {
            "total_created": created,
            "total_reviewed": sum(ud.prs[1] for ud in uds),
            "total_merged": merged,
            "median_minutes_to_merge": (60.0 + (day.toordinal() * 37 + self.id) % 600) if merged else None,
            "total_suggestions": 0,
            "total_applied_suggestions": 0,
            "total_created_by_copilot": sum(ud.prs[3] for ud in uds),
            "total_reviewed_by_copilot": sum(ud.prs[4] for ud in uds),
            "total_merged_created_by_copilot": 0,
            "total_merged_reviewed_by_copilot": 0,
            "median_minutes_to_merge_copilot_authored": None,
            "median_minutes_to_merge_copilot_reviewed": None,
            "total_copilot_suggestions": 0,
            "total_copilot_applied_suggestions": 0,
            "copilot_suggestions_by_comment_type": [],
        }
        return record

    def aggregate_28(self) -> dict | None:
        """The `organization-28-day` / `enterprise-28-day` wrapper, or None without any report."""
        window = self.window_28()
        if window is None:
            return None
        start, end = window
        body = {
            "report_start_day": start.isoformat(),
            "report_end_day": end.isoformat(),
            "created_at": iso_z(midnight(end + timedelta(days=1)) + self.report_delay),
            **self.ids(),
            "day_totals": [self.aggregate(d) for d in daterange(start, end) if self.report_available(d)],
        }
        return body

    def team_seats(self, day: date):
        """(org, seat) pairs seated on `day`, for the team report."""
        raise NotImplementedError

    def user_team_records(self, day: date) -> list[dict]:
        """`user-teams-1-day`: one line per (person active that day, team they are in), teams with
        fewer than 5 seated people that day left out (docs/copilot-api.md §2.3)."""
        from .billing import team_id

        pairs = list(self.team_seats(day))
        sizes: dict[tuple[int, str], int] = {}
        for org, seat in pairs:
            for slug in seat.teams:
                sizes[(org.id, slug)] = sizes.get((org.id, slug), 0) + 1
        active = {user.id for user, _ in self.user_days(day)}
        out = []
        seen = set()
        for org, seat in pairs:
            if seat.user.id not in active:
                continue
            for slug in seat.teams:
                key = (seat.user.id, org.id, slug)
                if sizes[(org.id, slug)] < 5 or key in seen:
                    continue
                seen.add(key)
                out.append(
                    {
                        "user_id": seat.user.id,
                        "user_login": seat.user.login,
                        "day": day.isoformat(),
                        **self.ids(),
                        "team_id": team_id(org, slug),
                        "slug": slug,
                    }
                )
        return out

    # -- report files -----------------------------------------------------------------------------

    def report_file_lines(self, report: str, day: date | None) -> list[bytes]:
        """The lines of a report's content, before it is split into files."""
        if report == "users-1-day":
            return [dumps(r) for r in self.user_records(day)]
        if report == "users-28-day":
            return [dumps(r) for r in self.users_28_day_records()]
        if report == "user-teams-1-day":
            return [dumps(r) for r in self.user_team_records(day)]
        if report in ("organization-1-day", "enterprise-1-day"):
            return [dumps(self.aggregate(day))]
        if report in ("organization-28-day", "enterprise-28-day"):
            body = self.aggregate_28()
            return [dumps(body)] if body is not None else []
        raise KeyError(report)

    def report_files(self, report: str, day: date | None) -> list[bytes]:
        """The files (bytes) a report's download links serve, in link order. NDJSON: one JSON
        document per line, each line ending in a newline. A report always has at least one file."""
        lines = self.report_file_lines(report, day)
        per = max(1, self.lines_per_file)
        chunks = [lines[i : i + per] for i in range(0, len(lines), per)] or [[]]
        return [b"".join(line + b"\n" for line in chunk) for chunk in chunks]

    # -- billing usage ----------------------------------------------------------------------------

    def billing_plan(self, user: GitHubUser) -> str:
        return "business"

    def billing_people(self) -> list[GitHubUser]:
        raise NotImplementedError

    def usage_lines(
        self, kind: str, year: int, month: int, day: int | None = None, user: str | None = None
    ) -> dict:
        """{model: [gross, discount]} for a billing period: hundredths of a credit (kind
        "ai_credit") or premium requests (kind "premium_request"). Complete UTC days only (before
        today). The included allowance is used up per person and month in (day, model) order."""
        totals: dict[str, list[int]] = {}
        month_start = date(year, month, 1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        last = min(next_month - timedelta(days=1), self.today - timedelta(days=1))
        for person in self.billing_people():
            if user is not None and person.login.lower() != user.lower():
                continue
            plan = self.billing_plan(person)
            allowance = (INCLUDED_CREDITS_HUNDREDTHS if kind == "ai_credit" else INCLUDED_PREMIUM_REQUESTS)[
                plan
            ]
            for d in daterange(max(month_start, self.first_day), last):
                if not self.seated(person, d):
                    continue
                ud = self._cache.get(person, d)
                if ud is None:
                    continue
                amounts = ud.credits if kind == "ai_credit" else ud.premium
                for model in sorted(amounts):
                    gross = amounts[model]
                    discount = min(gross, allowance)
                    allowance -= discount
                    if day is None or d.day == day:
                        entry = totals.setdefault(model, [0, 0])
                        entry[0] += gross
                        entry[1] += discount
        return totals

    def seated(self, user: GitHubUser, day: date) -> bool:
        raise NotImplementedError

    def usage_items(
        self,
        kind: str,
        year: int,
        month: int,
        day: int | None = None,
        user: str | None = None,
        model: str | None = None,
        product: str | None = None,
    ) -> list[dict]:
        """The `usageItems` of `/settings/billing/{ai_credit,premium_request}/usage`."""
        from .billing import usage_item

        if product is not None and product.lower() != "copilot":
            return []
        lines = self.usage_lines(kind, year, month, day, user)
        items = []
        for key in sorted(lines, key=lambda m: MODEL_DISPLAY[m]):
            display = MODEL_DISPLAY[key]
            if model is not None and display.lower() != model.lower():
                continue
            gross, discount = lines[key]
            if gross:
                items.append(usage_item(kind, display, gross, discount))
        return items


def _inactive_record(user: GitHubUser, day: date) -> dict:
    from .generate import C_FIELDS

    return {
        "user_id": user.id,
        "user_login": user.login,
        "day": day.isoformat(),
        "user_initiated_interaction_count": 0,
        **dict.fromkeys(C_FIELDS, 0),
        "used_agent": False,
        "used_chat": False,
        "used_cli": False,
        "used_copilot_coding_agent": False,
        "used_copilot_cloud_agent": False,
        "used_copilot_code_review_active": None,
        "used_copilot_code_review_passive": None,
        "ai_adoption_phase": {"phase_number": 0, "phase": "No Cohort", "version": "v1"},
        "totals_by_ide": [],
        "totals_by_feature": [],
        "totals_by_language_feature": [],
        "totals_by_language_model": [],
        "totals_by_model_feature": [],
        "totals_by_3rd_party_agent": [],
    }


def _distinct(scope: Scope, day: date, n: int) -> dict[int, dict]:
    flags: dict[int, dict] = {}
    for d in daterange(day - timedelta(days=n - 1), day):
        for user, ud in scope.user_days(d):
            entry = flags.setdefault(
                user.id,
                dict.fromkeys(("chat", "agent", "cloud_agent", "review_active", "review_passive"), False),
            )
            for name in entry:
                entry[name] = entry[name] or getattr(ud, name)
    return flags


def _merge(uds: list[UserDay], key: str, by: tuple[str, ...], drop: tuple[str, ...] = ()) -> list[dict]:
    merged: dict[tuple, dict] = {}
    for ud in uds:
        for row in ud.record[key]:
            ident = tuple(row[k] for k in by)
            entry = merged.get(ident)
            if entry is None:
                merged[ident] = {k: v for k, v in row.items() if k not in drop}
                continue
            for name, value in row.items():
                if name not in by and name not in drop:
                    entry[name] += value
    return [merged[k] for k in sorted(merged)]


def _phase_row(number: int, group: list[UserDay]) -> dict:
    n = len(group)

    def avg(values):
        return round(sum(values) / n, 2)

    return {
        "phase": group[0].record["ai_adoption_phase"]["phase"],
        "phase_number": number,
        "total_engaged_users": n,
        "avg_user_initiated_interactions": avg(ud.record["user_initiated_interaction_count"] for ud in group),
        "avg_code_generation_activities": avg(ud.record["code_generation_activity_count"] for ud in group),
        "avg_code_acceptance_activities": avg(ud.record["code_acceptance_activity_count"] for ud in group),
        "avg_loc_added": avg(ud.record["loc_added_sum"] for ud in group),
        "avg_loc_deleted": avg(ud.record["loc_deleted_sum"] for ud in group),
        "avg_pull_requests_reviewed": avg(ud.prs[1] for ud in group),
        "avg_pull_requests_created": avg(ud.prs[0] for ud in group),
        "avg_pull_requests_merged": avg(ud.prs[2] for ud in group),
        "avg_pull_requests_median_minutes_to_merge": None,
    }
