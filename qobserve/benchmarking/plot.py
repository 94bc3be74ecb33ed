"""RB decay pictures, drawn headless with matplotlib's object-oriented API.

As qiskit-experiments' RB plotter shows a fit: every sequence's survival as a
faint dot, the mean per length with its standard error, the fitted A·αᵐ + B as
a line, and EPC with its interval in the legend; with interleaving, the
interleaved curve in a second colour and the gate's error in the title. The
figure is built on a ``FigureCanvasAgg`` and never touches pyplot, so it
needs no display, no global figure state and works in threads.

matplotlib is an optional extra (``pip install 'qobserve[plot]'``). Without a
writable home (the exporter's uid) matplotlib picks a temporary cache directory
and logs a warning saying so; that warning is silenced while importing, since
the temporary directory works.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from qobserve.benchmarking.probe import RBResult
    from qobserve.benchmarking.rb_analysis import RBData, RBFit

__all__ = ["PLOT_EXTRA", "render_png", "write_png"]

#: The extra that installs matplotlib.
PLOT_EXTRA = "qobserve[plot]"

#: Figure size in inches and resolution: 1000 × 600 pixels.
FIGSIZE, DPI = (10.0, 6.0), 100

_COLOURS = ("#1f77b4", "#d62728")  # reference, interleaved


def _figure_class() -> Any:
    """matplotlib's ``Figure`` and Agg canvas, imported without the no-home warning."""
    log = logging.getLogger("matplotlib")
    level = log.level
    log.setLevel(
        logging.ERROR
    )  # "Matplotlib created a temporary cache directory …" on a uid without home
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"plot: matplotlib is not installed; pip install '{PLOT_EXTRA}'"
        ) from None
    finally:
        log.setLevel(level)
    return Figure, FigureCanvasAgg


def _curve(ax, data: RBData, fit: RBFit, colour: str, name: str, per: str = "EPC") -> None:
    m = np.asarray(data.lengths, dtype=float)
    s = np.asarray(data.survival, dtype=float)
    # Spread the sequences' dots sideways a little so overlapping ones stay visible.
    jitter = 0.006 * (m.max() - m.min() or 1.0) * (np.random.default_rng(0).random(s.shape) - 0.5)
    ax.plot((m + jitter).T, s.T, ".", color=colour, alpha=0.15, markersize=4)
    err = s.std(0, ddof=1) / np.sqrt(len(s)) if len(s) > 1 else np.zeros(len(m))
    ax.errorbar(
        m,
        s.mean(0),
        yerr=err,
        fmt="o",
        color=colour,
        capsize=3,
        markersize=5,
        label=f"{name}: mean ± s.e. of {len(s)} sequences",
    )
    if fit.ok:
        assert fit.epc_ci and fit.a is not None and fit.alpha is not None and fit.b is not None
        grid = np.linspace(0.0, m.max(), 300)
        lo, hi = fit.epc_ci
        ax.plot(
            grid,
            fit.a * fit.alpha**grid + fit.b,
            "-",
            color=colour,
            linewidth=2,
            label=f"{name} fit A·α^m + B: α = {fit.alpha:.5f}, {per} = {fit.epc:.2e} [{lo:.2e}, {hi:.2e}]",
        )
    else:
        ax.plot([], [], " ", label=f"{name}: no fit ({fit.status.value})")


def _title(result: RBResult) -> str:
    head = f"RB on {result.backend} qubits {result.experiment.label}"
    if result.noise:
        head += f" ({result.noise})"
    irb = result.interleaved
    if irb is not None and irb.ok:
        assert irb.gate_error_ci is not None  # set when ok
        lo, hi = irb.gate_error_ci
        head += f"\n{irb.gate} error {irb.gate_error:.2e}, 95% CI [{lo:.2e}, {hi:.2e}]"
    elif result.fit.ok:
        assert result.fit.epc_ci is not None  # set when ok
        lo, hi = result.fit.epc_ci
        head += f"\nEPC {result.fit.epc:.2e}, 95% CI [{lo:.2e}, {hi:.2e}]"
    return head


def render_png(result: RBResult) -> bytes:
    """The decay curve(s) of ``result`` as PNG bytes (1000 × 600 pixels).

    Raises:
        ImportError: ``plot:`` matplotlib is missing, naming the extra.
    """
    figure_cls, canvas_cls = _figure_class()
    fig = figure_cls(figsize=FIGSIZE, dpi=DPI)
    canvas_cls(fig)
    ax = fig.add_subplot()
    _curve(ax, result.data, result.fit, _COLOURS[0], "reference" if result.interleaved else "RB")
    if result.interleaved is not None:
        assert result.interleaved_data is not None  # measured with the interleaved fit
        _curve(
            ax,
            result.interleaved_data,
            result.interleaved.interleaved,
            _COLOURS[1],
            f"interleaved {result.interleaved.gate}",
            per=f"error per Clifford + {result.interleaved.gate}",
        )
    d = result.experiment.dimension
    ax.axhline(1 / d, color="grey", linestyle=":", linewidth=1, label=f"1/d = {1 / d:g}")
    lengths = result.experiment.lengths or ()
    ax.set_xticks(list(lengths), [str(m) for m in lengths], fontsize=8)
    ax.set_xlabel(
        f"Clifford length m (lengths used; {result.experiment.num_samples} sequences × "
        f"{result.shots} shots each)"
    )
    ax.set_ylabel(f"P(|{'0' * result.experiment.num_qubits}⟩) survival")
    ax.set_ylim(min(0.0, 1 / d - 0.05), 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(_title(result), fontsize=11)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def write_png(result: RBResult, path: str) -> None:
    """Write :func:`render_png` to ``path``.

    Raises:
        ImportError: ``plot:`` matplotlib is missing.
        OSError: the file cannot be written.
    """
    png = render_png(result)
    with open(path, "wb") as out:
        out.write(png)
