"""``qobserve rb`` arguments: parsed from the command line's text and checked against limits.

Every option arrives as text, so a typo is reported by qobserve in one line naming
the option and the fix (``--samples: expected a whole number from 1 to 10000, got
'1e20'``) instead of being coerced, wrapped in a usage box or accepted. Limits keep
an operator's typo from running for hours or billing a fortune:

=====================  ==========================  ====================================
option                 accepted                    why
=====================  ==========================  ====================================
``--samples``          1 … 10,000                  sequences per length
``--shots``            1 … 1,000,000               per circuit (providers cap lower)
``--lengths``          up to 100 increasing,       m Cliffords per sequence;
                       distinct values 0 … 100,000  unsorted or repeated lists are typos
``--qubits``           1 or 2 distinct, 0 … 9,999  checked against the device at run time
``--seed``             0 … 2⁶³ − 1                 numpy's seed range
``--readout-error``    0 … 0.5                     stim only
``--interleave``       x, sx (1 qubit);            the gate must be a Clifford the
                       cx, cz, ecr (2 qubits)      backend runs natively
``--plot``             a file name ending .png     needs the ``plot`` extra
``--target-precision`` a number in (0, 1)          adaptive design (:mod:`.adaptive`);
                                                   not with ``--lengths``/``--samples``
``--max-shots``        pilot + first round …       with ``--target-precision`` only;
                       ``--max-total-shots``       default: the fixed design's shots
total shots            ≤ ``--max-total-shots``     samples × lengths × shots (× 2 when
                       (default 10,000,000)        interleaving); default 32× the default
                                                   design (307,200)
=====================  ==========================  ====================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qobserve.backends import BackendKind, parse_backend, parse_noise
from qobserve.benchmarking.adaptive import minimum_shots
from qobserve.benchmarking.cliffords import INTERLEAVABLE
from qobserve.benchmarking.rb_experiment import DEFAULT_LENGTHS

__all__ = ["LIMITS", "MIN_LENGTHS", "RBOptions", "native_gates", "parse_rb_options"]

#: Hard limits on ``qobserve rb`` arguments (see the module docstring).
#: Three parameters (A, α, B) need at least three distinct lengths.
MIN_LENGTHS = 3

LIMITS = {
    "samples": 10_000,
    "shots": 1_000_000,
    "length": 100_000,
    "lengths": 100,
    "qubit": 9_999,
    "seed": 2**63 - 1,
    "total_shots": 10_000_000,
}

_WHOLE = re.compile(
    r"\+?[0-9]{1,30}"
)  # ASCII digits; 30 keeps int() away from its 4300-digit limit


@dataclass(frozen=True)
class RBOptions:
    """Validated ``qobserve rb`` arguments, ready for :func:`~qobserve.benchmarking.run_rb`."""

    backend: str
    qubits: tuple[int, ...]
    lengths: tuple[int, ...] | None
    samples: int
    shots: int
    seed: int | None
    noise: str | None
    readout_error: float
    interleave: str | None = None
    plot: str | None = None
    target_precision: float | None = None
    max_shots: int | None = None

    @property
    def total_shots(self) -> int:
        """The most shots the run may spend (the adaptive budget, or the fixed design's)."""
        if self.max_shots is not None:
            return self.max_shots
        lengths = self.lengths or DEFAULT_LENGTHS[len(self.qubits)]
        return self.samples * len(lengths) * self.shots * (2 if self.interleave else 1)


def _shown(text: object) -> str:
    """The offending value as typed, cut short so the message stays one readable line."""
    shown = repr(text)
    return shown if len(shown) <= 42 else f"{shown[:36]}…{shown[-4:]} ({len(str(text))} characters)"


def _whole(text: str | None, option: str, low: int, high: int) -> int:
    value = (text or "").strip()
    if not _WHOLE.fullmatch(value) or not low <= int(value) <= high:
        raise ValueError(
            f"{option}: expected a whole number from {low} to {high}, got {_shown(text)}"
        )
    return int(value)


def _whole_list(
    values: Sequence[str] | str | None, option: str, low: int, high: int
) -> tuple[int, ...] | None:
    if values is None or (not isinstance(values, str) and len(values) == 0):
        return None
    texts = [values] if isinstance(values, str) else list(values)
    split = [[p for p in re.split(r"[,_\s]+", t.strip()) if p] for t in texts]
    if not all(split):  # `--lengths ''`, alone or repeated, is a slip, not "use the defaults"
        raise ValueError(
            f"{option}: expected a comma-separated list of whole numbers, got an empty value"
        )
    parts = [p for ps in split for p in ps]
    out = []
    for part in parts:
        if not _WHOLE.fullmatch(part) or not low <= int(part) <= high:
            raise ValueError(
                f"{option}: expected whole numbers from {low} to {high}, "
                f"got {_shown(part)} in {_shown(', '.join(texts))}"
            )
        out.append(int(part))
    return tuple(out)


def _qubits(values: Sequence[str] | str | None) -> tuple[int, ...]:
    qubits = _whole_list(values, "--qubits", 0, LIMITS["qubit"]) or (0,)
    if len(qubits) > 2 or len(set(qubits)) != len(qubits):
        raise ValueError(
            f"--qubits: give one qubit or two distinct coupled qubits, e.g. 0 or 0,1; got {qubits}"
        )
    return qubits


def _lengths(values: Sequence[str] | str | None) -> tuple[int, ...] | None:
    lengths = _whole_list(values, "--lengths", 0, LIMITS["length"])
    if lengths is None:
        return None
    if len(lengths) < MIN_LENGTHS:
        raise ValueError(
            f"--lengths: the fit A·α^m + B needs at least {MIN_LENGTHS} lengths, got "
            f"{len(lengths)}; e.g. 1,10,50 (or leave --lengths out for the defaults)"
        )
    if len(lengths) > LIMITS["lengths"]:
        raise ValueError(f"--lengths: at most {LIMITS['lengths']} lengths, got {len(lengths)}")
    if list(lengths) != sorted(set(lengths)):
        fixed = ",".join(map(str, sorted(set(lengths))))
        given = ",".join(map(str, lengths))
        raise ValueError(
            f"--lengths: lengths must be distinct and increasing, e.g. {fixed}; got {given}"
        )
    return lengths


def _fraction(text: str | None, option: str, high: float) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0.0 <= value <= high:
        raise ValueError(f"{option}: expected a number from 0 to {high:g}, got {_shown(text)}")
    return value


def _target(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise ValueError(
            "--target-precision: expected the relative half-width of the 95% interval, "
            f"between 0 and 1 (e.g. 0.05 for ±5%), got {_shown(text)}"
        )
    return value


def _adaptive(
    options: RBOptions, lengths: object, samples: str | None, max_shots: str | None, cap: int
) -> RBOptions:
    """Check the adaptive design's options and set its shot budget (default: the shots
    the fixed design would spend, so adapting never costs more)."""
    if options.target_precision is None:
        if max_shots is not None:
            raise ValueError(
                "--max-shots: only used with --target-precision; drop it, or add e.g. "
                "--target-precision 0.05 (or use --max-total-shots to cap a fixed design)"
            )
        return options
    for option, given in (("--lengths", lengths), ("--samples", samples)):
        if given is not None:
            raise ValueError(
                f"{option}: the adaptive design (--target-precision) chooses lengths and "
                f"sequences itself; drop {option} (--max-shots bounds the cost)"
            )
    floor = minimum_shots(
        len(options.qubits), options.shots, interleave=options.interleave is not None
    )
    budget = (
        min(options.total_shots, cap)
        if max_shots is None
        else _whole(max_shots, "--max-shots", 1, cap)
    )
    if budget < floor:
        raise ValueError(
            f"--max-shots: the pilot and a first round need at least {floor:,} shots at "
            f"--shots {options.shots}, got {budget:,}; raise --max-shots or lower --shots"
        )
    return replace(options, max_shots=budget)


def native_gates(backend: str) -> tuple[str, ...] | None:
    """The interleavable gates a backend family runs as one native gate, or None when
    every one is (stim, Braket) or the device's own target decides (Qiskit)."""
    if backend.startswith("cirq_google:"):
        return ("x", "sx", "cz")  # Google processors: PhasedXZ and CZ
    if backend.startswith("cirq:"):
        return ("x", "sx", "cx", "cz")  # Cirq has no ECR gate
    return None


def _interleave(text: str | None, backend: str, qubits: tuple[int, ...]) -> str | None:
    """The gate to interleave: a known Clifford on as many qubits as the RB, and one the
    SDK family runs natively (a Qiskit device's own target is checked at run time)."""
    if text is None:
        return None
    gate = text.strip().lower()
    if gate not in INTERLEAVABLE:
        raise ValueError(
            f"--interleave: expected one of {', '.join(INTERLEAVABLE)}, got {_shown(text)}"
        )
    n = INTERLEAVABLE[gate]
    if n != len(qubits):
        want = "two coupled qubits, e.g. --qubits 0,1" if n == 2 else "one qubit, e.g. --qubits 0"
        raise ValueError(
            f"--interleave: {gate} acts on {n} qubit{'s' * (n > 1)}, got --qubits "
            f"{','.join(map(str, qubits))}; pass {want}"
        )
    native = native_gates(backend)
    if native is not None and gate not in native:
        raise ValueError(
            f"--interleave: {backend} has no native {gate!r} gate; choose from {', '.join(native)}"
        )
    return gate


def _plot(text: str | None) -> str | None:
    if text is None:
        return None
    if not text.strip().lower().endswith(".png"):
        raise ValueError(f"--plot: expected a file name ending in .png, got {_shown(text)}")
    return text


def parse_rb_options(
    *,
    backend: str | None,
    qubits: Sequence[str] | str | None,
    lengths: Sequence[str] | str | None,
    samples: str | None,
    shots: str,
    seed: str | None,
    noise: str | None,
    readout_error: str,
    max_total_shots: str | None = None,
    interleave: str | None = None,
    plot: str | None = None,
    target_precision: str | None = None,
    max_shots: str | None = None,
) -> RBOptions:
    """Check every ``qobserve rb`` argument given as command-line text.

    Raises:
        ValueError: one line naming the option (``--samples: …``) and what it accepts.
    """
    if backend is None or not backend.strip():
        raise ValueError(
            "--backend: required, e.g. --backend qiskit:aer, cirq_google:willow_pink or stim"
        )
    backend = backend.strip()
    noise_spec = parse_noise(noise, field="--noise")
    if backend != "stim":
        try:
            spec = parse_backend(backend, field="")
        except ValueError as exc:
            raise ValueError(f"--backend: {exc}") from None
        if noise_spec is not None and spec.kind is BackendKind.CLOUD:
            raise ValueError(
                f"--noise: noise can only be injected into simulators and emulators, "
                f"not {backend!r}; drop --noise"
            )
        if noise_spec is not None and backend.startswith("cirq_google:"):
            raise ValueError(
                f"--noise: {backend} already simulates its device noise and accepts only "
                "its native gates; drop --noise or use cirq:density_matrix"
            )
    qubit_set = _qubits(qubits)
    options = RBOptions(
        backend=backend,
        qubits=qubit_set,
        lengths=_lengths(lengths),
        samples=30 if samples is None else _whole(samples, "--samples", 1, LIMITS["samples"]),
        shots=_whole(shots, "--shots", 1, LIMITS["shots"]),
        seed=None if seed is None else _whole(seed, "--seed", 0, LIMITS["seed"]),
        noise=None if noise_spec is None or noise is None else noise.strip(),
        readout_error=_fraction(readout_error, "--readout-error", 0.5),
        interleave=_interleave(interleave, backend, qubit_set),
        plot=_plot(plot),
        target_precision=_target(target_precision),
    )
    if options.readout_error and backend != "stim":
        raise ValueError(
            "--readout-error: only the 'stim' backend simulates readout flips; "
            "drop it or use --backend stim"
        )
    cap = (
        LIMITS["total_shots"]
        if max_total_shots is None
        else _whole(max_total_shots, "--max-total-shots", 1, 10**12)
    )
    options = _adaptive(options, lengths, samples, max_shots, cap)
    if options.total_shots > cap:
        what = (
            "2 x samples x lengths x shots" if options.interleave else "samples x lengths x shots"
        )
        raise ValueError(
            f"--shots: {what} = {options.total_shots:,} exceeds the "
            f"{cap:,} total-shot limit; lower --samples/--shots/--lengths or raise --max-total-shots"
        )
    return options
