"""``qobserve rb`` output: a rich progress bar on stderr, then JSON or a table on stdout."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qobserve.benchmarking.probe import RBResult, run_rb

__all__ = ["parse_int_list", "rb_command"]


def parse_int_list(values: Sequence[str] | str | None, *, field: str) -> tuple[int, ...] | None:
    """Parse ``0``, ``0,1``, ``0_1`` or repeated options into integers.

    Raises:
        ValueError: naming ``field`` and the accepted form.
    """
    if values is None or values == [] or values == ():
        return None
    parts = [p for v in ([values] if isinstance(values, str) else values) for p in re.split(r"[,_\s]+", v) if p]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{field}: expected integers like '0', '0,1' or '1,10,20', got {values!r}") from None


def _table(result: RBResult) -> Table:
    f = result.fit
    table = Table(title=f"RB on {result.backend} qubits {result.experiment.label}", show_header=False)
    rows = [("status", f.status.value)]
    if f.ok:
        lo, hi = f.epc_ci or (float("nan"), float("nan"))
        rows += [("error per Clifford (avg gate infidelity)", f"{f.epc:.3e}  95% CI [{lo:.3e}, {hi:.3e}]"),
                 ("fidelity", f"{f.fidelity:.6f}"), ("Pauli error (Cirq's convention)", f"{f.pauli_error:.3e}"),
                 ("fit A·α^m + B", f"A={f.a:.4f}  α={f.alpha:.6f}  B={f.b:.4f}" + ("  (B fixed at 1/d)" if f.b_fixed else ""))]
    else:
        rows.append(("error", f.message))
    rows += [("lengths", ",".join(map(str, result.experiment.lengths or ()))),
             ("samples × shots", f"{result.experiment.num_samples} × {result.shots}"),
             ("elapsed", f"{result.elapsed_s:.2f} s")]
    for key, value in rows:
        table.add_row(key, value)
    return table


def rb_command(backend: str, qubits: Sequence[str], *, lengths: Sequence[str] | None, samples: int, shots: int,
               seed: int | None, noise: str | None, readout_error: float, as_json: bool) -> int:
    """Run ``qobserve rb``; returns the exit code (0 ok, 1 bad fit, 2 bad input)."""
    err = Console(stderr=True)
    try:
        qubit_list = parse_int_list(qubits, field="--qubits") or (0,)
        length_list = parse_int_list(lengths, field="--lengths")
        columns = (TextColumn("[bold]RB[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"{backend} circuits", total=None)
            result = run_rb(backend, qubit_list, lengths=length_list, num_samples=samples, shots=shots,
                            seed=seed, noise=noise, readout_error=readout_error,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (ValueError, ImportError) as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        Console().print(_table(result))
    return 0 if result.fit.ok else 1
