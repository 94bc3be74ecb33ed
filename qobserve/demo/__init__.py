"""``qobserve demo``: the whole instrumentation loop on local simulators.

Each stage is a small module with ``run(ctx)``; the runner sets up telemetry,
instruments every SDK, runs the stages under one progress display, serves
``/metrics`` the whole time and prints an SLI summary computed from the very
samples Prometheus would scrape. No account, no network.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.progress import Progress

from qobserve.demo.links import runbook_index_url
from qobserve.demo.pointers import Pointer, print_pointers
from qobserve.demo.summary import budget_lines, sli_table, training_table

__all__ = ["DemoContext", "DemoOptions", "run_demo"]


@dataclass(frozen=True)
class DemoOptions:
    jobs: int = 24
    fail_every: int = 6
    port: int = 9464
    serve_seconds: float = 0.0
    seed: int = 7


@dataclass
class DemoContext:
    """What a stage gets: options, the telemetry handle and a place for its findings."""

    options: DemoOptions
    telemetry: object
    progress: Progress
    console: Console
    notes: list[str] = field(default_factory=list)
    #: game-day rows of the summary, "provider:name" → the backend spec they ran on
    gameday_backends: dict[str, str] = field(default_factory=dict)
    #: what a stage made that is better looked at than read (a plot), for the last lines
    pointers: list[Pointer] = field(default_factory=list)
    _files: Path | None = None

    def files(self) -> Path:
        """A directory for what the stages write (plots), made on first use."""
        if self._files is None:
            self._files = Path(tempfile.mkdtemp(prefix="qobserve-demo-"))
        return self._files


def _stages():
    from qobserve.demo import fidelity, other_sdks, qiskit_jobs, resilience, training

    return [
        ("Qiskit jobs on fake_manila (Aer)", qiskit_jobs.run),
        ("Braket and Cirq jobs on local simulators and willow_pink", other_sdks.run),
        ("Randomized benchmarking on fake_manila", fidelity.run),
        ("Variational classifier training", training.run),
        ("Resilient executor through an injected outage", resilience.run),
    ]


def run_demo(options: DemoOptions, console: Console | None = None) -> int:
    """Run every stage and print the summary; returns the process exit code
    (1, with one line on stderr, when ``/metrics`` cannot listen on the port)."""
    from qobserve.instrumentation import instrument, uninstrument
    from qobserve.telemetry import BindError, configure

    console = console or Console()
    # Simulators log expected failures loudly; the demo reports them in the table.
    logging.getLogger("qiskit_aer").setLevel(logging.CRITICAL)
    registry = CollectorRegistry()
    try:
        telemetry = configure("qobserve-demo", prometheus_port=options.port, registry=registry)
    except BindError as exc:
        print(f"error: qobserve demo: {exc.message('--port')}", file=sys.stderr)
        return 1
    assert telemetry.prometheus_address is not None  # prometheus_port was given
    host, port = telemetry.prometheus_address
    console.print(f"[bold]qobserve demo[/]: serving metrics on http://{host}:{port}/metrics")
    families = instrument(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    console.print(f"instrumented: {', '.join(families) or 'nothing (no SDK installed)'}")
    try:
        with Progress(console=console, transient=True) as progress:
            ctx = DemoContext(options, telemetry, progress, console)
            for title, stage in _stages():
                stage_task = progress.add_task(title, total=None)
                stage(ctx)
                progress.remove_task(stage_task)
                console.print(f"[green]✓[/] {title}")
        console.print(sli_table(registry, gameday=ctx.gameday_backends))
        if (table := training_table(registry)) is not None:
            console.print(table)
        for note in [*budget_lines(registry), *ctx.notes]:
            console.print(note)
        runbooks = runbook_index_url()
        print_pointers(
            console,
            [
                *([Pointer("runbooks", runbooks)] if runbooks else []),
                *ctx.pointers,
                Pointer("/metrics", f"http://{host}:{port}/metrics"),
            ],
            options.serve_seconds,
        )
        if options.serve_seconds:
            time.sleep(options.serve_seconds)
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    finally:
        uninstrument()
        telemetry.shutdown()
    return 0
