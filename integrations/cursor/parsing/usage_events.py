"""Usage events (``/teams/filtered-usage-events``), the one record parsed in bulk.

30 days of a large team is millions of events, so ``parse_usage_event`` is written as one
function with local fast paths instead of a generic field-mapping loop.

Shapes are named after the generation of Cursor's docs that describes them, D1 (mid-2025) to
D4 (the newest); see docs/cursor-api.md §0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ..records import UsageEvent
from ..values import EPOCH, to_bool, to_datetime, to_decimal, to_email, to_int, to_str

_EMPTY: dict = {}

# requestsCosts takes few distinct values (Cursor's request units: 0.5, 1, 1.5, …): their
# Decimals are made once per value instead of once per event (a float key is its exact value;
# zero is never cached, so -0.0 and 0.0 each keep their own Decimal). Bounded: cleared when full.
_COSTS: dict[float, Decimal] = {}
_COSTS_MAX = 4096
# Below this, epoch milliseconds / 1000 as a double is within half a microsecond of the exact
# instant (year 2223), so fromtimestamp rounds it to the exact millisecond: several times
# cheaper than EPOCH + timedelta(milliseconds=…), the same datetime.
_FAST_MS_LIMIT = 8_000_000_000_000

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
    _costs=_COSTS,
    _fromtimestamp=datetime.fromtimestamp,
    _UTC=UTC,
    _new=tuple.__new__,
    _Event=UsageEvent,
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
        ms = int(ts)
        ts = _fromtimestamp(ms / 1000, _UTC) if ms < _FAST_MS_LIMIT else _EPOCH + _td(milliseconds=ms)
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
    if chargeable is None:
        chargeable = charged > 0
    elif chargeable is not True and chargeable is not False:
        chargeable = _bool(chargeable)

    costs = get("requestsCosts")
    if costs.__class__ is _float and costs - costs == 0:
        cost = _costs.get(costs)
        if cost is None:
            cost = _D(_repr(costs))
            if costs:
                if len(_costs) >= _COSTS_MAX:
                    _costs.clear()
                _costs[costs] = cost
        costs = cost
    elif costs.__class__ is not _D:
        costs = _dec(costs)

    conv = get("conversationId")
    if conv.__class__ is not str:
        conv = "" if conv is None else to_str(conv)

    # Booleans arrive as JSON true/false: only anything else goes through to_bool.
    max_mode = get("maxMode")
    if max_mode is not True and max_mode is not False:
        max_mode = _bool(max_mode)
    token_based = get("isTokenBasedCall")
    if token_based is not True and token_based is not False:
        token_based = _bool(token_based)
    headless = get("isHeadless")
    if headless is not True and headless is not False:
        headless = _bool(headless)

    tin = tget("inputTokens")
    tout = tget("outputTokens")
    tcw = tget("cacheWriteTokens")
    tcr = tget("cacheReadTokens")
    return _new(  # UsageEvent(…) without its __new__'s argument handling
        _Event,
        (
            ts,
            email,
            model,
            kind,
            max_mode,
            costs,
            token_based,
            chargeable,
            headless,
            tin if tin.__class__ is int else _int(tin),
            tout if tout.__class__ is int else _int(tout),
            tcw if tcw.__class__ is int else _int(tcw),
            tcr if tcr.__class__ is int else _int(tcr),
            token_cents,
            charged,
            fee,
            conv,
        ),
    )
