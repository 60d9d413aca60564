"""One person's Copilot day, drawn from Random(user id, day ordinal) alone.

A day is a list of cells (ide, feature, language, model, counts); every breakdown of the per-user
record is a group-by of those cells and the top-level counts are their sum, so the record is
consistent with itself by construction (docs/copilot-api.md §3.1):

    top-level C (and user_initiated_interaction_count) == sum over totals_by_ide
                                                        == sum over totals_by_feature
                                                        == sum over totals_by_language_feature (C)
    totals_by_model_feature / totals_by_language_model: the chat cells only (not code_completion)
    totals_by_cli: separate, never part of the IDE and feature rollups.

AI credits (hundredths) and premium requests are drawn per chat model; `ai_credits_used` is
their sum (served from 2026-06-19 on, when GitHub added the field).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .roster import MODELS, PLUGINS, THIRD_PARTY_AGENTS, GitHubUser
from .util import iso_ms_z

C_FIELDS = (
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)
ACTIVITY_FIELDS = ("user_initiated_interaction_count",) + C_FIELDS
CHAT_FEATURES = (
    ("chat_panel_ask_mode", 30),
    ("chat_panel_agent_mode", 30),
    ("chat_panel_edit_mode", 10),
    ("chat_inline", 15),
    ("agent_edit", 10),
    ("chat_panel_plan_mode", 5),
)
AGENT_FEATURES = {"chat_panel_agent_mode", "agent_edit", "chat_panel_plan_mode"}
AI_CREDITS_FIELD_FROM = date(2026, 6, 19)  # `ai_credits_used` appears in records from this day
AI_CREDITS_BILLING_FROM = date(2026, 6, 1)  # billing in AI credits; premium requests before
PHASE_NAMES = {0: "No Cohort", 1: "Phase 1", 2: "Phase 2", 3: "Phase 3"}


@dataclass(slots=True)
class UserDay:
    """One person's activity on one UTC day (only for days with activity)."""

    day: date
    record: dict  # the per-user record without org/enterprise ids or report window
    last_seconds: int  # seconds after midnight of their last activity (seat `last_activity_at`)
    editor: str  # seat `last_activity_editor`
    credits: dict  # model -> hundredths of an AI credit (billing in AI credits)
    premium: dict  # model -> premium requests (billing before 2026-06-01)
    chat: bool
    agent: bool
    cli: bool
    cloud_agent: bool
    review_active: bool
    review_passive: bool
    prs: tuple  # (created, reviewed, merged, created_by_copilot, reviewed_by_copilot): aggregates only


def _growth(ordinal: int) -> float:
    # Adoption rises through 2026 on absolute dates, so a day never depends on `now`.
    return 0.65 + 0.45 / (1.0 + math.exp(-(ordinal - 739_617) / 90.0))  # 739617 = 2026-01-01


def day_seed(user_id: int, ordinal: int) -> int:
    return (user_id * 1_000_033 + ordinal) * 7919 + 17


def is_active(user: GitHubUser, day: date, rng: random.Random) -> bool:
    if user.never_active or (user.idle_from is not None and day >= user.idle_from):
        return False
    p = user.weekday_p if day.weekday() < 5 else user.weekend_p
    return rng.random() < min(0.98, p * (0.75 + 0.3 * _growth(day.toordinal())))


