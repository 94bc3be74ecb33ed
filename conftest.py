"""Load the qobserve pytest plugin when it is not installed as an entry point (source checkouts)."""

pytest_plugins = ["qobserve.testing"]
