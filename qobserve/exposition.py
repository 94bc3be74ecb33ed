"""Prometheus exposition in which every counter and histogram series starts at 0.

Prometheus' ``rate()`` and ``increase()`` need two samples of a series; a
series whose first scraped value is already 1 (a backend's first failure with
a new ``error_type``, its first job slower than a latency threshold) shows no
increase, so the first event of a new kind is invisible to every burn-rate
rule. The series cannot be pre-created, since the label values (error types)
are not known in advance.

:class:`ZeroFirstCollector` serves a prometheus-client registry with each
counter and histogram series (``_total``, ``_bucket``, ``_count``, ``_sum``)
that appeared since the previous scrape reported as 0 on that scrape and with
its value from then on, which is what a series pre-created at zero would have
shown: the first event then counts one scrape interval later. The very first
scrape of a process serves every value as it is (so a person reading
``/metrics`` once sees real numbers). ``configure(prometheus_port=...)``
serves ``/metrics`` through it; code reading the registry directly (the demo's
SLI table) sees the plain values.

Limits: "since the previous scrape" is per process and shared by all
scrapers: of two Prometheus servers scraping one target (an HA pair), only
the first to scrape after a new series appears sees the zero. Events before a
process's first scrape stay invisible to ``rate()``, as they are without this.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

__all__ = ["ZeroFirstCollector"]

_ZEROED_TYPES = ("counter", "histogram")


class ZeroFirstCollector:
    """A collector yielding ``registry``'s metric families with every counter and
    histogram series at 0 on its first scrape.

    Args:
        registry: the prometheus-client registry (or collector) to serve.
    """

    def __init__(self, registry) -> None:
        self._registry = registry
        self._seen: set[tuple] = set()
        self._scraped = False
        self._lock = threading.Lock()

    def collect(self) -> Iterator:
        families = list(self._registry.collect())
        with self._lock:
            zero = self._scraped
            for family in families:
                if family.type in _ZEROED_TYPES:
                    family.samples = [self._first(s, zero) for s in family.samples]
            self._scraped = True
        yield from families

    def _first(self, sample, zero: bool):
        if sample.name.endswith("_created"):
            return sample
        key = (sample.name, tuple(sorted(sample.labels.items())))
        if key in self._seen:
            return sample
        self._seen.add(key)
        return sample._replace(value=0.0) if zero else sample
