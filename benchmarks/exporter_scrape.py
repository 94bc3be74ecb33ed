"""Scrape latency of the exporter with 50 backends against 1, and memory over a soak.

Method: two exporters run side by side, one configured with 1 fake IBM backend
and one with 50, with production-like probe intervals (their probes run at
start-up, then idle). After both are ready and warmed up by a few scrapes each,
``/metrics`` is scraped alternately from each (interleaved, so load on the
machine hits both alike) and the median wall time per scrape is taken; the goal
is that 50 backends take at most 2x the time of 1, since a scrape only reads
cached probe results. Then resident memory is read over a few thousand probe
rounds with backends churning through reloads (printed, no goal).

    python benchmarks/exporter_scrape.py [--rounds 3000] [--quick]

``--quick`` (5 backends against 1, few scrapes, a short soak) runs in seconds and
does not judge the goal.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from qobserve.exporter import Exporter, ExporterConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._report import goal

GOAL_RATIO = 2.0
READY_TIMEOUT = 600.0  # seconds for the start-up probes of 50 backends

FAST = {"calibration": {"interval": "10ms"}, "status": {"interval": "10ms"}}
# Scrape timing uses production-like intervals: probes run at start-up, then idle.
STEADY = {"calibration": {"interval": "5m"}, "status": {"interval": "30s"}}


def _fake_backends(n: int) -> list[dict]:
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    names = sorted(b.name for b in FakeProviderForBackendV2().backends())[:n]
    return [{"name": name, "backend": f"qiskit:{name}"} for name in names]


def _ready_exporter(backends: list[dict]) -> Exporter:
    config = ExporterConfig.model_validate(
        {"listen": "127.0.0.1:0", "backends": backends, "probes": STEADY}
    )
    exporter = Exporter(config)
    exporter.start()
    deadline = time.monotonic() + READY_TIMEOUT
    while not exporter.ready():
        if time.monotonic() > deadline:
            exporter.stop()
            raise SystemExit(
                f"exporter with {len(backends)} backends not ready in {READY_TIMEOUT} s"
            )
        time.sleep(0.05)
    return exporter


def _scrape(exporter: Exporter) -> tuple[float, int]:
    """Wall time of one scrape and the number of series served."""
    host, port = exporter.address
    t0 = time.perf_counter()
    body = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10).read()
    elapsed = time.perf_counter() - t0
    return elapsed, sum(1 for line in body.decode().splitlines() if line and line[0] != "#")


def _interleaved_medians(
    small: Exporter, large: Exporter, scrapes: int, warmup: int = 5
) -> tuple[tuple[float, int], tuple[float, int]]:
    """Median scrape time and series count of each, scraping them alternately."""
    for _ in range(warmup):
        _scrape(small), _scrape(large)
    times: tuple[list[float], list[float]] = ([], [])
    series = [0, 0]
    for _ in range(scrapes):
        for i, exporter in enumerate((small, large)):
            elapsed, series[i] = _scrape(exporter)
            times[i].append(elapsed)
    return (statistics.median(times[0]), series[0]), (statistics.median(times[1]), series[1])


def _soak(rounds: int, warmup_reloads: int = 8) -> tuple[float, float, int]:
    """RSS (MiB) after ``warmup_reloads`` reloads and at the end of ``rounds`` probe
    rounds with churn."""
    a = [{"name": "aer", "backend": "qiskit:aer"}, {"name": "cirq", "backend": "cirq:simulator"}]
    b = [{"name": "aer", "backend": "qiskit:aer"}, {"name": "dm", "backend": "cirq:density_matrix"}]
    configs = [
        ExporterConfig.model_validate({"listen": "127.0.0.1:0", "backends": x, "probes": FAST})
        for x in (a, b)
    ]
    exporter = Exporter(configs[0])
    exporter.start()
    proc = psutil.Process()
    try:
        start_rss = None
        t_end = time.monotonic() + rounds * 0.012
        i = 0
        while time.monotonic() < t_end:
            time.sleep(0.25)
            i += 1
            exporter.reload(configs[i % 2])
            if start_rss is None and i == warmup_reloads:
                gc.collect()
                start_rss = proc.memory_info().rss / 2**20
        gc.collect()
        return start_rss or 0.0, proc.memory_info().rss / 2**20, i
    finally:
        exporter.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--quick", action="store_true", help="seconds, not judged")
    args = parser.parse_args()
    many, scrapes = (5, 10) if args.quick else (50, 50)
    rounds = 300 if args.quick else args.rounds
    small = _ready_exporter(_fake_backends(1))
    try:
        large = _ready_exporter(_fake_backends(many))
        try:
            (one, n1), (big, nbig) = _interleaved_medians(small, large, scrapes)
        finally:
            large.stop()
    finally:
        small.stop()
    goal(
        f"exporter scrape, {many} backends against 1",
        f"{big / one:.2f}x ({big * 1000:.2f} ms for {nbig} series vs {one * 1000:.2f} ms for {n1})",
        f"<= {GOAL_RATIO:g}x",
        None if args.quick else big / one <= GOAL_RATIO,
    )
    start, end, reloads = _soak(rounds, 2 if args.quick else 8)
    print(
        f"soak: ~{rounds} probe rounds per loop, {reloads} reloads with churning backends: "
        f"RSS {start:.1f} MiB after warm-up -> {end:.1f} MiB at end ({end - start:+.1f} MiB)"
    )


if __name__ == "__main__":
    main()
