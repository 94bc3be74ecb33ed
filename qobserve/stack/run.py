"""``qobserve demo --stack``: start the stack, run the scenario with a live view, tear down, summarise.

Ctrl-C (or SIGTERM) at any point stops the scenario and every service; the
exit summary says where the UIs were, what fired and reached Slack, the SLIs
of the run, and shows the trace tree of one job read back from the trace file.
"""

from __future__ import annotations

import signal
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table

from qobserve._signals import handlers
from qobserve.slo.config import SpecError
from qobserve.stack.scenario import MLFLOW_EVENT, Scenario, ScenarioResult, TimelineEvent, Timings
from qobserve.stack.stack import Stack, StackOptions
from qobserve.testing.services import ServiceError, missing_packages
from qobserve.testing.slack import SlackMessage

__all__ = ["RunOptions", "leftover_processes", "run_stack"]


@dataclass(frozen=True)
class RunOptions:
    """``stack``: services; ``timings``: the scenario; ``live``: draw the rich view;
    ``serve_seconds``: keep the stack up after the scenario to explore the UIs."""

    stack: StackOptions = field(default_factory=StackOptions)
    timings: Timings = field(default_factory=Timings)
    live: bool = True
    serve_seconds: float = 0.0
    seed: int = 7


def leftover_processes() -> list[str]:
    """Child processes of this process still alive (``name[pid]``)."""
    import psutil

    return [
        f"{p.name()}[{p.pid}]"
        for p in psutil.Process().children(recursive=True)
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_message(console: Console):
    def show(m: SlackMessage) -> None:
        colour = "red" if m.alert_status == "firing" else "green"
        console.print(f"[bold]slack[/] {m.channel_name} [{colour}]{m.text}[/]")
        if runbook := m.button_urls().get("runbook"):
            _print_url(console, "      runbook", runbook)

    return show


def _print_url(console: Console, label: str, url: str) -> None:
    # One unbroken line however narrow the terminal, so the URL copies and pastes whole.
    console.print(f"{label}: {url}", soft_wrap=True, markup=False, highlight=False)


def _timeline(result: ScenarioResult, t0: float) -> Table:
    table = Table(title="What happened")
    for col in ("t", "where", "event"):
        table.add_column(col, justify="right" if col == "t" else "left")
    for e in result.timeline:
        table.add_row(f"{e.at - t0:5.0f} s", e.kind, e.text)
    return table


def _trace_tree(console: Console, stack: Stack) -> None:
    from qobserve.stack.traces import job_tree, pick_job, read_spans

    if stack.traces_file is None:
        console.print(
            f"traces were sent to {stack.options.otlp_endpoint or 'OTEL_EXPORTER_OTLP_ENDPOINT'}"
        )
        return
    if not stack.traces_file.exists():
        console.print("no traces were written")
        return
    job = pick_job(read_spans(stack.traces_file), "qobserve executor job")
    console.print(f"traces (OTLP JSON lines): {stack.traces_file}")
    if job is not None:
        console.print("one job's trace (attempts are child spans; a second backend is a fallback):")
        console.print(job_tree(job))


def run_stack(options: RunOptions, console: Console | None = None) -> int:
    """CLI body: returns 0 when every phase completed, 1 when one timed out, 2 when the
    stack could not start, 130 on Ctrl-C."""
    console = console or Console()
    if missing := missing_packages():
        console.print(
            f"[red]error[/]: the demo stack needs the Debian package(s) "
            f"{', '.join(missing)}: apt-get install {' '.join(missing)}"
        )
        return 2
    try:
        stack = Stack(options.stack, on_message=_print_message(console))
    except SpecError as exc:
        console.print(f"[red]error[/]: {exc}")
        return 2
    scenario, code, urls, slis, t0 = None, 0, {}, None, time.time()
    # SIGTERM (e.g. `timeout`, a supervisor) tears down like Ctrl-C.
    with handlers({signal.SIGTERM: _raise_interrupt}):
        try:
            console.print(f"[bold]qobserve demo --stack[/]: starting services in {stack.workdir}")
            stack.start()
            urls = {n: s.url for n, s in stack.services.items()}
            for name in ("prometheus", "alertmanager", "mlflow"):
                if name in urls:
                    console.print(f"  {name} UI: {urls[name]}")
            from qobserve.stack import view

            live = (
                Live(console=console, refresh_per_second=4, transient=False)
                if options.live
                else None
            )
            with live or nullcontext():

                def tick(scenario: Scenario) -> None:
                    if live is not None:
                        live.update(view.render(scenario))

                def event(e: TimelineEvent) -> None:
                    if e.kind == MLFLOW_EVENT:  # live view or not: the link to open now
                        _print_url(console, "mlflow run", e.text)
                    elif not options.live and e.kind != "slack":
                        console.print(f"[dim]{e.at - t0:5.0f} s[/] {e.kind}: {e.text}")

                scenario = Scenario(
                    stack, options.timings, seed=options.seed, on_tick=tick, on_event=event
                )
                result = scenario.run()
            from qobserve.demo.summary import sli_table

            assert stack.telemetry is not None  # started above
            stack.telemetry.meter_provider.force_flush()
            slis = sli_table(stack.registry)
            code = 0 if result.completed else 1
            if options.serve_seconds:
                console.print(f"stack stays up {options.serve_seconds:g} s more (Ctrl-C stops)")
                time.sleep(options.serve_seconds)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]: stopping every service")
            code = 130
        except ServiceError as exc:
            console.print(f"[red]error[/]: {exc}")
            code = 2
        finally:
            stack.close()
    _summary(console, stack, scenario.result if scenario else None, urls, slis, t0)
    if left := leftover_processes():
        console.print(f"[red]processes left running: {', '.join(left)}[/]")
        code = code or 1
    else:
        console.print("all services stopped; no processes left running")
    return code


def _summary(
    console: Console, stack: Stack, result: ScenarioResult | None, urls: dict, slis, t0: float
) -> None:
    console.rule("summary")
    for name in ("prometheus", "alertmanager", "mlflow"):
        if name in urls:
            console.print(f"{name} UI was at {urls[name]}", soft_wrap=True, markup=False)
    if result is not None:
        for e in result.timeline:
            if e.kind == MLFLOW_EVENT:
                _print_url(console, "mlflow run", e.text)
        console.print(_timeline(result, t0))
        for p in result.phases:
            mark = "[green]✓[/]" if p.completed else "[red]✗ timed out[/]"
            console.print(f"{mark} {p.name}: {p.goal} ({p.ended - p.started:.0f} s)")
    if slis is not None:
        console.print(slis)
    messages = stack.messages()
    console.print(
        f"Slack messages delivered: {len(messages)} "
        f"({sum(m.alert_status == 'firing' for m in messages)} firing, "
        f"{sum(m.alert_status == 'resolved' for m in messages)} resolved)"
    )
    _trace_tree(console, stack)
    console.print(f"configs and logs: {stack.workdir}")
