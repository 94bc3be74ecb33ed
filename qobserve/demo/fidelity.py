"""Demo stage: a randomized-benchmarking probe on the fake device's own noise model."""

from __future__ import annotations

from qobserve.demo.pointers import Pointer

SPEC = "qiskit:fake_manila"


def run(ctx) -> None:
    from qobserve.benchmarking import run_rb

    task = ctx.progress.add_task("  circuits", total=None)

    def progress(done: int, total: int) -> None:
        ctx.progress.update(task, completed=done, total=total)

    result = run_rb(
        SPEC,
        (0,),
        lengths=(1, 10, 25, 50, 100),
        num_samples=8,
        shots=256,
        seed=ctx.options.seed,
        progress=progress,
    )
    ctx.progress.remove_task(task)
    _plot(ctx, result)
    fit = result.fit
    if fit.ok:
        assert fit.epc_ci is not None  # set when ok
        lo, hi = fit.epc_ci
        ctx.notes.append(
            f"RB on {result.backend_name} qubit 0: error per Clifford {fit.epc:.2e} "
            f"(95% CI {lo:.2e}–{hi:.2e}), fidelity {fit.fidelity:.4f}"
        )
    else:
        ctx.notes.append(
            f"RB on {result.backend_name} qubit 0: no estimate ({fit.status.value}: {fit.message})"
        )


def _plot(ctx, result) -> None:
    """The decay curve as a PNG to look at, when matplotlib (the 'plot' extra) is installed."""
    from qobserve.benchmarking.plot import PLOT_EXTRA, write_png

    path = ctx.files() / f"rb-{result.backend_name}-q0.png"
    try:
        write_png(result, str(path))
    except ImportError:
        ctx.notes.append(f"RB decay plot: pip install '{PLOT_EXTRA}' to draw it")
        return
    ctx.pointers.append(Pointer("RB decay plot", str(path)))
