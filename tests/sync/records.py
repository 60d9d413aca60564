"""Builders for the Cursor client's normalized records, for ingestion tests without HTTP."""

from datetime import UTC, date, datetime
from decimal import Decimal

from integrations.cursor import records

DAILY_DEFAULTS = dict(
    user_id="",
    is_active=True,
    total_lines_added=10,
    total_lines_deleted=2,
    accepted_lines_added=5,
    accepted_lines_deleted=1,
    total_applies=3,
    total_accepts=2,
    total_rejects=1,
    total_tabs_shown=20,
    total_tabs_accepted=8,
    composer_requests=4,
    chat_requests=1,
    agent_requests=6,
    cmdk_usages=0,
    subscription_included_reqs=9,
    api_key_reqs=0,
    usage_based_reqs=2,
    bugbot_usages=0,
    most_used_model="claude-4.5-sonnet",
    apply_most_used_extension=".py",
    tab_most_used_extension=".ts",
    client_version="1.6.0",
)


def member(email, **kw):
    return records.Member(
        user_id=kw.get("user_id", f"user_{email.split('@')[0]}"),
        email=email,
        name=kw.get("name", email.split("@")[0].title()),
        role=kw.get("role", "member"),
        is_removed=kw.get("is_removed", False),
    )


def daily(email, day: date, **kw):
    return records.DailyUsageRow(email=email, day=day, **{**DAILY_DEFAULTS, **kw})


def event(email, ts: datetime, **kw):
    values = dict(
        timestamp=ts,
        email=email,
        model="claude-4.5-sonnet",
        kind="Usage-based",
        max_mode=False,
        requests_costs=Decimal("1"),
        is_token_based_call=True,
        is_chargeable=True,
        is_headless=False,
        input_tokens=900,
        output_tokens=210,
        cache_write_tokens=4000,
        cache_read_tokens=12000,
        token_cents=Decimal("7.91"),
        charged_cents=Decimal("8.4"),
        cursor_token_fee=Decimal("0.49"),
        conversation_id="",
    )
    values.update(kw)
    return records.UsageEvent(**values)


def at(day: date, hour=12, minute=0, ms=0):
    return datetime(day.year, day.month, day.day, hour, minute, 0, ms * 1000, tzinfo=UTC)


def spend(email, **kw):
    values = dict(
        user_id=f"user_{email.split('@')[0]}",
        email=email,
        name=email.split("@")[0].title(),
        role="member",
        spend_cents=Decimal("1234.567891"),
        overall_spend_cents=Decimal("5234.567891"),
        fast_premium_requests=310,
        hard_limit_override_dollars=Decimal("0"),
        monthly_limit_dollars=None,
        effective_per_user_limit_dollars=Decimal("200"),
    )
    values.update(kw)
    return records.MemberSpend(**values)
