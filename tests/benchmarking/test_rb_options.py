"""``qobserve rb`` argument checks as a property: any text is either accepted within the limits or refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qobserve.benchmarking.options import LIMITS, parse_rb_options

_OPTION = {
    "samples": "--samples",
    "shots": "--shots",
    "seed": "--seed",
    "readout_error": "--readout-error",
    "qubits": "--qubits",
    "lengths": "--lengths",
    "noise": "--noise",
    "max_total_shots": "--max-total-shots",
}
_NUMBERS = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e20", "0x10", "٣", " 7 ", "+5", "", "nan", "-0", "1_000"]),
)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(_OPTION)), value=_NUMBERS)
def test_any_text_is_accepted_within_limits_or_refused_naming_the_option(field, value):
    """Generated values never raise anything but a one-line ValueError that names the option."""
    args = {
        "backend": "stim",
        "qubits": None,
        "lengths": None,
        "samples": "30",
        "shots": "1024",
        "seed": None,
        "noise": None,
        "readout_error": "0",
        "max_total_shots": None,
    }
    args[field] = value
    try:
        opts = parse_rb_options(**args)
    except ValueError as exc:
        message = str(exc)
        assert (
            "\n" not in message and message.startswith(f"{_OPTION[field]}: ")
        ) or message.startswith("--shots: samples x lengths x shots"), message
        return
    assert 1 <= opts.samples <= LIMITS["samples"] and 1 <= opts.shots <= LIMITS["shots"]
    assert 0 <= opts.readout_error <= 0.5 and len(opts.qubits) in (1, 2)
    assert opts.lengths is None or list(opts.lengths) == sorted(set(opts.lengths))
    assert opts.total_shots <= LIMITS["total_shots"] or field == "max_total_shots"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("samples", "+5", 5),
        ("samples", " 7 ", 7),
        ("lengths", "1, 10 ,20", (1, 10, 20)),
        ("qubits", "0_1", (0, 1)),
    ],
)
def test_ordinary_spellings_are_accepted(field, value, expected):
    """Signs, spaces and the 0_1 qubit-label form parse as an operator would expect."""
    args = {
        "backend": "stim",
        "qubits": None,
        "lengths": None,
        "samples": "30",
        "shots": "1024",
        "seed": None,
        "noise": None,
        "readout_error": "0",
    }
    args[field] = value
    assert getattr(parse_rb_options(**args), field) == expected
