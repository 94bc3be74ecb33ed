"""Cost of quantum jobs: a dated pricing table, estimates, actual costs, budgets.

    from qobserve.cost import Budget, estimate, job_cost

    est = estimate("braket:arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1", shots=100)
    print(est)        # $3.3 (1 task(s) x ($0.3 per task + 100 shots x $0.03 per shot); ...)

    team = Budget("team", limit_usd=100, period="month")
    with team.reserve(est.usd) as r:          # BudgetExceededError before any spend
        ...submit, wait...
        r.settle(job_cost("braket", "Aria-1", shots=100))

Prices come from ``prices.yaml`` shipped with this package (versioned and
dated, sources cited in its comments); override it with ``QOBSERVE_PRICES`` or
:func:`use_prices`. Estimates are offline: no device object, no API call.
Spend is persisted in SQLite by default (one machine) or Redis (a team budget
shared by many processes and machines); reservations are atomic in both, so
concurrent submissions never overshoot a hard limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qobserve._lazy import lazy_attributes
from qobserve.cost.estimate import Estimate, estimate, job_cost
from qobserve.cost.table import (
    PriceRule,
    PriceTable,
    PricingError,
    current_table,
    load_table,
    use_prices,
)

if TYPE_CHECKING:
    from qobserve.cost.budget import Budget, BudgetExceededError, BudgetStore, Hold, Reservation
    from qobserve.cost.store_redis import RedisBudgetStore
    from qobserve.cost.store_sqlite import BudgetStoreError, SqliteBudgetStore

__all__ = [
    "Budget",
    "BudgetExceededError",
    "BudgetStore",
    "BudgetStoreError",
    "Estimate",
    "Hold",
    "PriceRule",
    "PriceTable",
    "PricingError",
    "RedisBudgetStore",
    "Reservation",
    "SqliteBudgetStore",
    "current_table",
    "estimate",
    "job_cost",
    "load_table",
    "use_prices",
]

# Budgets pull in OpenTelemetry and a store; job_cost callers need neither.
__getattr__ = lazy_attributes(
    __name__,
    {
        "Budget": "qobserve.cost.budget",
        "BudgetExceededError": "qobserve.cost.budget",
        "BudgetStore": "qobserve.cost.budget",
        "Hold": "qobserve.cost.budget",
        "Reservation": "qobserve.cost.budget",
        "BudgetStoreError": "qobserve.cost.store_sqlite",
        "SqliteBudgetStore": "qobserve.cost.store_sqlite",
        "RedisBudgetStore": "qobserve.cost.store_redis",
    },
)
