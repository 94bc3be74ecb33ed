"""The demo's last lines: what to look at instead of reading tables.

Each pointer is a label and a place (a URL or a file), printed one per line and
never wrapped, so a terminal's link detection or a copy and paste gets it whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

__all__ = ["Pointer", "print_pointers"]


@dataclass(frozen=True)
class Pointer:
    label: str
    where: str


def print_pointers(console: Console, pointers: list[Pointer], serve_seconds: float) -> None:
    """``Look at:``, one unwrapped line per pointer, then how long ``/metrics`` stays up."""
    console.print("[bold]Look at:[/]")
    width = max(len(p.label) for p in pointers)
    for p in pointers:
        console.print(f"  {p.label:<{width}}  {p.where}", soft_wrap=True, markup=False)
    if serve_seconds:
        console.print(f"serving /metrics for {serve_seconds:g} s more (Ctrl-C stops)")
    else:
        console.print("/metrics stops with the demo: --serve-seconds 300 keeps it up to look at")
