"""Resilient execution of quantum jobs across backends and providers.

Usage::

    from qobserve.executor import ResilientExecutor, RetryPolicy, GatePolicy, Target

    executor = ResilientExecutor(
        ["qiskit:fake_manila", "braket:local", "cirq:simulator"],   # order of preference
        retry=RetryPolicy(max_attempts=3, initial=0.5, maximum=30),
        gates=GatePolicy(max_calibration_age="24h", max_pending_jobs=200),
        deadline=3600,                  # per logical job, queue time included (default 24 h)
        budget=my_budget,               # qobserve.cost.Budget: reserve before submit
    )
    result = executor.run(circuit, shots=1000)
    result.counts, result.provenance.backend, result.provenance.attempts

Policies can also come from a YAML file (unknown keys are errors naming the field)::

    executor = ResilientExecutor.from_policy(targets, load_policy("policy.yaml"))

``run_many`` / ``arun`` / ``arun_many`` keep ``concurrency`` logical jobs in flight.

What it does for each logical job:

* transient errors are retried on the same backend with capped exponential
  backoff and full jitter (tenacity), never sooner than a provider's
  Retry-After, within the job deadline and a shared :class:`RetryBudget`
  (AWS standard retry mode token bucket) so a failing backend cannot cause a
  retry storm;
* permanent errors (validation, auth, quota) are never retried on a backend;
  reroute errors (offline, maintenance) move straight to the next target;
* fallback crosses SDKs through OpenQASM (a construct that cannot cross fails
  with :class:`ConversionError` naming it);
* a :class:`Breaker` per backend skips backends that keep failing, exported
  as ``quantum_executor_breaker_state``; gates skip stale, non-operational or
  over-queued backends; the budget gate raises ``BudgetExceededError``;
* a late job is cancelled before anything is resubmitted, or adopted when it
  finished meanwhile; every submission carries the job's stable client id;
* nothing waits forever: ``deadline`` defaults to 24 h and
  ``retry.attempt_timeout`` to 6 h; cloud targets connect lazily, on the first
  job that reaches them, within :class:`ConnectionPolicy` bounds (an
  unreachable one is skipped with the reason in ``provenance.skipped``);
* a client id runs once per executor: a second ``run``/``run_many`` with it
  returns the first result or joins the job in flight; a submission whose
  outcome is unknown is looked up by client id (Braket tag and clientToken,
  IBM job tag) before anything is resubmitted.

A :class:`ClassicalTarget` as the last target keeps inference answering when
every quantum target is skipped or failed (never before)::

    ResilientExecutor(["qiskit:ibm_brisbane", "braket:arn:…", ClassicalTarget("classical", model)])

Its answer says ``provenance.backend == "classical"``, ``provenance.classical_reason``
gives the quantum targets' reasons, and ``quantum_job_fallbacks_total{to_backend="classical"}``
counts it. It costs nothing, passes no breaker or gate, and is never retried.

Telemetry: a ``qobserve executor job`` span per logical job with one child span
per attempt; ``quantum_job_retries_total``, ``quantum_job_fallbacks_total``.
"""

from qobserve.executor._breaker import Breaker, BreakerState
from qobserve.executor._classical import ClassicalTarget
from qobserve.executor._cloud import TargetUnreachableError
from qobserve.executor._convert import ConversionError, convert
from qobserve.executor._executor import ResilientExecutor, Target
from qobserve.executor._policies import (
    DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_DEADLINE,
    BreakerPolicy,
    ConnectionPolicy,
    ExecutorPolicy,
    GatePolicy,
    IdempotencyPolicy,
    Price,
    RetryBudgetPolicy,
    RetryPolicy,
    load_policy,
)
from qobserve.executor._provenance import Attempt, ExecutionResult, JobFailedError, Provenance, Skip
from qobserve.executor._retry import RetryBudget
from qobserve.executor._runner import Backend, Submission, adapt

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_DEADLINE",
    "Attempt",
    "Backend",
    "Breaker",
    "BreakerPolicy",
    "BreakerState",
    "ClassicalTarget",
    "ConnectionPolicy",
    "ConversionError",
    "ExecutionResult",
    "ExecutorPolicy",
    "GatePolicy",
    "IdempotencyPolicy",
    "JobFailedError",
    "Price",
    "Provenance",
    "ResilientExecutor",
    "RetryBudget",
    "RetryBudgetPolicy",
    "RetryPolicy",
    "Skip",
    "Submission",
    "Target",
    "TargetUnreachableError",
    "adapt",
    "convert",
    "load_policy",
]
