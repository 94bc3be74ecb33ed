"""Budget spend in Redis: one team budget shared by many processes and machines.

Each budget is two keys sharing a hash tag (so they live in one Redis Cluster
slot): a sorted set of reservation ids scored by time, and a hash of id →
amount in integer nano-dollars. Reserving runs one Lua script, which Redis
executes atomically: it sums the period and adds the reservation only if the
limit still holds, so no interleaving of clients can overshoot. Lua numbers
are doubles, exact for sums up to 2**53 nano-dollars (about $9 million).
Entries older than ``keep_seconds`` (longer than any budget period) are pruned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis

from qobserve.cost.store_sqlite import BudgetStoreError

if TYPE_CHECKING:
    from redis.commands.core import Script

    from qobserve.cost.budget import Hold

__all__ = ["RedisBudgetStore"]

_KEEP_SECONDS = 40 * 86400  # > a calendar month or a rolling 30 days

# KEYS: times zset, amounts hash, settled set. ARGV: since, now, nanos, limit (-1: none), id, keep.
_RESERVE = """
local since, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local nanos, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[6])))
for i = 1, #old do
  redis.call('ZREM', KEYS[1], old[i])
  redis.call('HDEL', KEYS[2], old[i])
  redis.call('SREM', KEYS[3], old[i])
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf')
local spent = 0
for i = 1, #ids do
  spent = spent + (tonumber(redis.call('HGET', KEYS[2], ids[i])) or 0)
end
if limit >= 0 and spent + nanos > limit then
  return {0, string.format('%.0f', spent)}
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[3])
return {1, string.format('%.0f', spent + nanos)}
"""

# KEYS: times zset, amounts hash, settled set. ARGV: id, nanos, now.
_SETTLE = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

# KEYS: times zset, amounts hash, settled set. ARGV: id. Settled spend stays.
_RELEASE = """
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# KEYS: times zset, amounts hash. ARGV: since.
_SPENT = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local spent = 0
for i = 1, #ids do
  spent = spent + (tonumber(redis.call('HGET', KEYS[2], ids[i])) or 0)
end
return string.format('%.0f', spent)
"""


class RedisBudgetStore:
    """Spend of budgets kept in Redis; atomic reservations via Lua scripts.

    Args:
        client: a ``redis.Redis`` client, or a URL such as ``redis://host:6379/0``.
        prefix: key prefix; keys are ``{prefix}:{<budget>}:times`` and friends.
        keep_seconds: how long entries are kept (must exceed the longest period).
    """

    def __init__(
        self,
        client: redis.Redis | str,
        *,
        prefix: str = "qobserve:budget",
        keep_seconds: float = _KEEP_SECONDS,
    ) -> None:
        self.client = redis.Redis.from_url(client) if isinstance(client, str) else client
        self.prefix = prefix
        self.keep_seconds = keep_seconds
        self._reserve = self.client.register_script(_RESERVE)
        self._settle = self.client.register_script(_SETTLE)
        self._release = self.client.register_script(_RELEASE)
        self._spent = self.client.register_script(_SPENT)

    def __repr__(self) -> str:
        return f"RedisBudgetStore(prefix={self.prefix!r})"

    def _keys(self, budget: str) -> list[str]:
        base = f"{self.prefix}:{{{budget}}}"
        return [f"{base}:times", f"{base}:nanos", f"{base}:settled"]

    def _call(self, script: Script, keys: list[str], args: list[str | int | float]) -> Any:
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            # The message never carries the URL (it may hold a password).
            raise BudgetStoreError(
                f"budget store {self!r}: Redis error {type(exc).__name__}: {exc}; "
                f"recorded spend is unchanged"
            ) from None

    def reserve(self, hold: Hold) -> tuple[bool, int]:
        """Atomically add a reservation unless it would take spend past the limit
        (:meth:`BudgetStore.reserve <qobserve.cost.BudgetStore.reserve>`)."""
        ok, spent = self._call(
            self._reserve,
            self._keys(hold.budget),
            [
                repr(hold.since),
                repr(hold.now),
                hold.nanos,
                -1 if hold.limit_nanos is None else hold.limit_nanos,
                hold.rid,
                self.keep_seconds,
            ],
        )
        return bool(int(ok)), int(spent)

    def settle(self, budget: str, rid: str, nanos: int, *, now: float) -> None:
        """Record the actual amount of a reservation (adding it if it is missing)."""
        self._call(self._settle, self._keys(budget), [rid, nanos, repr(now)])

    def release(self, budget: str, rid: str) -> None:
        """Drop a reservation whose job never ran (settled spend stays)."""
        self._call(self._release, self._keys(budget), [rid])

    def spent(self, budget: str, *, since: float) -> int:
        """Settled plus reserved nano-dollars since ``since`` (Unix time)."""
        return int(self._call(self._spent, self._keys(budget)[:2], [repr(since)]))
