"""The model mix: which models people used and what each cost."""

from . import Metric, register
from .sources import CLAUDE_CODE_TOKENS, COPILOT_USERS, CURSOR_DAILY, CURSOR_EVENTS

register(
    Metric(
        key="model_mix",
        name="Model mix",
        definition="Each model's share of billed requests (usage events) over the range",
        formula="a model's usage events ÷ all usage events",
        unit="ratio",
        sources={"cursor": CURSOR_EVENTS},
        caveats=("Router labels such as auto are their own bucket",),
    ),
    Metric(
        key="model_trend",
        name="Billed requests per model per day",
        definition="Usage events per day for the most used models",
        formula="count of usage events per (day, model)",
        unit="count",
        sources={"cursor": CURSOR_EVENTS},
    ),
    Metric(
        key="model_users",
        name="People per model",
        definition="Distinct members who used the model in the range",
        formula="distinct members with a usage event of the model",
        unit="people",
        sources={"cursor": CURSOR_EVENTS},
    ),
    Metric(
        key="cost_per_request",
        name="Cost per request",
        definition="The average charged cost of one billed request of the model",
        formula="spend ÷ usage events",
        unit="cents",
        sources={"cursor": CURSOR_EVENTS},
    ),
    Metric(
        key="top_model",
        name="Top model",
        definition="The model a member used most often",
        formula="the most frequent mostUsedModel over the member's days (ties: alphabetical)",
        unit="text",
        sources={"cursor": CURSOR_DAILY},
    ),
    Metric(
        key="tool_model_mix",
        name="Models (each tool's own unit)",
        definition="Each tool's models, counted in the unit the tool reports",
        formula="Cursor: usage events; Copilot: chat prompts per model; Claude Code: output tokens",
        unit="count",
        sources={"cursor": CURSOR_EVENTS, "copilot": COPILOT_USERS, "claude_code": CLAUDE_CODE_TOKENS},
        caveats=("Units differ per tool",),
    ),
)


def _tokens(key, name, field, copilot=False):
    return Metric(
        key=key,
        name=name,
        definition=f"{name} of the AI requests",
        formula=f"sum of {field}",
        unit="tokens",
        sources={"cursor": CURSOR_EVENTS, "claude_code": CLAUDE_CODE_TOKENS},
        caveats=("Not reported by Copilot (tokens exist for its CLI only): null, never 0",),
    )


register(
    _tokens("input_tokens", "Input tokens", "tokenUsage.inputTokens"),
    _tokens("output_tokens", "Output tokens", "tokenUsage.outputTokens"),
    _tokens("cache_read_tokens", "Cache-read tokens", "tokenUsage.cacheReadTokens"),
    _tokens(
        "cache_write_tokens",
        "Cache-write tokens",
        "tokenUsage.cacheWriteTokens (Claude Code: cache_creation)",
    ),
)
