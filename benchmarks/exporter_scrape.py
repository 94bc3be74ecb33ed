"""Scrape latency of the exporter with 50 backends against 1, and memory over a soak.

Prints the median scrape time for 1 and for 50 configured backends (goal: the
ratio stays within 2x, since a scrape only reads cached probe results) and the
resident-memory growth over a few thousand probe rounds with churning backends.

    python benchmarks/exporter_scrape.py [--rounds 3000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import urllib.request

import psutil

from qobserve.exporter import Exporter, ExporterConfig

FAST = {"calibration": {"interval": "10ms"}, "status": {"interval": "10ms"}}
# Scrape timing uses production-like intervals: probes run at start-up, then idle.
STEADY = {"calibration": {"interval": "5m"}, "status": {"interval": "30s"}}


def _fake_backends(n: int) -> list[dict]:
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    names = sorted(b.name for b in FakeProviderForBackendV2().backends())[:n]
    return [{"name": name, "backend": f"qiskit:{name}"} for name in names]


def _scrape_median(backends: list[dict], scrapes: int = 50) -> tuple[float, int]:
    """Median scrape time and the number of series served."""
    config = ExporterConfig.model_validate(
        {"listen": "127.0.0.1:0", "backends": backends, "probes": STEADY}
    )
    exporter = Exporter(config)
    exporter.start()
    try:
        while not exporter.ready():
            time.sleep(0.05)
        host, port = exporter.address
        times = []
        for _ in range(scrapes):
            t0 = time.perf_counter()
            body = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10).read()
            times.append(time.perf_counter() - t0)
        series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
        return statistics.median(times), series
    finally:
        exporter.stop()


def _soak(rounds: int) -> tuple[float, float, int]:
    """RSS (MiB) after warm-up and at the end of ``rounds`` probe rounds with churn."""
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
            if start_rss is None and i == 8:
                gc.collect()
                start_rss = proc.memory_info().rss / 2**20
        gc.collect()
        return start_rss or 0.0, proc.memory_info().rss / 2**20, i
    finally:
        exporter.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    args = parser.parse_args()
    one, n1 = _scrape_median(_fake_backends(1))
    fifty, n50 = _scrape_median(_fake_backends(50))
    print(
        f"scrape median: 1 backend {one * 1000:.2f} ms ({n1} series), "
        f"50 backends {fifty * 1000:.2f} ms ({n50} series): ratio {fifty / one:.2f}x (goal <= 2x); "
        f"per series {fifty / n50 * 1e6:.1f} us vs {one / n1 * 1e6:.1f} us"
    )
    start, end, reloads = _soak(args.rounds)
    print(
        f"soak: ~{args.rounds} probe rounds per loop, {reloads} reloads with churning backends: "
        f"RSS {start:.1f} MiB after warm-up -> {end:.1f} MiB at end ({end - start:+.1f} MiB)"
    )


if __name__ == "__main__":
    main()
