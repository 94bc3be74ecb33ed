"""RB probe: run standard RB on a backend, fit it, and record the fidelity.

One span per probe (``{provider} {backend} rb``) carries the fit parameters and
the calibration timestamp the backend reported when the probe ran, so RB
fidelity can be plotted against the provider's own calibration. On a good fit
the gauges ``quantum_rb_error_per_clifford`` and ``quantum_fidelity_ratio
{method="rb"}`` are set (and, interleaving, ``quantum_backend_gate_error_ratio
{gate, source="rb"}``); a bad fit sets neither and marks the span as an error.
The probe's jobs are submitted through the SDK's normal calls and so appear,
as child spans, in job metrics when the SDK is instrumented.

With ``interleave=GATE`` the probe also runs interleaved RB (Magesan et al.
2012): the same random Cliffords with the gate after each, submitted in the
same job as the reference, and reports the gate's error with a bootstrap
interval and the paper's systematic bounds (:mod:`.irb_analysis`).

The backend ``stim`` is the fast local path: the same sequences on stim's
stabilizer sampler with depolarizing noise and readout flips, for pipeline
health checks and what-ifs on a noise model in well under a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from opentelemetry.trace import Status, StatusCode

from qobserve.backends import BackendKind, BackendSpec, NoiseSpec, parse_backend, parse_noise
from qobserve.benchmarking.adaptive import AdaptiveRun, relative_precision, run_adaptive
from qobserve.benchmarking.irb_analysis import InterleavedFit, analyze_interleaved
from qobserve.benchmarking.irb_experiment import InterleavedRBExperiment
from qobserve.benchmarking.options import native_gates
from qobserve.benchmarking.rb_analysis import RBData, RBFit, analyze
from qobserve.benchmarking.rb_experiment import RBExperiment
from qobserve.benchmarking.runners import Progress, load_device, run_circuits, run_stim
from qobserve.instrumentation._job import job_telemetry
from qobserve.semconv import (
    BACKEND_LABEL,
    GATE_ERROR_RB,
    QUANTUM_BACKEND_GATE_ERROR_RATIO,
    QUANTUM_FIDELITY_RATIO,
    QUANTUM_RB_ERROR_PER_CLIFFORD,
    Attr,
    Provider,
)

__all__ = ["STIM", "RBResult", "run_rb"]

log = logging.getLogger("qobserve.benchmarking")

#: Backend spec of the stim fast path (``quantum_provider``/``quantum_backend`` = ``stim``).
STIM = "stim"


@dataclass(frozen=True)
class RBResult:
    """One RB probe: where it ran, the data, the fit and how long it took."""

    backend: str
    provider: str
    backend_name: str
    experiment: RBExperiment
    shots: int
    survival: np.ndarray = field(repr=False)
    fit: RBFit
    elapsed_s: float
    calibration_timestamp: float | None = None
    noise: str | None = None
    interleaved: InterleavedFit | None = None
    interleaved_survival: np.ndarray | None = field(default=None, repr=False)
    adaptive: AdaptiveRun | None = None

    @property
    def total_shots(self) -> int:
        """Shots spent, every round (and the adaptive pilot) included."""
        if self.adaptive is not None:
            return self.adaptive.total_shots
        sets = 1 if self.interleaved_survival is None else 2
        return sets * self.survival.size * self.shots

    @property
    def precision(self) -> float | None:
        """Relative half-width of the 95 % interval: on the gate error when interleaving,
        else on EPC (None without numbers)."""
        irb = self.interleaved
        if irb is None:
            return relative_precision(self.fit.epc, self.fit.epc_ci)
        return relative_precision(irb.gate_error, irb.gate_error_ci)

    @property
    def data(self) -> RBData:
        return RBData(
            self.experiment.num_qubits, self.experiment.lengths or (), self.survival, self.shots
        )

    @property
    def interleaved_data(self) -> RBData | None:
        """The interleaved curve's survival, when the probe interleaved a gate."""
        if self.interleaved_survival is None:
            return None
        return RBData(
            self.experiment.num_qubits,
            self.experiment.lengths or (),
            self.interleaved_survival,
            self.shots,
        )

    @property
    def ok(self) -> bool:
        """The reference fit and, when interleaving, the gate's estimate have numbers."""
        return self.fit.ok and (self.interleaved is None or self.interleaved.ok)

    def to_json(self) -> dict[str, Any]:
        """The ``qobserve rb --json`` document (contract keys plus status/error and extras)."""
        f = self.fit
        doc: dict[str, Any] = {
            "backend": self.backend,
            "qubits": list(self.experiment.qubits),
            "epc": f.epc,
            "epc_ci": list(f.epc_ci) if f.epc_ci else None,
            "alpha": f.alpha,
            "fidelity": f.fidelity,
            "lengths": list(self.experiment.lengths or ()),
            "num_samples": self.experiment.num_samples,
            "shots": self.shots,
            "elapsed_s": round(self.elapsed_s, 4),
            "status": f.status.value,
            "error": None if f.ok else f.message,
            "pauli_error": f.pauli_error,
            "epc_convention": "average gate infidelity (1-alpha)(d-1)/d",
            "provider": self.provider,
            BACKEND_LABEL: self.backend_name,
            "noise": self.noise,
            "calibration_timestamp": self.calibration_timestamp,
            "survival_mean": [round(float(v), 6) for v in self.survival.mean(0)],
            "gate": None,
            "gate_error": None,
            "gate_error_ci": None,
            "gate_error_systematic_bounds": None,
            "total_shots": self.total_shots,
            "rounds": 1 if self.adaptive is None else self.adaptive.rounds,
            "precision": self.precision,
            "target_precision": None if self.adaptive is None else self.adaptive.target,
        }
        if self.adaptive is not None:
            doc.update(
                pilot_lengths=list(self.adaptive.pilot_lengths),
                b_fixed_by_design=self.adaptive.asymptote is not None,
            )
        irb = self.interleaved
        if irb is not None:
            assert self.interleaved_survival is not None  # measured with the interleaved fit
            ci, bounds = irb.gate_error_ci, irb.systematic_bounds
            doc.update(
                gate=irb.gate,
                gate_error=irb.gate_error,
                gate_error_ci=list(ci) if ci else None,
                gate_error_systematic_bounds=list(bounds) if bounds else None,
                interleaved_alpha=irb.interleaved.alpha,
                interleaved_epc=irb.interleaved.epc,
                interleaved_survival_mean=[
                    round(float(v), 6) for v in self.interleaved_survival.mean(0)
                ],
            )
            if f.ok and not irb.ok:
                doc.update(status=irb.interleaved.status.value, error=irb.message)
        return doc


