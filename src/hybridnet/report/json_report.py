"""The drill report as JSON: the machine-readable record, checked against docs/drill-report.schema.json.

The document is the contract for CI pipelines (``hybridnet drill --json | jq``), so its shape is
versioned in ``schema`` (``version`` says which hybridnet wrote it) and every field is explained in
docs/drill-report.md. It round-trips:
``result_from_document`` rebuilds the DrillResult so a saved run can be rendered again.
"""

from __future__ import annotations

import json
from typing import Any

from hybridnet.drill.result import (
    DrillResult,
    Event,
    FlowOutcome,
    HttpFigures,
    Outage,
    PathMtuResult,
    PathSegment,
    ProbeSample,
    RepeatStatistics,
    StepResult,
    TcpStreamResult,
    TimerPrediction,
    UdpFigures,
    site_summaries,
)
from hybridnet.report.redaction import Redactor, redact
from hybridnet.version import hybridnet_version

SCHEMA_VERSION = "hybridnet-drill-report/1"
Document = dict[str, Any]


def report_document(result: DrillResult, *, include_samples: bool = False,
                    redactor: Redactor = redact) -> Document:
    """The JSON document for one drill run; samples (one per probe reply) only on request."""
    document: Document = {
        "schema": SCHEMA_VERSION,
        "tool": "hybridnet",
        "version": hybridnet_version(),
        "topology": result.topology,
        "fault": result.fault,
        "started_at": result.started_at,
        "probe_interval_ms": result.probe_interval_ms,
        "passed": result.passed,
        "max_outage_ms": result.max_outage_ms,
        "worst_outage_ms": result.worst_outage_ms,
        "predictions": [_prediction(p) for p in result.predictions],
        "steps": [_step(step, redactor) for step in result.steps],
        "tcp_stream": _tcp_stream(result.tcp_stream, redactor) if result.tcp_stream is not None else None,
        "events": [_event(event, redactor) for event in sorted(result.events, key=lambda e: e.t_s)],
        "repeats": [_repeat(r) for r in result.repeats],
    }
    if result.flows:  # an estate: every probed flow (the reference's one flow is ``steps``)
        document["flows"] = [_flow(flow, redactor) for flow in result.flows]
        document["sites"] = [{"site": s.site, "flows": s.flows, "passed": s.passed,
                              "worst_outage_ms": s.worst_outage_ms, "tcp_bytes_lost": s.tcp_bytes_lost}
                             for s in site_summaries(result.flows)]
        document["not_probed"] = list(result.not_probed)
        document["flow_note"] = result.flow_note
    if include_samples:
        document["samples"] = [
            {"t_s": s.t_s, "seq": s.seq, "rtt_ms": s.rtt_ms, "path": s.path, "direction": s.direction}
            for s in result.samples]
        document["lost_samples"] = [{"t_s": t, "direction": d} for t, d in result.lost_samples]
    return document


def render_json(result: DrillResult, *, include_samples: bool = False, redactor: Redactor = redact) -> str:
    return json.dumps(report_document(result, include_samples=include_samples, redactor=redactor),
                      indent=2, ensure_ascii=False) + "\n"


def _prediction(p: TimerPrediction) -> Document:
    return {"mechanism": p.mechanism, "detection_ms": p.detection_ms, "explanation": p.explanation,
            "applies_to": p.applies_to}


def _udp(u: UdpFigures) -> Document:
    return {
        "sent": u.sent, "received": u.received, "lost": u.lost, "request_lost": u.request_lost,
        "reply_lost": u.reply_lost, "lost_unattributed": u.lost_unattributed, "duplicated": u.duplicated,
        "reordered": u.reordered, "outage_ms": u.outage_ms, "request_outage_ms": u.request_outage_ms,
        "reply_outage_ms": u.reply_outage_ms, "rtt_ms_median": u.rtt_ms_median,
        "outages": [{"start_s": o.start_s, "end_s": o.end_s, "outage_ms": o.outage_ms, "lost": o.lost}
                    for o in u.outages],
    }


def _step(step: StepResult, redactor: Redactor) -> Document:
    return {
        "name": step.name, "direction": step.direction, "fault": redactor(step.fault),
        "start_s": step.start_s, "end_s": step.end_s,
        "outage_ms": step.outage_ms, "lost": step.lost, "udp": _udp(step.udp),
        "path": {"before": step.path_before, "during": step.path_during, "after": step.path_after,
                 "expected": step.expected_path, "as_expected": step.path_as_expected},
        "http": None if step.http is None else {
            "requests": step.http.requests, "ok": step.http.ok, "failed": step.http.failed,
            "longest_failure_ms": step.http.longest_failure_ms},
        "path_mtu": [{"path": m.path, "largest_df_payload": m.largest_df_payload, "path_mtu": m.path_mtu,
                      "mss_observed": m.mss_observed, "mss_protects": m.mss_protects} for m in step.path_mtu],
        "segments": [{"path": s.path, "start_s": s.start_s, "end_s": s.end_s, "replies": s.replies}
                     for s in step.segments],
    }


