"""The demo's last lines: what to look at instead of reading tables.

Each pointer is a label and a place (a URL or a file), printed one per line and
never wrapped, so a terminal's link detection or a copy and paste gets it whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

__all__ = ["Pointer", "metrics_pointer", "print_pointers"]


@dataclass(frozen=True)
class Pointer:
    label: str
    where: str
    note: str = ""


def metrics_pointer(url: str, serve_seconds: float) -> Pointer:
    """``/metrics`` while it is served, or how to keep it up when the demo ends now."""
    if serve_seconds:
        return Pointer(
            "/metrics", url, f"serving /metrics for {serve_seconds:g} s more (Ctrl-C stops)"
        )
    return Pointer("/metrics", url, "served during the run; --serve-seconds 300 keeps it up")


def print_pointers(console: Console, pointers: list[Pointer]) -> None:
    """``Look at:`` then one unwrapped line per pointer, labels aligned."""
    console.print("[bold]Look at:[/]")
    width = max(len(p.label) for p in pointers)
    for p in pointers:
        note = f"  ({p.note})" if p.note else ""
        console.print(
            f"  {p.label:<{width}}  {p.where}{note}", soft_wrap=True, markup=False, highlight=False
        )
