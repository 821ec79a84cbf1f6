"""Turn the TCP-stream and HTTP agents' records into the figures a report shows.

The TCP source's summary already carries both ends' view (the sink answers with its count and
digest), so "nothing lost" is read from measurements; the sink's own summary, when given, adds
whether every byte matched the expected stream and where the first wrong byte was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hybridnet.agents.agent_io import Record
from hybridnet.drill.result import HttpFigures, TcpStreamResult
from hybridnet.errors import HybridnetError


class MissingSummary(HybridnetError, ValueError):
    """An agent's output has no summary: it was killed before it could finish."""


def _summary(records: Iterable[Record], role: str) -> Record:
    summary = next((r for r in records if r.get("kind") == "summary" and r.get("role") == role), None)
    if summary is None:
        raise MissingSummary(f"no {role} summary in the agent's output (was it killed with SIGKILL?)")
    return summary


def tcp_stream_result(source_records: list[Record],
                      sink_records: list[Record] | None = None) -> TcpStreamResult:
    """The stream's outcome; when the sink's records are given, a corrupted byte fails the checksum too."""
    source = _summary(source_records, "tcp-source")
    checksum_ok = bool(source["checksum_ok"])
    error = str(source.get("error", ""))
    if sink_records is not None:
        sink = _summary(sink_records, "tcp-sink")
        if not sink["content_ok"]:
            checksum_ok = False
            error = error or f"byte {sink['first_mismatch_offset']} differs from the expected stream"
    return TcpStreamResult(bytes_sent=int(source["bytes_sent"]), bytes_received=int(source["bytes_received"]),
                           checksum_ok=checksum_ok, survived=bool(source["survived"]), error=error,
                           longest_stall_ms=float(source.get("longest_stall_ms", 0.0)))


def http_figures(records: Iterable[Record]) -> HttpFigures:
    """Counts, and the longest run of failed requests measured from first failure to next success."""
    requests = ok = failed = 0
    longest_ns = 0
    failing_since: int | None = None
    for record in sorted((r for r in records if r.get("kind") == "http"), key=lambda r: int(r["t_ns"])):
        requests += 1
        t_ns = int(record["t_ns"])
        if int(record["status"]) == 200:
            ok += 1
            if failing_since is not None:
                longest_ns = max(longest_ns, t_ns - failing_since)
                failing_since = None
        else:
            failed += 1
            failing_since = t_ns if failing_since is None else failing_since
    return HttpFigures(requests=requests, ok=ok, failed=failed, longest_failure_ms=longest_ns / 1e6)


def tcp_result(records: Mapping[str, list[Record]]) -> TcpStreamResult:
    """The stream's outcome; the source's own view when the sink never wrote its summary."""
    for sink in (records.get("tcp-sink"), None):
        try:
            return tcp_stream_result(records.get("tcp-source", []), sink)
        except MissingSummary as error:
            message = str(error)
    return TcpStreamResult(bytes_sent=0, bytes_received=0, checksum_ok=False, survived=False, error=message)
