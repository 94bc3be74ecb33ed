"""The ``qobserve`` command line: thin, parses arguments and calls the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qobserve import __version__

app = typer.Typer(
    name="qobserve",
    help="Observability and SRE for quantum workloads: instrumented jobs, RB fidelity probes, "
    "SLO alerts, dashboards and a resilient executor.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qobserve {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Observability and SRE for quantum workloads."""


@app.command()
def demo(
    jobs: Annotated[int, typer.Option(min=1, help="Qiskit jobs to run on the fake backend.")] = 24,
    fail_every: Annotated[int, typer.Option(min=0, help="Make every Nth job fail on purpose (0: none).")] = 6,
    port: Annotated[int, typer.Option(help="Port for /metrics on 127.0.0.1 (0 picks a free one).")] = 9464,
    serve_seconds: Annotated[float, typer.Option(min=0, help="Keep serving /metrics this long after the run.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for simulators and sampling.")] = 7,
) -> None:
    """Run instrumented jobs on local simulators and print an SLI summary.

    No account or network needed: jobs run on Qiskit fake backends with Aer and
    the other SDKs' local simulators, some fail on purpose, and /metrics is
    served on 127.0.0.1 while it runs.
    """
    from qobserve.demo import DemoOptions, run_demo

    raise typer.Exit(run_demo(DemoOptions(jobs=jobs, fail_every=fail_every, port=port,
                                          serve_seconds=serve_seconds, seed=seed)))


if __name__ == "__main__":  # pragma: no cover
    app()
