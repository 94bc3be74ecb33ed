"""The ``qobserve`` command line: thin, parses arguments and calls the library."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qobserve import __version__
from qobserve._cli_errors import (
    SECONDS,
    OneLineErrors,
    echo,
    finite,
    http_url,
    port,
    stack_only,
    writable_dir,
)
from qobserve._cli_help import PlainHelp

if TYPE_CHECKING:
    from qobserve.alert_bridge.config import BridgeConfig

app = typer.Typer(
    cls=OneLineErrors,
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
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Observability and SRE for quantum workloads."""


#: Help of the options only ``demo --stack`` reads (stack_only() refuses them without it).
STACK_ONLY = {
    "otlp_endpoint": "send traces to this OTLP/HTTP receiver, e.g. http://127.0.0.1:4318.",
    "traces_file": "without an OTLP endpoint, write traces here as OTLP JSON lines "
    "(default: in the work dir).",
    "compress": "time compression of the demo SLO windows (60: 30d -> 12h, 5m -> 5s).",
    "healthy_seconds": "healthy traffic before the outage.",
    "live": "draw the live terminal view.",
    "workdir": "configs, logs and traces go here (default: a temp dir).",
    "mlflow": "also start an MLflow server (needs the mlflow extra); the training runs and "
    "the traces land in its experiment demo-vqe.",
}


def _stack_option(name: str, *flags: str, **kwargs: Any) -> Any:
    """The ``typer.Option`` of the ``demo --stack`` option ``name``."""
    return typer.Option(*flags, help=f"With --stack: {STACK_ONLY[name]}", **kwargs)


@app.command()
def demo(
    ctx: typer.Context,
    jobs: Annotated[
        int, typer.Option(min=1, max=100_000, help="Qiskit jobs to run on the fake backend.")
    ] = 24,
    fail_every: Annotated[
        int,
        typer.Option(min=0, max=1_000_000, help="Make every Nth job fail on purpose (0: none)."),
    ] = 6,
    port: Annotated[
        int,
        typer.Option(callback=port, help="Port for /metrics on 127.0.0.1 (0 picks a free one)."),
    ] = 9464,
    serve_seconds: Annotated[
        float,
        typer.Option(**SECONDS, help="Keep serving /metrics this long after the run."),
    ] = 0.0,
    seed: Annotated[
        int, typer.Option(min=0, max=2**32 - 1, help="Seed for simulators and sampling.")
    ] = 7,
    stack: Annotated[
        bool,
        typer.Option(
            "--stack",
            help="Run the whole stack (Prometheus, Alertmanager, alert bridge, Slack sink, exporter) through a scripted incident; every port is picked free.",
        ),
    ] = False,
    otlp_endpoint: Annotated[str | None, _stack_option("otlp_endpoint", callback=http_url)] = None,
    traces_file: Annotated[Path | None, _stack_option("traces_file", dir_okay=False)] = None,
    compress: Annotated[int, _stack_option("compress", min=1, max=86_400)] = 60,
    healthy_seconds: Annotated[float, _stack_option("healthy_seconds", **SECONDS)] = 20.0,
    live: Annotated[bool, _stack_option("live", "--live/--no-live")] = True,
    workdir: Annotated[
        Path | None, _stack_option("workdir", file_okay=False, callback=writable_dir)
    ] = None,
    mlflow: Annotated[bool, _stack_option("mlflow", "--mlflow")] = False,
) -> None:
    """Run instrumented jobs on local simulators and print an SLI summary.

    No account or network needed: jobs run on Qiskit fake backends with Aer and
    the other SDKs' local simulators, some fail on purpose, and /metrics is
    served on 127.0.0.1 while it runs. With --stack, a backend outage and stale
    calibration play out against real Prometheus and Alertmanager processes and
    pages reach a local Slack sink.
    """
    stack_only(ctx, stack, tuple(STACK_ONLY))
    if stack:
        from qobserve.stack import RunOptions, StackOptions, Timings, run_stack

        raise typer.Exit(
            run_stack(
                RunOptions(
                    stack=StackOptions(
                        workdir=workdir,
                        compression=compress,
                        otlp_endpoint=otlp_endpoint,
                        traces_file=traces_file,
                        mlflow=mlflow,
                    ),
                    timings=Timings(healthy=healthy_seconds),
                    live=live,
                    serve_seconds=serve_seconds,
                    seed=seed,
                )
            )
        )
    from qobserve.demo import DemoOptions, run_demo

    raise typer.Exit(
        run_demo(
            DemoOptions(
                jobs=jobs, fail_every=fail_every, port=port, serve_seconds=serve_seconds, seed=seed
            )
        )
    )


bridge_app = typer.Typer(
    cls=PlainHelp,
    help="Alertmanager webhook receiver -> Slack (serve with --config), and its dead letters.",
    invoke_without_command=True,
)
app.add_typer(bridge_app, name="alert-bridge")
dead_app = typer.Typer(
    cls=PlainHelp,
    help="Messages Slack refused in every form: list them, replay them.",
    no_args_is_help=True,
)
bridge_app.add_typer(dead_app, name="dead-letters")
_BridgeConfigOpt = Annotated[Path, typer.Option("--config", help="Alert-bridge YAML config file.")]