def _calibration_timestamp(spec: BackendSpec, device: Any) -> float | None:
    """The backend's calibration time, when its SDK's device module can read it
    (a simulator has none: its instrumentation package is not even imported)."""
    if spec.kind is BackendKind.SIMULATOR:
        return None
    try:
        from qobserve.calibration import read_calibration

        return read_calibration(spec, device).timestamp
    except ImportError:  # that SDK's device module is not installed (yet)
        return None
    except Exception:  # calibration is context for the probe, never a reason to fail it
        log.debug("rb: no calibration for %s", spec.spec, exc_info=True)
        return None


def _resolve(
    backend: str | BackendSpec, noise: str | NoiseSpec | None
) -> tuple[BackendSpec | None, NoiseSpec | None]:
    noise_spec = noise if isinstance(noise, NoiseSpec) else parse_noise(noise)
    if isinstance(backend, BackendSpec):
        noise_spec = backend.noise if noise_spec is None else noise_spec
        _check_noise_target(backend, noise_spec)
        return backend, noise_spec
    if backend == STIM:
        return None, noise_spec
    spec = parse_backend(backend, noise_spec)
    _check_noise_target(spec, spec.noise)
    return spec, spec.noise


def _check_noise_target(spec: BackendSpec, noise: NoiseSpec | None) -> None:
    """A Google virtual engine validates circuits against its device gate set, so an
    injected channel cannot be added; it already carries the device's own noise."""
    if noise is not None and spec.provider is Provider.CIRQ and spec.kind is BackendKind.VIRTUAL:
        raise ValueError(
            f"noise: {spec.spec} already simulates its device noise and accepts only its "
            "native gates; drop the injected noise or use cirq:density_matrix"
        )


