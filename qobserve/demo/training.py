"""Demo stage: a short variational-classifier training run with gradient SNR."""

from __future__ import annotations


def run(ctx) -> None:
    from qobserve.examples.variational_classifier import train

    result = train(steps=8, seed=ctx.options.seed, shots=1000, points=16)
    ctx.notes.append(
        f"training: {result['steps']} steps, loss {result['loss']:.3f}, "
        f"validation accuracy {result['accuracy']:.0%}, "
        f"{len(result['anomalies'])} anomalies"
    )
