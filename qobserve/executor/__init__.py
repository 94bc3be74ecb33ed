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
* a breaker per backend (:class:`BreakerPolicy`) skips backends that keep failing, exported
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

Telemetry: a ``qobserve executor job`` span per logical job; a child span per
attempt when the job needed more than one (a job answered by its first
attempt carries that attempt's job id and cost on the job span itself);
``quantum_job_retries_total``, ``quantum_job_fallbacks_total``,
``quantum_executor_breaker_state``.

Hooks (stamina-style: a callable, or a sequence of them, taking one frozen
details object; called in order in the job's thread, inside the job span)::

    def log_retry(d: RetryDetails) -> None:
        log.warning("retrying %s on %s in %.1fs: %s", d.client_id, d.backend, d.delay, d.error_type)

    executor = ResilientExecutor(
        targets,
        on_attempt=record_attempt,      # AttemptDetails after each attempt ends
        on_retry=[log_retry, page_if],  # RetryDetails before each backoff sleep
        on_fallback=note_fallback,      # FallbackDetails when the job moves on
    )

The OpenTelemetry telemetry above (attempt spans, retry and fallback
counters) is itself the first hook of each list; ``default_hooks=False``
drops it and leaves only yours (the job span and the breaker gauge stay). A
hook that raises is logged on ``qobserve.executor`` and never changes the job.
"""

from qobserve.executor._classical import ClassicalTarget
from qobserve.executor._convert import ConversionError
from qobserve.executor._executor import ResilientExecutor, Target
from qobserve.executor._hooks import AttemptDetails, FallbackDetails, RetryDetails
from qobserve.executor._policies import (
    BreakerPolicy,
    ConnectionPolicy,
    ExecutorPolicy,
    GatePolicy,
    IdempotencyPolicy,
    Price,
    RetryPolicy,
    load_policy,
)
from qobserve.executor._provenance import Attempt, ExecutionResult, JobFailedError, Provenance, Skip
from qobserve.executor._retry import RetryBudget

# What users import; the rest (Backend, adapt, convert, Breaker, …) stays in the
# private modules for the project's own use and for writing new backends.
__all__ = [
    "Attempt",
    "AttemptDetails",
    "BreakerPolicy",
    "ClassicalTarget",
    "ConnectionPolicy",
    "ConversionError",
    "ExecutionResult",
    "ExecutorPolicy",
    "FallbackDetails",
    "GatePolicy",
    "IdempotencyPolicy",
    "JobFailedError",
    "Price",
    "Provenance",
    "ResilientExecutor",
    "RetryBudget",
    "RetryDetails",
    "RetryPolicy",
    "Skip",
    "Target",
    "load_policy",
]
