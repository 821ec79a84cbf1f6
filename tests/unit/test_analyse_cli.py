"""`hybridnet analyse`: the matrix, the paths, JSON, the diff, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hybridnet.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NO_PREFERENCE = str(EXAMPLES / "variant-no-er-preference.yaml")
PINNED = str(EXAMPLES / "variant-vpn-pinned-24.yaml")

runner = CliRunner()


def run(*args: str, width: int = 160) -> tuple[int, str]:
    result = runner.invoke(app, ["analyse", *args], env={"COLUMNS": str(width)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_the_reference_fails_over_cleanly_and_exits_0() -> None:
    code, output = run()
    assert code == 0, output
    assert "Failover matrix" in output
    assert "67 scenarios × 3 flows" in output
    assert "192.168.0.0/16" in output and "web, biz, data" in output
    assert "circuit+onprem-vpn" in output and "✗hole" in output  # both paths gone
    assert "asym" not in output.split("Failover matrix")[1].split("→ on-prem to Azure")[0]


def _edges_below_the_vpn(tmp_path: Path) -> str:
    """The no-preference variant with the edges' local preference below the appliance's: on-prem
    prefers the VPN whatever the router IDs."""
    path = tmp_path / "edges-below-vpn.yaml"
    text = Path(NO_PREFERENCE).read_text()
    path.write_text(text.replace("local_preference: 100      # CHANGED", "local_preference: 90 #"))
    return str(path)


def test_an_asymmetric_design_exits_1_and_says_why(tmp_path: Path) -> None:
    code, output = run(_edges_below_the_vpn(tmp_path), "--depth", "1")
    assert code == 1
    assert "→VPN ←ER" in output and "asym" in output
    assert "asymmetric in 9 scenario(s)" in output
    assert "local preference" in output


def test_equal_local_preference_is_a_router_id_tie_break_and_says_so() -> None:
    code, output = run(NO_PREFERENCE, "--depth", "1", width=400)
    assert code == 0  # the rendered router IDs rank the CEs before the appliance
    assert "equally long AS paths (12076 over ExpressRoute, 65515 over the VPN)" in output
    assert "lowest router ID decides" in output


def test_flagged_shows_only_scenarios_with_a_flagged_flow() -> None:
    code, output = run(PINNED, "--depth", "1", "--flagged")
    assert code == 1
    assert "all-up" in output and "onprem-ce1" in output
    assert "│ circuit " not in output and "│ onprem-vpn " not in output


def test_json_lists_every_scenario_and_flow() -> None:
    code, output = run(PINNED, "--json", "--depth", "1")
    assert code == 1
    data = json.loads(output)
    assert len(data["scenarios"]) == 12
    assert len(data["flows"]) == 6
    flow = next(f for f in data["flows"] if f["onprem_prefix"] == "192.168.1.0/24" and f["subnet"] == "web")
    pinned = next(g for g in data["scenarios"][0]["groups"] if g["group"] == flow["group"])
    assert pinned["reverse"]["gateway"] == "VPN" and pinned["forward"]["gateway"] == "ER"
    assert pinned["flags"] == ["asymmetric", "unexpected-path"]


def test_paths_show_the_hops_both_ways() -> None:
    code, output = run("--only-named", "--scenario", "cut=primary-link", "--paths", width=220)
    assert code == 0
    assert "onprem-core → onprem-ce2 → msee-secondary → er-gateway → vnet-fabric" in output
    assert "vnet-fabric → er-gateway → msee-secondary → onprem-ce2 → onprem-core" in output
    assert "│ cut" in output and "all-up" in output and "secondary-link" not in output


def test_against_shows_the_flows_that_change_and_exits_1() -> None:
    code, output = run("--against", PINNED)
    assert code == 1
    assert "Flows that change: ra-hybrid-vpn-er → variant-vpn-pinned-24" in output
    assert "192.168.1.0/24" in output and "reverse ER → VPN" in output
    assert "+unexpected-path" in output


def test_against_itself_reports_no_change() -> None:
    code, output = run(PINNED, "--against", PINNED, "--depth", "1")
    assert code == 0
    assert "no flow changes" in output


def test_against_as_json(tmp_path: Path) -> None:
    code, output = run("--against", _edges_below_the_vpn(tmp_path), "--json", "--depth", "0")
    assert code == 1
    data = json.loads(output)
    assert data["after"] == "variant-no-er-preference"
    assert {change["what"][0] for change in data["changes"]} == {"forward ER → VPN"}


def test_an_unknown_part_in_a_scenario_is_a_clear_error() -> None:
    code, output = run("--scenario", "primary-lnk")
    assert code == 2
    assert "primary-lnk is not a part of this design" in output and "primary-link" in output
    assert "Traceback" not in output


def test_a_missing_topology_file_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "file not found" in output and "Traceback" not in output


def test_an_invalid_topology_is_reported_with_its_location(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        Path(PINNED).read_text().replace("local_preference: 100\n", "local_preference: high\n", 1)
    )
    code, output = run(str(broken))
    assert code == 2
    assert "broken.yaml:" in output and "local_preference" in output


def test_parts_lists_what_can_fail_for_named_scenarios() -> None:
    code, output = run("--parts")
    assert code == 0
    for part in (
        "primary-link",
        "circuit",
        "er-gateway",
        "vpn-tunnel-1",
        "vpn-gateway-0",
        "onprem-ce2",
        "onprem-vpn",
    ):
        assert part in output