def _bridge_config(path: Path) -> tuple[BridgeConfig, Path]:
    from qobserve.alert_bridge import ConfigError, load_config

    try:
        config = load_config(path)
        return config, config.spool_path()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@bridge_app.callback()
def alert_bridge(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="Alert-bridge YAML config file.")
    ] = None,
) -> None:
    """Receive Alertmanager webhooks on POST /alerts and post them to Slack.

    Messages are spooled to disk before Alertmanager is acknowledged and delivered
    per channel (a page never waits behind a ticket), exactly once with a bot
    token; /metrics, /healthz and /readyz are served on the same port.
    """
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        typer.echo("error: --config: give the alert-bridge YAML config file", err=True)
        raise typer.Exit(2)
    import logging

    from qobserve.alert_bridge import AlertBridge, ConfigError

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    cfg, _ = _bridge_config(config)
    try:
        bridge = AlertBridge(cfg)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"alert bridge listening on {bridge.url} (POST /alerts, /healthz, /readyz, /metrics)"
    )
    bridge.serve_forever()


@dead_app.command("list")
def dead_letters_list(
    config: _BridgeConfigOpt,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON lines instead of a table.")
    ] = False,
) -> None:
    """List dead letters: id, channel, when, Slack's error and the message text."""
    import json
    from datetime import datetime

    from qobserve.alert_bridge.spool import Spool

    _, spool_dir = _bridge_config(config)
    spool = Spool(spool_dir)
    try:
        letters = spool.dead_letters()
    finally:
        spool.close()
    for d in letters:
        if json_out:
            typer.echo(
                json.dumps(
                    {
                        "id": d.id,
                        "channel": d.channel,
                        "status": d.status,
                        "error": d.error,
                        "at": d.at,
                        "text": d.text,
                    }
                )
            )
        else:
            when = datetime.fromtimestamp(d.at, UTC).strftime("%Y-%m-%d %H:%M:%S")
            typer.echo(
                f"{d.id}\t{d.channel}\t{when} UTC\t{d.error}\t{d.text.splitlines()[0][:100]}"
            )
    if not letters and not json_out:
        typer.echo("no dead letters")


@dead_app.command("retry")
def dead_letters_retry(
    config: _BridgeConfigOpt,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Dead-letter ids to replay (default: all).")
    ] = None,
) -> None:
    """Put dead letters back in their channel's queue; a running bridge posts them within seconds."""
    from qobserve.alert_bridge.spool import Spool

    _, spool_dir = _bridge_config(config)
    spool = Spool(spool_dir)
    try:
        count = spool.retry_dead_letters(ids or None)
    finally:
        spool.close()
    typer.echo(f"{count} dead letter(s) queued again")


@app.command()
def exporter(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Exporter YAML config (see docs).")
    ],
    watch: Annotated[
        float,
        typer.Option(
            **SECONDS,
            help="Also reload when the file changes, checking every N s (0: SIGHUP only).",
        ),
    ] = 0.0,
) -> None:
    """Sidecar exporter: scheduled probes (calibration, status, RB) and /metrics, /healthz, /readyz.

    Probes run on their own schedule and never on scrape. SIGHUP reloads the
    config, SIGTERM stops. Listens on 127.0.0.1:9464 unless the config says otherwise.
    """
    from qobserve.exporter import serve

    raise typer.Exit(serve(config, watch_seconds=watch or None, echo=typer.echo))


cost_app = typer.Typer(
    cls=PlainHelp, help="Job cost: offline estimates from the pricing table.", no_args_is_help=True
)
app.add_typer(cost_app, name="cost")


