"""``qobserve rb`` output: a rich progress bar on stderr, then JSON or a table on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from qobserve.benchmarking.options import parse_rb_options

if TYPE_CHECKING:
    from rich.table import Table

    from qobserve.benchmarking.probe import RBResult
    from qobserve.benchmarking.runners import Progress

__all__ = ["rb_command"]


def _table(result: RBResult) -> Table:
    from rich.table import Table

    f = result.fit
    table = Table(
        title=f"RB on {result.backend} qubits {result.experiment.label}", show_header=False
    )
    rows = [("status", f.status.value)]
    if f.ok:
        lo, hi = f.epc_ci or (float("nan"), float("nan"))
        rows += [
            (
                "error per Clifford (avg gate infidelity)",
                f"{f.epc:.3e}  95% CI [{lo:.3e}, {hi:.3e}]",
            ),
            ("fidelity", f"{f.fidelity:.6f}"),
            ("Pauli error (Cirq's convention)", f"{f.pauli_error:.3e}"),
            (
                "fit A·α^m + B",
                f"A={f.a:.4f}  α={f.alpha:.6f}  B={f.b:.4f}"
                + ("  (B fixed at 1/d)" if f.b_fixed else ""),
            ),
        ]
    else:
        rows.append(("error", f.message))
    irb = result.interleaved
    if irb is not None and irb.ok:
        assert irb.gate_error_ci is not None and irb.systematic_bounds is not None  # set when ok
        lo, hi = irb.gate_error_ci
        slo, shi = irb.systematic_bounds
        rows += [
            (
                f"{irb.gate} gate error (interleaved RB)",
                f"{irb.gate_error:.3e}  95% CI [{lo:.3e}, {hi:.3e}]",
            ),
            ("systematic bounds (Magesan 2012)", f"[{slo:.3e}, {shi:.3e}]"),
            ("interleaved fit", f"α={irb.interleaved.alpha:.6f}  EPC={irb.interleaved.epc:.3e}"),
        ]
    elif irb is not None:
        rows.append((f"{irb.gate} gate error", irb.message))
    rows += [
        ("lengths", ",".join(map(str, result.experiment.lengths or ()))),
        ("samples × shots", f"{result.experiment.num_samples} × {result.shots}"),
        *_adaptive_rows(result),
        ("elapsed", f"{result.elapsed_s:.2f} s"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def _adaptive_rows(result: RBResult) -> list[tuple[str, str]]:
    run = result.adaptive
    if run is None:
        return []
    reached = "reached" if run.reached else "NOT reached (shot budget or rounds ran out)"
    shown = "n/a" if run.precision is None else f"±{run.precision:.1%}"
    return [
        ("precision (95% half-width, relative)", f"{shown}  target ±{run.target:.1%}: {reached}"),
        ("rounds / total shots", f"{run.rounds} (pilot included) / {run.total_shots:,}"),
    ]


@contextmanager
def _progress_bar(backend: str) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal's stderr; elsewhere none, and rich is not even
    imported (a transient bar still leaves a blank line on a redirected stderr, and
    the import is a twentieth of a scripted run's start-up)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("[bold]RB[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{backend} circuits", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _fail(message: str) -> None:
    """One line on stderr, never wrapped (rich would wrap at the terminal width)."""
    print(f"error: {message}", file=sys.stderr, flush=True)


def _option_message(message: str) -> str:
    """Library errors name their field (``qubits: …``); on the command line, the option."""
    field, sep, rest = message.partition(": ")
    if sep and field in _FIELDS:
        return f"--{field.replace('_', '-')}: {rest}"
    return message


_FIELDS = {
    "backend",
    "qubits",
    "lengths",
    "samples",
    "shots",
    "seed",
    "noise",
    "readout_error",
    "interleave",
    "plot",
    "target_precision",
    "max_shots",
}


def rb_command(
    backend: str | None,
    qubits: Sequence[str] | None,
    *,
    lengths: Sequence[str] | None,
    samples: str | None,
    shots: str,
    seed: str | None,
    noise: str | None,
    readout_error: str,
    max_total_shots: str | None,
    as_json: bool,
    interleave: str | None = None,
    plot: str | None = None,
    target_precision: str | None = None,
    max_shots: str | None = None,
) -> int:
    """Run ``qobserve rb``; returns the exit code (0 ok, 1 bad fit or failed run, 2 bad input).

    Every argument arrives as text and is checked by :func:`parse_rb_options`; any
    error is one line on stderr naming the option, never a traceback.
    """
    try:
        opts = parse_rb_options(
            backend=backend,
            qubits=qubits,
            lengths=lengths,
            samples=samples,
            shots=shots,
            seed=seed,
            noise=noise,
            readout_error=readout_error,
            max_total_shots=max_total_shots,
            interleave=interleave,
            plot=plot,
            target_precision=target_precision,
            max_shots=max_shots,
        )
    except ValueError as exc:
        _fail(str(exc))
        return 2
    if opts.plot is not None:
        try:  # before the run: a missing extra should not cost a benchmark
            from qobserve.benchmarking.plot import _figure_class

            _figure_class()
        except ImportError as exc:
            _fail(_option_message(str(exc)))
            return 2
    from qobserve.benchmarking.probe import run_rb

    try:
        with _progress_bar(opts.backend) as progress:
            result = run_rb(
                opts.backend,
                opts.qubits,
                lengths=opts.lengths,
                num_samples=opts.samples,
                shots=opts.shots,
                seed=opts.seed,
                noise=opts.noise,
                readout_error=opts.readout_error,
                interleave=opts.interleave,
                target_precision=opts.target_precision,
                max_shots=opts.max_shots,
                progress=progress,
            )
    except (ValueError, ImportError) as exc:
        _fail(_option_message(" ".join(str(exc).split())))
        return 2
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except Exception as exc:  # a backend's own failure: one line, not a traceback
        _fail(f"rb on {opts.backend} failed: {type(exc).__name__}: {' '.join(str(exc).split())}")
        return 1
    if opts.plot is not None:
        from qobserve.benchmarking.plot import write_png

        try:
            write_png(result, opts.plot)
        except OSError as exc:
            _fail(f"--plot: cannot write {opts.plot!r}: {exc.strerror or exc}")
            return 1
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        from rich.console import Console

        Console().print(_table(result))
    return 0 if result.ok else 1