def user_day(user: GitHubUser, day: date) -> UserDay | None:
    rng = random.Random(day_seed(user.id, day.toordinal()))
    if not is_active(user, day, rng):
        return None
    rnd = rng.random
    level = user.level * _growth(day.toordinal()) * rng.uniform(0.4, 1.6)
    cells: dict[tuple, list[int]] = {}

    def add(ide, feature, language, model, values):
        cell = cells.setdefault((ide, feature, language, model), [0] * 7)
        for i, v in enumerate(values):
            cell[i] += v

    def pick_ide():
        return user.ides[0] if len(user.ides) == 1 or rnd() < 0.8 else user.ides[1]

    # Completions: no user-initiated interactions, suggestions and accepts only.
    for _ in range(1 + int(rnd() * 3)):
        gen = int(level * rng.uniform(8, 45))
        acc = int(gen * rng.uniform(0.15, 0.4))
        sug = int(gen * rng.uniform(1.5, 3.5))
        added = int(acc * rng.uniform(1.2, 2.6))
        add(
            pick_ide(),
            "code_completion",
            rng.choice(user.languages),
            "default",
            (0, gen, acc, sug, 0, added, 0),
        )

    models = [m for m, _ in user.model_weights]
    weights = [w for _, w in user.model_weights]
    credits: dict[str, int] = {}
    premium: dict[str, int] = {}
    n_chat = int(level * rng.uniform(0, 5))
    for _ in range(n_chat):
        feature = rng.choices([f for f, _ in CHAT_FEATURES], weights=[w for _, w in CHAT_FEATURES])[0]
        if feature in AGENT_FEATURES and rnd() > user.agent_p:
            feature = "chat_panel_ask_mode"
        model = rng.choices(models, weights=weights)[0]
        inter = 1 + int(rnd() * 6 * max(0.5, level))
        gen = inter * (1 + int(rnd() * 3))
        acc = int(gen * rng.uniform(0.1, 0.6))
        agentic = feature in AGENT_FEATURES
        sug_add = 0 if agentic else gen * (2 + int(rnd() * 8))
        sug_del = 0
        added = acc * (2 + int(rnd() * 12)) + (gen * int(rnd() * 20) if agentic else 0)
        deleted = int(added * rng.uniform(0.0, 0.4)) if agentic or rnd() < 0.3 else 0
        add(
            pick_ide(),
            feature,
            rng.choice(user.languages + ("unknown",) if rnd() < 0.1 else user.languages),
            model,
            (inter, gen, acc, sug_add, sug_del, added, deleted),
        )
        _, multiplier, rate = MODELS[model]
        if multiplier:
            premium[model] = premium.get(model, 0) + inter * multiplier
        if rate:
            credits[model] = credits.get(model, 0) + inter * rate + int(rnd() * 40) * (1 if agentic else 0)

    cli = None
    if user.uses_cli and rnd() < 0.5:
        sessions = 1 + int(rnd() * 4)
        prompts = sessions * (1 + int(rnd() * 4))
        requests = prompts * (2 + int(rnd() * 10))
        out_tok = requests * (200 + int(rnd() * 600))
        in_tok = requests * (4_000 + int(rnd() * 9_000))
        ver_minute = int(rnd() * 600)
        cli = {
            "session_count": sessions,
            "request_count": requests,
            "prompt_count": prompts,
            "token_usage": {
                "output_tokens_sum": out_tok,
                "prompt_tokens_sum": in_tok,
                "avg_tokens_per_request": round((out_tok + in_tok) / requests, 1),
            },
            "last_known_cli_version": {
                "cli_version": "1.0.8" if rnd() < 0.8 else "unknown",
                "sampled_at": iso_ms_z(_at(day, user.work_start_hour * 3600 + ver_minute * 60)),
            },
        }
        model = rng.choices(models, weights=weights)[0]
        _, multiplier, rate = MODELS[model]
        if multiplier:
            premium[model] = premium.get(model, 0) + prompts * multiplier
        if rate:
            credits[model] = credits.get(model, 0) + prompts * rate

    last_seconds = int(min(86_399, user.work_start_hour * 3600 + rng.uniform(1, 9.5) * 3600))
    seen_at = iso_ms_z(_at(day, last_seconds))

    totals = [0] * 7
    by_ide: dict[str, list[int]] = {}
    by_feature: dict[str, list[int]] = {}
    by_lang_feature: dict[tuple, list[int]] = {}
    by_lang_model: dict[tuple, list[int]] = {}
    by_model_feature: dict[tuple, list[int]] = {}
    for (ide, feature, language, model), values in sorted(cells.items()):
        groups = [totals, by_ide.setdefault(ide, [0] * 7), by_feature.setdefault(feature, [0] * 7)]
        groups.append(by_lang_feature.setdefault((language, feature), [0] * 7))
        if feature != "code_completion":
            groups.append(by_lang_model.setdefault((language, model), [0] * 7))
            groups.append(by_model_feature.setdefault((model, feature), [0] * 7))
        for target in groups:
            for i, v in enumerate(values):
                target[i] += v

    def counts(values, with_interactions=True):
        out = {"user_initiated_interaction_count": values[0]} if with_interactions else {}
        out.update(zip(C_FIELDS, values[1:], strict=True))
        return out

    ide_rows = []
    for ide, values in by_ide.items():
        plugin, plugin_versions = PLUGINS[ide]
        row = {"ide": ide, **counts(values)}
        row["last_known_ide_version"] = {"ide_version": user.ide_versions[ide], "sampled_at": seen_at}
        row["last_known_plugin_version"] = {
            "plugin": plugin,
            "plugin_version": plugin_versions[user.id % len(plugin_versions)],
            "sampled_at": seen_at,
        }
        ide_rows.append(row)

    chat = any(f != "code_completion" for f in by_feature)
    agent = any(f in AGENT_FEATURES for f in by_feature)
    cloud_agent = user.coding_agent_p > 0 and rnd() < user.coding_agent_p
    review_active = user.code_review == "active" and rnd() < 0.3
    review_passive = user.code_review in ("active", "passive") and rnd() < 0.4
    record = {
        "user_id": user.id,
        "user_login": user.login,
        "day": day.isoformat(),
        **counts(totals),
    }
    if day >= AI_CREDITS_FIELD_FROM:
        record["ai_credits_used"] = _credits_number(sum(credits.values()))
    record.update(
        {
            "used_agent": agent,
            "used_chat": chat,
            "used_cli": cli is not None,
            "used_copilot_coding_agent": cloud_agent,
            "used_copilot_cloud_agent": cloud_agent,
            "used_copilot_code_review_active": review_active if user.code_review != "none" else None,
            "used_copilot_code_review_passive": review_passive if user.code_review != "none" else None,
            "ai_adoption_phase": {
                "phase_number": user.phase,
                "phase": PHASE_NAMES[user.phase],
                "version": "v1",
            },
            "totals_by_ide": ide_rows,
            "totals_by_feature": [{"feature": f, **counts(v)} for f, v in by_feature.items()],
            "totals_by_language_feature": [
                {"language": lang, "feature": f, **counts(v, False)}
                for (lang, f), v in by_lang_feature.items()
            ],
            "totals_by_language_model": [
                {"language": lang, "model": m, **counts(v, False)} for (lang, m), v in by_lang_model.items()
            ],
            "totals_by_model_feature": [
                {"model": m, "feature": f, **counts(v)} for (m, f), v in by_model_feature.items()
            ],
        }
    )
    if cli is not None:
        record["totals_by_cli"] = cli
    third = []
    if user.third_party_p and rnd() < user.third_party_p:
        agent_id, agent_name = THIRD_PARTY_AGENTS[user.id % len(THIRD_PARTY_AGENTS)]
        third.append(
            {
                "agent_id": agent_id,
                "agent_name": agent_name,
                "user_initiated_interaction_count": 1 + int(rnd() * 3),
            }
        )
    record["totals_by_3rd_party_agent"] = third

    created = int(rnd() * 2.2)
    merged = min(created, int(rnd() * 2))
    prs = (
        created,
        int(rnd() * 2.5),
        merged,
        int(created > 0 and cloud_agent),
        int(review_active) + int(review_passive),
    )

    main_ide = max(by_ide, key=lambda ide: (by_ide[ide][1], ide))
    plugin, plugin_versions = PLUGINS[main_ide]
    editor = (
        f"{main_ide}/{user.ide_versions[main_ide]}/{plugin}/{plugin_versions[user.id % len(plugin_versions)]}"
    )
    return UserDay(
        day=day,
        record=record,
        last_seconds=last_seconds,
        editor=editor,
        credits=credits if day >= AI_CREDITS_BILLING_FROM else {},
        premium=premium if day < AI_CREDITS_BILLING_FROM else {},
        chat=chat,
        agent=agent,
        cli=cli is not None,
        cloud_agent=cloud_agent,
        review_active=review_active,
        review_passive=review_passive,
        prs=prs,
    )


def _credits_number(hundredths: int):
    whole, frac = divmod(hundredths, 100)
    return whole if frac == 0 else round(hundredths / 100, 2)


def _at(day: date, seconds: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=int(seconds))