@cost_app.command("estimate")
def cost_estimate(
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            "-b",
            help="Backend spec, e.g. braket:arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1.",
        ),
    ],
    shots: Annotated[int, typer.Option(min=0, max=10_000_000, help="Shots per circuit.")],
    circuits: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Circuits (one provider task each).")
    ] = 1,
    prices: Annotated[
        Path | None,
        typer.Option(help="Pricing override file (default: $QOBSERVE_PRICES or built-in)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Estimate a job's cost offline, with the price source and date (no device is built, no API called)."""
    from qobserve.cost.cli import run_estimate

    raise typer.Exit(
        run_estimate(backend, shots, circuits, prices=prices, as_json=json_out, echo=typer.echo)
    )


@app.command()
def generate(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 listing stale files instead of writing.")
    ] = False,
    root: Annotated[
        Path,
        typer.Option(
            exists=True,
            file_okay=False,
            help="Repository root holding alerts/, dashboards/, runbooks/.",
        ),
    ] = Path("."),
) -> None:
    """Regenerate alerts/ (and other registered artifacts) from the specs; --check finds stale files."""
    from qobserve.generate import run

    raise typer.Exit(run(root, check_only=check, echo=echo))


@app.command()
def silence(
    backend: Annotated[
        str, typer.Option(help="quantum_backend label value to mute, e.g. ibm_brisbane.")
    ],
    alertmanager: Annotated[
        str, typer.Option(help="Alertmanager base URL.")
    ] = "http://127.0.0.1:9093",
    provider: Annotated[
        str | None, typer.Option(help="Also match quantum_provider (qiskit, braket, cirq).")
    ] = None,
    duration: Annotated[
        str | None, typer.Option(help="Window length, e.g. 4h (instead of --end).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="ISO 8601 start (default: now).")] = None,
    end: Annotated[str | None, typer.Option(help="ISO 8601 end (instead of --duration).")] = None,
    comment: Annotated[
        str, typer.Option(help="Why: e.g. the provider's maintenance notice.")
    ] = "provider maintenance",
    author: Annotated[str, typer.Option(help="Who created the silence.")] = "qobserve",
    timeout: Annotated[
        float,
        typer.Option(
            min=0.001, max=300, callback=finite, help="Seconds to wait for Alertmanager's answer."
        ),
    ] = 10.0,
) -> None:
    """Silence a backend's alerts for a maintenance window (Alertmanager POST /api/v2/silences)."""
    from qobserve.slo.silence import run_silence

    raise typer.Exit(
        run_silence(
            alertmanager=alertmanager,
            backend=backend,
            provider=provider,
            start=start,
            end=end,
            duration=duration,
            comment=comment,
            author=author,
            timeout=timeout,
            echo=typer.echo,
        )
    )


@app.command()
def gameday(
    scenario: Annotated[
        Path,
        typer.Option("--scenario", "-s", help="Game-day scenario YAML (see examples/gamedays/)."),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run jobs through the resilient executor against injected faults on local simulators and report."""
    from qobserve.gameday import run_cli

    raise typer.Exit(run_cli(scenario, as_json=json_out, echo=typer.echo))


@app.command()
def rb(
    ctx: typer.Context,
    backend: Annotated[
        str | None,
        typer.Option(
            help="Backend spec (qiskit:aer, braket:local_dm, cirq:density_matrix, "
            "qiskit:fake_manila, cirq_google:willow_pink, …) or 'stim' for the fast local path."
        ),
    ] = None,
    qubits: Annotated[
        list[str] | None, typer.Option(help="One or two physical qubits: 0, or 0,1.")
    ] = None,
    lengths: Annotated[
        list[str] | None,
        typer.Option(
            help="Clifford lengths, increasing, e.g. 1,10,20,50 (default per qubit count)."
        ),
    ] = None,
    samples: Annotated[
        str | None, typer.Option(help="Random sequences per length (1-10000; default 30).")
    ] = None,
    shots: Annotated[str, typer.Option(help="Shots per circuit (1-1000000).")] = "1024",
    seed: Annotated[
        str | None, typer.Option(help="Seed for sequences, simulators and the bootstrap.")
    ] = None,
    noise: Annotated[
        str | None,
        typer.Option(help="Simulators: depolarizing:λ after every Clifford (EPC = λ(d−1)/d)."),
    ] = None,
    readout_error: Annotated[
        str, typer.Option(help="stim only: measurement flip probability (0-0.5).")
    ] = "0",
    max_total_shots: Annotated[
        str | None,
        typer.Option(
            help="Refuse designs above this many shots in total (samples × lengths × shots; default 10000000)."
        ),
    ] = None,
    interleave: Annotated[
        str | None,
        typer.Option(
            help="Also run interleaved RB of this gate and report its error: x or sx (one qubit), cx, cz or ecr (two qubits, the first the control)."
        ),
    ] = None,
    plot: Annotated[
        str | None,
        typer.Option(
            help="Draw the decay curve(s) and fit to this PNG file (needs the 'plot' extra)."
        ),
    ] = None,
    target_precision: Annotated[
        str | None,
        typer.Option(
            help="Adaptive design: choose lengths and add sequences in rounds until the 95% interval's relative half-width on EPC (on the gate error with --interleave) is at most this, e.g. 0.05."
        ),
    ] = None,
    max_shots: Annotated[
        str | None,
        typer.Option(
            help="Shot budget of an adaptive run, pilot included (default: what the fixed design would spend)."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object.")
    ] = False,
) -> None:
    """Randomized benchmarking: error per Clifford and fidelity with a bootstrap 95% interval.

    EPC is the average gate infidelity (1 − α)(d − 1)/d; the JSON also carries
    Cirq's Pauli error. Exit code 1 when the fit is bad (see "status"/"error"),
    2 on bad input (one line on stderr naming the option).
    """
    from qobserve.benchmarking.console import rb_command

    # Every option goes through by its name: rb_command checks them all (parse_rb_options).
    # An option list not given arrives as (): None says "not given" to the checks.
    options = {
        **ctx.params,
        "qubits": qubits or ["0"],
        "lengths": lengths or None,
        "as_json": json_out,
    }
    del options["json_out"]
    raise typer.Exit(rb_command(**options))


if __name__ == "__main__":  # pragma: no cover
    app()
