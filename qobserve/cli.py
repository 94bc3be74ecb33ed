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


@app.command("alert-bridge")
def alert_bridge(
    config: Annotated[Path, typer.Option("--config", help="Alert-bridge YAML config file.")],
) -> None:
    """Receive Alertmanager webhooks on POST /alerts and post them to Slack.

    Messages are spooled to disk before Alertmanager is acknowledged and delivered
    in order with backoff; /metrics and /healthz are served on the same port.
    """
    import logging

    from qobserve.alert_bridge import AlertBridge, ConfigError, load_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        bridge = AlertBridge(load_config(config))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"alert bridge listening on {bridge.url} (POST /alerts, /healthz, /metrics)")
    bridge.serve_forever()


@app.command()
def exporter(
    config: Annotated[Path, typer.Option("--config", "-c", help="Exporter YAML config (see docs).")],
    watch: Annotated[float, typer.Option(min=0, help="Also reload when the file changes, checking every N s (0: SIGHUP only).")] = 0.0,
) -> None:
    """Sidecar exporter: scheduled probes (calibration, status, RB) and /metrics, /healthz, /readyz.

    Probes run on their own schedule and never on scrape. SIGHUP reloads the
    config, SIGTERM stops. Listens on 127.0.0.1:9464 unless the config says otherwise.
    """
    from qobserve.exporter import serve

    raise typer.Exit(serve(config, watch_seconds=watch or None, echo=typer.echo))


cost_app = typer.Typer(help="Job cost: offline estimates from the pricing table.", no_args_is_help=True)
app.add_typer(cost_app, name="cost")


@cost_app.command("estimate")
def cost_estimate(
    backend: Annotated[str, typer.Option("--backend", "-b", help="Backend spec, e.g. braket:arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1.")],
    shots: Annotated[int, typer.Option(min=0, help="Shots per circuit.")],
    circuits: Annotated[int, typer.Option(min=1, help="Circuits (one provider task each).")] = 1,
    prices: Annotated[Path | None, typer.Option(help="Pricing override file (default: $QOBSERVE_PRICES or built-in).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Estimate a job's cost offline, with the price source and date (no device is built, no API called)."""
    from qobserve.cost.cli import run_estimate

    raise typer.Exit(run_estimate(backend, shots, circuits, prices=prices, as_json=json_out,
                                  echo=typer.echo))


if __name__ == "__main__":  # pragma: no cover
    app()
