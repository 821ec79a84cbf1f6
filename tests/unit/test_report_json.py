"""The JSON report: valid against the documented schema, complete, round-trippable, free of secrets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from hybridnet.drill.result import Event, TcpStreamResult
from hybridnet.report import SCHEMA_VERSION, Redactor, render_json, report_document, result_from_document
from tests.unit.test_report_sample import sample_drill

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "drill-report.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return document


def test_report_validates_against_the_documented_schema(schema: dict) -> None:
    document = json.loads(render_json(sample_drill()))
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    with_samples = report_document(sample_drill(), include_samples=True)
    jsonschema.validate(json.loads(json.dumps(with_samples)), schema, cls=jsonschema.Draft202012Validator)
    assert len(with_samples["samples"]) > 1000 and with_samples["lost_samples"]


def test_schema_rejects_a_step_without_outage_or_lost(schema: dict) -> None:
    document = json.loads(render_json(sample_drill()))
    del document["steps"][1]["outage_ms"]
    with pytest.raises(jsonschema.ValidationError, match="outage_ms"):
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_each_step_and_direction_carries_outage_lost_paths(schema: dict) -> None:
    document = report_document(sample_drill())
    assert document["schema"] == SCHEMA_VERSION
    stop = [s for s in document["steps"] if s["name"] == "stop the circuit"]
    assert {s["direction"] for s in stop} == {"onprem-to-vnet", "vnet-to-onprem"}
    for step in stop:
        assert step["outage_ms"] > 900 and step["lost"] > 0
        assert step["path"] == {"before": "ExpressRoute", "during": "none", "after": "VPN",
                                "expected": "VPN", "as_expected": True}
    assert document["tcp_stream"]["bytes_sent"] == document["tcp_stream"]["bytes_received"]
    first_prediction = document["predictions"][0]
    assert (first_prediction["mechanism"], first_prediction["detection_ms"]) == ("bfd", 900)
    assert [e["t_s"] for e in document["events"]] == sorted(e["t_s"] for e in document["events"])


def test_a_stream_that_lost_bytes_fails_the_drill() -> None:
    result = sample_drill()
    result.tcp_stream = TcpStreamResult(bytes_sent=1000, bytes_received=900, checksum_ok=False, survived=True)
    document = report_document(result)
    assert document["passed"] is False and document["tcp_stream"]["nothing_lost"] is False


def test_max_outage_is_enforced() -> None:
    assert report_document(sample_drill(max_outage_ms=1000.0))["passed"] is False
    assert report_document(sample_drill(max_outage_ms=1200.0))["passed"] is True


def test_a_saved_report_renders_the_same_again() -> None:
    original = sample_drill()
    text = render_json(original, include_samples=True)
    rebuilt = result_from_document(json.loads(text))
    assert render_json(rebuilt, include_samples=True) == text


def test_secrets_never_reach_the_json() -> None:
    result = sample_drill()
    result.events.append(Event(3.0, "ike", "ike-updown",
                               "loaded secrets { ike-azure { secret = Sup3rS3cret } }"))
    result.events.append(Event(3.1, "ike", "auth", "authentication with key Pa55phrase-2026 failed"))
    result.steps[0] = replace(result.steps[0], fault="psk=hunter22")
    text = render_json(result, redactor=Redactor(["Pa55phrase-2026"]))
    for secret in ("Sup3rS3cret", "Pa55phrase-2026", "hunter22"):
        assert secret not in text
    assert "«redacted»" in text
