"""OpenSLO v1 ratio-metric SLOs import into valid qobserve SLO entries."""

from __future__ import annotations

import pytest

from qobserve.slo.openslo import from_openslo
from qobserve.slo.spec import parse_spec

DOC = {
    "apiVersion": "openslo/v1",
    "kind": "SLO",
    "metadata": {"name": "job-success"},
    "spec": {
        "service": "qobserve",
        "indicator": {
            "spec": {
                "ratioMetric": {
                    "good": {
                        "metricSource": {
                            "type": "Prometheus",
                            "spec": {
                                "query": 'sum(rate(quantum_jobs_total{quantum_job_status="completed"}[{{.window}}]))'
                            },
                        }
                    },
                    "total": {
                        "metricSource": {
                            "type": "Prometheus",
                            "spec": {"query": "sum(rate(quantum_jobs_total[{{.window}}]))"},
                        }
                    },
                }
            }
        },
        "timeWindow": [{"duration": "28d", "isRolling": True}],
        "objectives": [{"target": 0.995}],
    },
}


def test_import_good_total_ratio() -> None:
    """A good/total ratio becomes an events SLI with error = total - good and a percent objective."""
    slo = from_openslo(DOC, alert_name="QuantumJobSuccessBudgetBurn")
    spec = parse_spec({"apiVersion": "qobserve/v1", "service": "qobserve", "slos": [slo]})
    assert (spec.slos[0].objective, spec.slos[0].period) == (99.5, "28d")
    assert spec.slos[0].sli.error_query.startswith("(sum(rate(quantum_jobs_total[")


def test_import_rejects_threshold_metrics() -> None:
    """Non-ratio indicators fail naming the OpenSLO field."""
    doc = {**DOC, "spec": {**DOC["spec"], "indicator": {"spec": {"thresholdMetric": {}}}}}
    with pytest.raises(ValueError, match="ratioMetric"):
        from_openslo(doc, alert_name="X")
