"""Rate limiters: never more than the limit in any window, per team and family."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime

import pytest

from integrations import ratelimit as shared_ratelimit
from integrations.cursor import ratelimit
from integrations.cursor.ratelimit import (
    DEFAULT_LIMITS,
    InProcessRateLimiter,
    NoRateLimit,
    RedisRateLimiter,
    get_default_limiter,
    team_id_for_key,
)

from .fakes import API_KEY, FakeCursor, ok, usage_event

REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# Real-time tests stamp requests a little after the limiter admits them, so they use a 100 ms
# margin: thread scheduling on a busy machine must not be mistaken for the limiter over-admitting.


def max_in_any_window(times: list[float], window: float) -> int:
    """The largest number of timestamps falling inside any half-open window of ``window`` s."""
    times = sorted(times)
    best = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
        return True
    except Exception:
        return False


needs_redis = pytest.mark.skipif(not redis_available(), reason="Redis not reachable at 127.0.0.1:6379")


def test_team_id_is_a_hash_not_the_key():
    team = team_id_for_key(API_KEY)
    assert API_KEY not in team and len(team) == 32
    assert team == team_id_for_key(API_KEY)
    assert team != team_id_for_key(API_KEY + "x")


def test_default_limits_match_cursor_documentation():
    assert DEFAULT_LIMITS == {
        "admin": 20,
        "usage_events": 60,
        "analytics_team": 100,
        "by_user": 50,
        "ai_code": 20,
    }


def test_unknown_family_is_an_error():
    with pytest.raises(ValueError):
        InProcessRateLimiter().acquire("t", "bugbot")


def test_in_process_sliding_window_with_fake_clock():
    clock = FakeClock()
    waits = []
    limiter = InProcessRateLimiter(window_seconds=60, margin_seconds=0, clock=clock, sleep=clock.sleep)
    admitted = []
    for _ in range(65):
        limiter.acquire("team", "admin", on_wait=lambda s, r: waits.append((s, r)))
        admitted.append(clock.now)
    # The first 20 go at once; each next block of 20 waits a full window.
    assert admitted[:20] == [1000.0] * 20
    assert admitted[20] == pytest.approx(1060.0)
    assert admitted[40] == pytest.approx(1120.0)
    assert max_in_any_window(admitted, 60) == 20
    assert waits[0] == (pytest.approx(60.0), "rate limit")


def test_in_process_margin_extends_the_window():
    clock = FakeClock()
    limiter = InProcessRateLimiter(
        {"admin": 2}, window_seconds=10, margin_seconds=0.5, clock=clock, sleep=clock.sleep
    )
    for _ in range(3):
        limiter.acquire("team", "admin")
    assert clock.now == pytest.approx(1010.5)


def test_admitted_counts_a_request_from_its_answer_without_a_margin():
    """A request counts from the moment its answer is in: the next window starts then, with no
    safety margin on top (the server counted it at some moment before that)."""
    clock = FakeClock()
    limiter = InProcessRateLimiter(
        {"admin": 2}, window_seconds=10, margin_seconds=5, clock=clock, sleep=clock.sleep
    )
    sent = []
    for _ in range(3):
        with limiter.admitted("team", "admin"):
            sent.append(clock.now)
            clock.now += 0.25  # the request's round trip
    # #3 goes one window after #1's answer (1000.25), not after its admission plus the margin.
    assert sent == [1000.0, 1000.25, pytest.approx(1010.25)]


def test_admitted_holds_the_slot_while_the_request_is_in_flight():
    clock = FakeClock()
    polls = []
    slow = None  # a request of another thread, still waiting for its answer

    def sleep(seconds):
        polls.append(seconds)
        clock.sleep(seconds)
        if len(polls) == 3:  # meanwhile its answer comes in
            slow.__exit__(None, None, None)

    limiter = InProcessRateLimiter({"admin": 1}, window_seconds=10, clock=clock, sleep=sleep)
    slow = limiter.admitted("team", "admin")
    slow.__enter__()
    with limiter.admitted("team", "admin"):
        admitted_at = clock.now
    # Polled while the first request was in flight, then waited one window from its answer.
    assert polls[:3] == [shared_ratelimit.IN_FLIGHT_POLL_SECONDS] * 3
    answered_at = 1000.0 + 3 * shared_ratelimit.IN_FLIGHT_POLL_SECONDS
    assert admitted_at == pytest.approx(answered_at + 10)


def test_admitted_counts_a_failed_request_too():
    clock = FakeClock()
    limiter = InProcessRateLimiter({"admin": 1}, window_seconds=10, clock=clock, sleep=clock.sleep)
    with pytest.raises(OSError), limiter.admitted("team", "admin"):
        clock.now += 1.0
        raise OSError("connection reset")
    with limiter.admitted("team", "admin"):
        pass
    assert clock.now == pytest.approx(1011.0)


def test_an_answer_that_never_comes_frees_the_slot_eventually():
    """A request whose answer is never reported (a crashed thread) holds its slot for
    IN_FLIGHT_SECONDS, then counts from then, like any other request."""
    clock = FakeClock()
    limiter = InProcessRateLimiter({"admin": 1}, window_seconds=10, clock=clock, sleep=clock.sleep)
    lost = limiter.admitted("team", "admin")
    lost.__enter__()
    with limiter.admitted("team", "admin"):
        pass
    assert clock.now == pytest.approx(1000.0 + shared_ratelimit.IN_FLIGHT_SECONDS + 10, abs=0.1)
    clock.now += 10  # the second request has left the window
    lost.__exit__(None, None, None)  # too late: this does not take a slot again
    before = clock.now
    with limiter.admitted("team", "admin"):
        pass
    assert clock.now == before


def test_admitted_requests_never_exceed_the_limit_in_any_window_of_server_time():
    """Whatever the latency: the server counts each request somewhere between its sending and
    its answer; in any window of server time it never counts more than the limit."""
    import random

    rng = random.Random(7)
    clock = FakeClock()
    limiter = InProcessRateLimiter({"ai_code": 5}, window_seconds=10, clock=clock, sleep=clock.sleep)
    counted = []
    for _ in range(60):
        with limiter.admitted("team", "ai_code:changes"):
            sent = clock.now
            clock.now += rng.uniform(0.0, 3.0)  # round trip, with heavy jitter
            # the server's counting moment: its arrival, or anywhere up to its answer
            counted.append(rng.uniform(sent, clock.now))
        clock.now += rng.choice([0.0, 0.0, rng.uniform(0.0, 1.0)])  # the page's parsing
    assert max_in_any_window(counted, 10) <= 5


def test_buckets_are_per_team_and_per_family_and_per_ai_code_endpoint():
    clock = FakeClock()
    limiter = InProcessRateLimiter(
        {"admin": 1, "ai_code": 1}, window_seconds=60, clock=clock, sleep=clock.sleep
    )
    for team, family in [
        ("a", "admin"),
        ("b", "admin"),
        ("a", "usage_events"),
        ("a", "ai_code:commits"),
        ("a", "ai_code:changes"),
    ]:
        limiter.acquire(team, family)
    assert clock.now == 1000.0  # nobody had to wait
    limiter.acquire("a", "ai_code:commits")
    assert clock.now > 1000.0


def test_in_process_is_thread_safe_in_real_time():
    limiter = InProcessRateLimiter({"admin": 5}, window_seconds=0.5, margin_seconds=0.1)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(4):
            limiter.acquire("team", "admin")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 20
    assert max_in_any_window(stamps, 0.5) <= 5


def test_client_requests_never_exceed_the_limit_in_real_time():
    """The client + in-process limiter, timed at the transport (1-second window, 5 per window)."""
    fake = FakeCursor()

    def handler(request):
        page = int(request.read() and __import__("json").loads(request.content)["page"])
        return ok({"usageEvents": [usage_event(page)], "pagination": {"hasNextPage": page < 16}})

    fake.route("POST", "/teams/filtered-usage-events", handler)
    limiter = InProcessRateLimiter({"usage_events": 5}, window_seconds=1.0, margin_seconds=0.1)
    waits = []
    client = fake.client(limiter=limiter, on_wait=lambda s, r: waits.append(r))
    started = time.monotonic()
    events = list(client.usage_events(datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 8, 2, tzinfo=UTC)))
    assert len(events) == 16
    assert max_in_any_window(fake.times, 1.0) <= 5
    assert time.monotonic() - started >= 3.0  # 16 requests at 5/s need at least 3 full windows
    assert waits and set(waits) == {"rate limit"}


def test_no_rate_limit_admits_everything():
    limiter = NoRateLimit()
    for _ in range(1000):
        limiter.acquire("t", "admin")


def test_default_limiter_is_in_process_without_redis_url(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(ratelimit, "_default_limiters", {})
    limiter = get_default_limiter()
    assert isinstance(limiter, InProcessRateLimiter)
    assert get_default_limiter() is limiter  # one per process, shared by all clients


def test_default_limiter_is_redis_with_redis_url(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setattr(ratelimit, "_default_limiters", {})
    assert isinstance(get_default_limiter(), RedisRateLimiter)


@needs_redis
def test_redis_limiter_never_exceeds_rate_across_instances():
    """Two limiter instances (think: two worker processes) share one budget per team."""
    prefix = f"test:rl:{uuid.uuid4().hex}"
    limiters = [
        RedisRateLimiter(REDIS_URL, {"admin": 4}, window_seconds=0.5, margin_seconds=0.1, key_prefix=prefix)
        for _ in range(2)
    ]
    stamps: list[float] = []
    lock = threading.Lock()

    def worker(limiter):
        for _ in range(6):
            limiter.acquire("team", "admin")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(limiters[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 24
    assert max_in_any_window(stamps, 0.5) <= 4
    assert max(stamps) - min(stamps) >= 2.5  # 24 at 4 per 0.5 s needs 5 more windows


@needs_redis
def test_redis_limiter_counts_an_admitted_request_from_its_answer():
    prefix = f"test:rl:{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(
        REDIS_URL, {"admin": 1}, window_seconds=30, margin_seconds=0, key_prefix=prefix
    )
    waits = []
    limiter._sleep = waits.append
    in_flight = limiter.admitted("a", "admin")
    in_flight.__enter__()
    # While the first request is in flight its slot is taken: the second polls.
    assert limiter._try_acquire("a", "admin", 1, "second") == shared_ratelimit.IN_FLIGHT_POLL_SECONDS
    in_flight.__exit__(None, None, None)
    # Once answered, the request counts from its answer: about one window to wait.
    assert 29 <= limiter._try_acquire("a", "admin", 1, "second") <= 30
    key = f"{prefix}:a:admin"
    members = limiter._redis.zrange(key, 0, -1)
    assert len(members) == 1 and members[0].startswith(b"a:")  # answered, no longer in flight
    assert 29 <= limiter._redis.pttl(key) / 1000 - shared_ratelimit.IN_FLIGHT_SECONDS <= 32
    limiter._redis.delete(key)


@needs_redis
def test_redis_limiter_separates_teams_and_families():
    prefix = f"test:rl:{uuid.uuid4().hex}"
    waits = []
    limiter = RedisRateLimiter(REDIS_URL, {"admin": 1, "ai_code": 1}, window_seconds=30, key_prefix=prefix)
    limiter._sleep = lambda s: waits.append(s)
    for team, family in [("a", "admin"), ("b", "admin"), ("a", "ai_code:commits"), ("a", "ai_code:changes")]:
        limiter.acquire(team, family)
    assert waits == []

    # A second "a/admin" must wait about one window; stop at the first wait.
    class Stop(Exception):
        pass

    def sleep(seconds):
        waits.append(seconds)
        raise Stop

    limiter._sleep = sleep
    with pytest.raises(Stop):
        limiter.acquire("a", "admin")
    assert len(waits) == 1 and 29 <= waits[0] <= 31


def test_redis_limiter_falls_back_when_redis_is_down(caplog):
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", {"admin": 2}, window_seconds=60)
    limiter.acquire("t", "admin")
    limiter.acquire("t", "admin")
    assert "Redis unavailable" in caplog.text
    assert limiter._fallback._try_acquire("t", "admin", 2) > 0  # the fallback counted both


def test_client_uses_its_limiter_per_family_and_team():
    calls = []

    class Recording(NoRateLimit):
        def acquire(self, team_id, family, on_wait=None):
            calls.append((team_id, family))

    fake = FakeCursor()
    fake.route("GET", "/teams/members", ok({"teamMembers": []}))
    fake.route("GET", "/analytics/team/dau", ok({"data": []}))
    fake.route("GET", "/analytics/ai-code/changes", ok({"items": []}))
    client = fake.client(limiter=Recording())
    client.members()
    client.analytics("dau", date(2026, 8, 1), date(2026, 8, 1))
    list(client.ai_code_changes(date(2026, 8, 1), date(2026, 8, 1)))
    team = team_id_for_key(API_KEY)
    assert calls == [(team, "admin"), (team, "analytics_team"), (team, "ai_code:changes")]
