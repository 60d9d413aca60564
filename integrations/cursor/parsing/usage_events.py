"""Usage events (``/teams/filtered-usage-events``), the one record parsed in bulk.

30 days of a large team is millions of events, so ``parse_usage_event`` is written as one
function with local fast paths instead of a generic field-mapping loop.

Shapes are named after the generation of Cursor's docs that describes them, D1 (mid-2025) to
D4 (the newest); see docs/cursor-api.md §0.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ..records import UsageEvent
from ..values import EPOCH, to_bool, to_datetime, to_decimal, to_email, to_int, to_str

_EMPTY: dict = {}

_SNAKE_EVENT_KEYS = {  # nosec B105  # JSON field names ("tokenUsage"), not passwords
    "user_email": "userEmail",
    "max_mode": "maxMode",
    "requests_costs": "requestsCosts",
    "is_token_based_call": "isTokenBasedCall",
    "is_chargeable": "isChargeable",
    "is_headless": "isHeadless",
    "token_usage": "tokenUsage",
    "charged_cents": "chargedCents",
    "cursor_token_fee": "cursorTokenFee",
    "conversation_id": "conversationId",
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "cache_write_tokens": "cacheWriteTokens",
    "cache_read_tokens": "cacheReadTokens",
    "total_cents": "totalCents",
}


def _camel_event(r: dict) -> dict:
    out = {_SNAKE_EVENT_KEYS.get(k, k): v for k, v in r.items()}
    tu = out.get("tokenUsage")
    if tu.__class__ is dict:
        out["tokenUsage"] = {_SNAKE_EVENT_KEYS.get(k, k): v for k, v in tu.items()}
    return out


def parse_usage_event(
    r: dict,
    *,
    _EPOCH=EPOCH,
    _td=timedelta,
    _D=Decimal,
    _int=to_int,
    _dec=to_decimal,
    _bool=to_bool,
    _float=float,
    _repr=float.__repr__,
) -> UsageEvent:
    """One ``usageEvents`` entry. Hot path: keep the common D4 shape cheap.

    Money arrives as a float from orjson (``decode_json``): its shortest text is the JSON
    text, so ``Decimal(repr(f))`` is exact. ``f - f == 0`` is false for NaN and infinities
    (which only the standard library's decoder produces), and those go to ``to_decimal``.
    """
    get = r.get
    if "userEmail" not in r and "user_email" in r:  # snake_case variant seen in some clients
        r = _camel_event(r)
        get = r.get

    ts = r["timestamp"]
    if ts.__class__ is str and ts.isdigit() and len(ts) >= 12:
        ts = _EPOCH + _td(milliseconds=int(ts))
    else:
        ts = to_datetime(ts)

    email = get("userEmail")
    email = email.strip().lower() if email.__class__ is str else to_email(email)

    kind = get("kind")
    if kind is None:
        kind = get("kindLabel")
        if kind is None:
            kind = get("kind_label")
    if kind.__class__ is not str:
        kind = to_str(kind)

    model = get("model")
    if model.__class__ is not str:
        model = to_str(model)

    tu = get("tokenUsage")
    if tu is None:
        tu = _EMPTY
    elif tu.__class__ is not dict:
        raise TypeError("tokenUsage is not an object")
    tget = tu.get
    token_cents = tget("totalCents")
    if token_cents.__class__ is _float and token_cents - token_cents == 0:
        token_cents = _D(_repr(token_cents))
    elif token_cents.__class__ is not _D:
        token_cents = _dec(token_cents)

    fee = get("cursorTokenFee")
    if fee.__class__ is _float and fee - fee == 0:
        fee = _D(_repr(fee))
    elif fee.__class__ is not _D:
        fee = _dec(fee)

    charged = get("chargedCents")
    if charged is None:
        # Before D3 there was no chargedCents; the docs then said cost = totalCents + fee.
        charged = token_cents + fee
    elif charged.__class__ is _float and charged - charged == 0:
        charged = _D(_repr(charged))
    elif charged.__class__ is not _D:
        charged = _dec(charged)

    chargeable = get("isChargeable")
    chargeable = charged > 0 if chargeable is None else _bool(chargeable)

    costs = get("requestsCosts")
    if costs.__class__ is _float and costs - costs == 0:
        costs = _D(_repr(costs))
    elif costs.__class__ is not _D:
        costs = _dec(costs)

    conv = get("conversationId")
    if conv.__class__ is not str:
        conv = "" if conv is None else to_str(conv)

    tin = tget("inputTokens")
    tout = tget("outputTokens")
    tcw = tget("cacheWriteTokens")
    tcr = tget("cacheReadTokens")
    return UsageEvent(
        ts,
        email,
        model,
        kind,
        _bool(get("maxMode")),
        costs,
        _bool(get("isTokenBasedCall")),
        chargeable,
        _bool(get("isHeadless")),
        tin if tin.__class__ is int else _int(tin),
        tout if tout.__class__ is int else _int(tout),
        tcw if tcw.__class__ is int else _int(tcw),
        tcr if tcr.__class__ is int else _int(tcr),
        token_cents,
        charged,
        fee,
        conv,
    )
