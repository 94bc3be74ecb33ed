"""Local Prometheus/Alertmanager processes for `qobserve demo --stack` and integration tests."""
