"""Spans as OTLP JSON lines, and a short trace tree of one job read back from them.

:class:`OtlpJsonFileExporter` writes each export batch as one
``ExportTraceServiceRequest`` per line, encoded by the OTLP exporter's own
protobuf encoder and rendered with protobuf's JSON mapping, adjusted to the
OTLP/HTTP JSON rules (trace and span ids as hex, enums as integers), so the
file can be replayed to any OTLP/HTTP receiver or read by the Collector's
``otlpjsonfile`` receiver.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from rich.tree import Tree

__all__ = ["OtlpJsonFileExporter", "SpanRecord", "job_tree", "pick_job", "read_spans"]

_ID_KEYS = ("traceId", "spanId", "parentSpanId")
_STATUS_ERROR = 2  # opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR


def _hex_ids(node: object) -> object:
    """OTLP JSON carries ids as hex strings, not protobuf JSON's base64."""
    if isinstance(node, dict):
        return {
            k: (base64.b64decode(v).hex() if k in _ID_KEYS and isinstance(v, str) else _hex_ids(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


class OtlpJsonFileExporter(SpanExporter):
    """Append spans to ``path`` as OTLP JSON, one ``ExportTraceServiceRequest`` per line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        request = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
        line = json.dumps(_hex_ids(request), separators=(",", ":"))
        with self._lock:
            if self._file.closed:
                return SpanExportResult.FAILURE
            self._file.write(line + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@dataclass
class SpanRecord:
    """The parts of an OTLP JSON span the tree shows."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, object]
    events: list[str]
    error: bool
    children: list[SpanRecord] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


def _value(v: dict) -> object:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    return int(v["intValue"]) if "intValue" in v else str(v)


def read_spans(path: str | Path) -> list[SpanRecord]:
    """Every span in an OTLP JSON lines file, children linked to their parents."""
    spans: dict[str, SpanRecord] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        for rs in json.loads(line).get("resourceSpans", ()):
            for ss in rs.get("scopeSpans", ()):
                for s in ss.get("spans", ()):
                    spans[s["spanId"]] = SpanRecord(
                        s["traceId"],
                        s["spanId"],
                        s.get("parentSpanId", ""),
                        s["name"],
                        int(s["startTimeUnixNano"]),
                        int(s["endTimeUnixNano"]),
                        {a["key"]: _value(a["value"]) for a in s.get("attributes", ())},
                        [e["name"] for e in s.get("events", ())],
                        s.get("status", {}).get("code") == _STATUS_ERROR,
                    )
    for span in spans.values():
        if span.parent_id in spans:
            spans[span.parent_id].children.append(span)
    for span in spans.values():
        span.children.sort(key=lambda c: c.start_ns)
    return sorted(spans.values(), key=lambda s: s.start_ns)


def pick_job(spans: list[SpanRecord], root_name: str) -> SpanRecord | None:
    """The most eventful job: a fallback across backends beats retries beats a plain job."""
    from qobserve.semconv import Attr

    def score(s: SpanRecord) -> tuple[int, int]:
        backends = {c.attributes.get(Attr.BACKEND.value) for c in s.children}
        return (len(backends) > 1 and not s.error, len(s.children))

    jobs = [s for s in spans if s.name == root_name and s.children]
    return max(jobs, key=score, default=None)


def _label(span: SpanRecord) -> str:
    from qobserve.semconv import Attr

    mark = "[red]✗[/]" if span.error else "[green]✓[/]"
    steps = " → ".join(["submit", *span.events]) if span.events else ""
    error = span.attributes.get(Attr.ERROR_TYPE.value)
    attempt = span.attributes.get(Attr.ATTEMPT.value)
    parts = [f"{mark} [bold]{span.name}[/]", f"{span.duration_s * 1000:.0f} ms"]
    if attempt is not None:
        parts.append(f"attempt {attempt}")
    if steps:
        parts.append(steps)
    if error:
        parts.append(f"[red]{error}[/]")
    return "  ".join(parts)


def job_tree(job: SpanRecord) -> Tree:
    """A rich tree of one job span and its attempt spans (retries and fallbacks)."""
    tree = Tree(f"{_label(job)}  trace {job.trace_id[:16]}…")
    for child in job.children:
        node = tree.add(_label(child))
        for grandchild in child.children:
            node.add(_label(grandchild))
    return tree