def run_rb(
    backend: str | BackendSpec,
    qubits: Sequence[int] = (0,),
    *,
    lengths: Sequence[int] | None = None,
    num_samples: int = 30,
    shots: int = 1024,
    seed: int | None = None,
    noise: str | NoiseSpec | None = None,
    readout_error: float = 0.0,
    device: Any = None,
    tracer_provider=None,
    meter_provider=None,
    progress: Progress | None = None,
    interleave: str | None = None,
    target_precision: float | None = None,
    max_shots: int | None = None,
) -> RBResult:
    """Run one RB probe and record its telemetry.

    Args:
        backend: a backend spec (``qiskit:aer``, ``braket:local_dm``, …) or ``"stim"``.
        qubits: one or two physical qubits.
        lengths: Clifford counts (default per qubit count, see ``DEFAULT_LENGTHS``).
        num_samples: random sequences per length.
        shots: shots per circuit.
        seed: seeds sequences, simulator sampling and the bootstrap.
        noise: ``depolarizing:λ`` applied once after every Clifford (simulators only).
        readout_error: bit-flip probability at measurement (``stim`` only).
        device: an already built SDK object for ``backend`` (default: built here);
            ignored when noise is injected, since the noise must act once per Clifford.
        tracer_provider / meter_provider: OpenTelemetry providers (default: global).
        progress: ``progress(done, total)`` as circuits complete.
        interleave: also run interleaved RB of this gate (``x``/``sx`` on one qubit,
            ``cx``/``cz``/``ecr`` on two, the first qubit the control) and estimate its error.
        target_precision: run the adaptive design (:mod:`.adaptive`) until the 95 %
            interval's relative half-width on EPC (on the gate error, interleaving) is
            at most this; ``lengths`` and ``num_samples`` then only set ``max_shots``'s default.
        max_shots: the adaptive run's shot budget, pilot included (default: what the
            fixed design of ``lengths`` × ``num_samples`` × ``shots`` would spend).

    Returns:
        An :class:`RBResult`; ``result.fit.status`` says whether numbers are present.

    Raises:
        ValueError: naming the bad argument.
    """
    t0 = time.perf_counter()
    spec, noise_spec = _resolve(backend, noise)
    if shots < 1:
        raise ValueError(f"shots: need at least 1 shot per circuit, got {shots}")
    if not 0.0 <= readout_error <= 0.5:
        raise ValueError(
            f"readout_error: flip probability must be in [0, 0.5], got {readout_error}"
        )
    if readout_error and spec is not None:
        raise ValueError(
            "readout_error: only the 'stim' backend simulates readout flips; "
            "drop it or use --backend stim"
        )
    if target_precision is not None and not 0.0 < target_precision < 1.0:
        raise ValueError(
            f"target_precision: expected a relative half-width in (0, 1), got {target_precision}"
        )
    experiment = RBExperiment(tuple(qubits), tuple(lengths) if lengths else None, num_samples, seed)
    sets = 1
    if interleave is not None:
        InterleavedRBExperiment(experiment, interleave)  # checks the gate against the qubits
        sets = 2
        if spec is not None:
            _check_gate_on_sdk(spec, interleave)
    provider, name = (STIM, STIM) if spec is None else (spec.provider.value, spec.name)
    telemetry = job_telemetry(tracer_provider, meter_provider)
    labels = {
        Attr.PROVIDER.value: provider,
        Attr.BACKEND.value: name,
        Attr.QUBITS.value: experiment.label,
    }
    attrs: dict[str, Any] = {**labels, Attr.METHOD.value: "rb"}
    if noise_spec is not None:
        attrs[Attr.RB_NOISE.value] = str(noise_spec)
    if interleave is not None:
        attrs[_GATE_ATTR] = interleave
    with telemetry.tracer.start_as_current_span(f"{provider} {name} rb", attributes=attrs) as span:
        calibrated = None
        if spec is not None:
            spec = replace(spec, noise=noise_spec)
            if device is None or noise_spec is not None:
                # Injected noise goes into the circuits once per Clifford, so the probe builds
                # its own simulator: a caller's spec.load() would add per-gate noise as well.
                device = load_device(spec, seed)
            calibrated = _calibration_timestamp(spec, device)
            if calibrated is not None:
                span.set_attribute(Attr.CALIBRATION_TIMESTAMP.value, calibrated)
        measure = _Measure(
            spec, device, noise_spec, experiment.qubits, readout_error, interleave, progress
        )
        adaptive = None
        if target_precision is None:
            survival, inter = measure(experiment.lengths or (), num_samples, shots, seed)
            data = RBData(experiment.num_qubits, experiment.lengths or (), survival, shots)
            fit = analyze(data, seed=seed)
            irb_fit = None
            if inter is not None and interleave is not None:  # both or neither
                irb_fit = analyze_interleaved(
                    data,
                    RBData(experiment.num_qubits, experiment.lengths or (), inter, shots),
                    gate=interleave,
                    seed=seed,
                )
        else:
            budget = max_shots or sets * num_samples * len(experiment.lengths or ()) * shots
            outcome = run_adaptive(
                measure,
                num_qubits=experiment.num_qubits,
                shots=shots,
                target=target_precision,
                max_shots=budget,
                seed=seed,
                gate=interleave,
            )
            survival, inter, fit, irb_fit, adaptive = (
                outcome.survival,
                outcome.interleaved_survival,
                outcome.fit,
                outcome.interleaved,
                outcome.run,
            )
            experiment = RBExperiment(experiment.qubits, outcome.lengths, len(survival), seed)
            _record_adaptive(span, adaptive)
        span.set_attribute(Attr.RB_LENGTHS.value, list(experiment.lengths or ()))
        span.set_attribute(Attr.RB_SAMPLES.value, experiment.num_samples)
        _record(span, telemetry, labels, fit)
        if irb_fit is not None:
            _record_gate(span, telemetry, labels, irb_fit)
    result = RBResult(
        backend if isinstance(backend, str) else backend.spec,
        provider,
        name,
        experiment,
        shots,
        survival,
        fit,
        time.perf_counter() - t0,
        calibrated,
        None if noise_spec is None else str(noise_spec),
        irb_fit,
        inter,
        adaptive,
    )
    from qobserve.training.track import current_run  # lazy: RB does not need training

    if (run := current_run()) is not None:  # a probe inside a training run joins its record
        run.record_rb(result)
    return result