def _flow(flow: FlowOutcome, redactor: Redactor) -> Document:
    return {"index": flow.index, "site": flow.site, "vnet": flow.vnet, "host": flow.host, "workload": flow.workload,
            "expected_intact": flow.expected_intact, "expected_fault": flow.expected_fault,
            "expects_cut": flow.expects_cut, "untouched": flow.untouched, "passed": flow.passed,
            "problems": [redactor(p) for p in flow.problems],
            "outage_ms": {"onprem-to-vnet": flow.outage_ms("onprem-to-vnet"),
                          "vnet-to-onprem": flow.outage_ms("vnet-to-onprem")},
            "tcp_bytes_lost": flow.tcp_bytes_lost,
            "steps": [_step(step, redactor) for step in flow.steps],
            "tcp_stream": _tcp_stream(flow.tcp_stream, redactor) if flow.tcp_stream is not None else None}


def _flow_from(f: Document) -> FlowOutcome:
    stream = f["tcp_stream"]
    return FlowOutcome(
        index=f["index"], site=f["site"], vnet=f["vnet"], host=f["host"], workload=f["workload"],
        steps=tuple(_step_from(s) for s in f["steps"]),
        tcp_stream=None if stream is None else TcpStreamResult(
            **{k: v for k, v in stream.items() if k != "nothing_lost"}),
        expected_intact=f["expected_intact"], expected_fault=f["expected_fault"], expects_cut=f["expects_cut"],
        untouched=f["untouched"])


def _tcp_stream(t: TcpStreamResult, redactor: Redactor) -> Document:
    return {"bytes_sent": t.bytes_sent, "bytes_received": t.bytes_received, "checksum_ok": t.checksum_ok,
            "survived": t.survived, "nothing_lost": t.nothing_lost, "error": redactor(t.error),
            "longest_stall_ms": t.longest_stall_ms}


def _event(e: Event, redactor: Redactor) -> Document:
    return {"t_s": e.t_s, "source": e.source, "kind": e.kind, "detail": redactor(e.detail), "node": e.node}


def _repeat(r: RepeatStatistics) -> Document:
    return {"step": r.step, "direction": r.direction, "runs": r.runs, "min_ms": r.min_ms,
            "median_ms": r.median_ms, "p95_ms": r.p95_ms, "max_ms": r.max_ms}


def result_from_document(document: Document) -> DrillResult:
    """Rebuild a DrillResult from a saved report (derived fields are recomputed, not trusted)."""
    if document.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"not a {SCHEMA_VERSION} document (schema: {document.get('schema')!r})")
    return DrillResult(
        topology=document["topology"], fault=document["fault"], started_at=document["started_at"],
        probe_interval_ms=document["probe_interval_ms"], max_outage_ms=document["max_outage_ms"],
        predictions=[TimerPrediction(**p) for p in document["predictions"]],
        steps=[_step_from(s) for s in document["steps"]],
        tcp_stream=None if document["tcp_stream"] is None else TcpStreamResult(
            **{k: v for k, v in document["tcp_stream"].items() if k != "nothing_lost"}),
        events=[Event(**e) for e in document["events"]],
        repeats=[RepeatStatistics(**r) for r in document["repeats"]],
        samples=[ProbeSample(**s) for s in document.get("samples", [])],
        lost_samples=[(s["t_s"], s["direction"]) for s in document.get("lost_samples", [])],
        flows=[_flow_from(f) for f in document.get("flows", [])],
        not_probed=list(document.get("not_probed", [])), flow_note=document.get("flow_note", ""),
    )


def _step_from(s: Document) -> StepResult:
    udp = dict(s["udp"])
    udp["outages"] = tuple(Outage(o["start_s"], o["end_s"], o["lost"]) for o in udp["outages"])
    http = s["http"]
    return StepResult(
        name=s["name"], direction=s["direction"], fault=s["fault"], start_s=s["start_s"], end_s=s["end_s"],
        udp=UdpFigures(**udp), path_before=s["path"]["before"], path_during=s["path"]["during"],
        path_after=s["path"]["after"], expected_path=s["path"]["expected"],
        http=None if http is None else HttpFigures(**http),
        path_mtu=tuple(PathMtuResult(m["path"], m["largest_df_payload"], m["mss_observed"])
                       for m in s["path_mtu"]),
        segments=tuple(PathSegment(**g) for g in s["segments"]),
    )