@dataclass(frozen=True)
class _Measure:
    """One round of RB on a loaded device (or stim): fresh sequences at ``lengths``, their
    survival per sample and length, and the interleaved curve's when interleaving."""

    spec: BackendSpec | None
    device: Any
    noise: NoiseSpec | None
    qubits: tuple[int, ...]
    readout_error: float
    interleave: str | None
    progress: Progress | None

    def __call__(
        self, lengths: Sequence[int], samples: int, shots: int, seed: int | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        experiment = RBExperiment(self.qubits, tuple(lengths), samples, seed)
        if self.interleave is None:
            circuits = experiment.circuits()
        else:
            reference, interleaved = InterleavedRBExperiment(experiment, self.interleave).circuits()
            circuits = reference + interleaved  # one job: both curves see the same device state
        if self.spec is None:
            n = experiment.num_qubits
            survival = run_stim(
                circuits,
                n,
                shots=shots,
                depolarizing=self.noise.pauli_probability(n) if self.noise else 0.0,
                readout_error=self.readout_error,
                seed=seed,
                progress=self.progress,
            )
        else:
            survival = run_circuits(
                self.spec,
                self.device,
                circuits,
                self.qubits,
                shots=shots,
                seed=seed,
                progress=self.progress,
                interleave=self.interleave,
            )
        rows = survival.reshape(-1, samples, len(lengths))
        return rows[0], (rows[1] if self.interleave is not None else None)


def _record_adaptive(span, run: AdaptiveRun) -> None:
    span.set_attribute(_ROUNDS_ATTR, run.rounds)
    span.set_attribute(_TOTAL_SHOTS_ATTR, run.total_shots)
    span.set_attribute(_TARGET_ATTR, run.target)
    if run.precision is not None:
        span.set_attribute(_PRECISION_ATTR, run.precision)


# Span attributes of an adaptive run (span-only; no metric label).
_ROUNDS_ATTR = "quantum.rb.rounds"
_TOTAL_SHOTS_ATTR = "quantum.rb.total_shots"
_TARGET_ATTR = "quantum.rb.target_precision"
_PRECISION_ATTR = "quantum.rb.precision"


# Span attributes of interleaved RB (span-only, like quantum.rb.alpha; no metric label).
_GATE_ATTR = "quantum.rb.gate"
_GATE_ERROR_ATTR = "quantum.rb.gate_error"


def _check_gate_on_sdk(spec: BackendSpec, gate: str) -> None:
    """Refuse a gate the SDK cannot run as one native gate (a decomposition would
    benchmark a different sequence)."""
    native = native_gates(spec.spec)
    if native is not None and gate not in native:
        raise ValueError(
            f"interleave: {spec.spec} has no native {gate!r} gate; choose from {', '.join(native)}"
        )


def _record_gate(span, telemetry, labels: dict[str, str], irb: InterleavedFit) -> None:
    if not irb.ok:
        span.set_status(Status(StatusCode.ERROR, f"interleaved rb: {irb.message}"))
        return
    assert irb.gate_error_ci is not None  # set when ok
    span.set_attribute(_GATE_ERROR_ATTR, irb.gate_error)
    span.set_attribute(f"{_GATE_ERROR_ATTR}.ci_low", irb.gate_error_ci[0])
    span.set_attribute(f"{_GATE_ERROR_ATTR}.ci_high", irb.gate_error_ci[1])
    telemetry[QUANTUM_BACKEND_GATE_ERROR_RATIO].set(
        irb.gate_error, {**labels, Attr.GATE.value: irb.gate, Attr.SOURCE.value: GATE_ERROR_RB}
    )


def _record(span, telemetry, labels: dict[str, str], fit: RBFit) -> None:
    span.set_attribute(Attr.RB_FIT_STATUS.value, fit.status.value)
    if not fit.ok:
        span.set_status(Status(StatusCode.ERROR, f"rb fit {fit.status.value}: {fit.message}"))
        log.info(
            "rb on %s qubits %s: %s (%s)",
            labels[Attr.BACKEND.value],
            labels[Attr.QUBITS.value],
            fit.status.value,
            fit.message,
        )
        return
    for key, value in (
        (Attr.RB_ALPHA, fit.alpha),
        (Attr.RB_A, fit.a),
        (Attr.RB_B, fit.b),
        (Attr.RB_EPC, fit.epc),
        (Attr.RB_PAULI_ERROR, fit.pauli_error),
        (Attr.RB_FIDELITY, fit.fidelity),
    ):
        if value is not None:  # every number is set when the fit is ok
            span.set_attribute(key.value, float(value))
    assert fit.epc_ci is not None
    span.set_attribute(Attr.RB_EPC_CI_LOW.value, fit.epc_ci[0])
    span.set_attribute(Attr.RB_EPC_CI_HIGH.value, fit.epc_ci[1])
    telemetry[QUANTUM_RB_ERROR_PER_CLIFFORD].set(fit.epc, labels)
    telemetry[QUANTUM_FIDELITY_RATIO].set(fit.fidelity, {**labels, Attr.METHOD.value: "rb"})
