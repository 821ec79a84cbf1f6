"""The reference lab behaves like the guidance says: ExpressRoute carries traffic both ways, the
VPN takes over when the circuit fails and gives it back, NSGs and the load balancer work."""

from __future__ import annotations

import json
import subprocess
import sys
from ipaddress import IPv4Address

import pytest

from hybridnet.emulate import Lab
from hybridnet.emulate.plan import EXPRESSROUTE, VPN
from hybridnet.emulate.status import lab_status, trace_path
from hybridnet.waiting import poll_until

pytestmark = pytest.mark.lab

HOST = "onprem-host1"
HOST_ADDRESS = IPv4Address("192.168.1.10")
MSEE_ADDRESSES = {"172.16.0.2", "172.16.0.6"}


def hybridnet(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in a separate process."""
    return subprocess.run([sys.executable, "-c", "from hybridnet.cli import main; main()", *arguments],
                          capture_output=True, text=True, timeout=60, check=False)



def test_onprem_host_reaches_every_workload(reference_lab: Lab) -> None:
    for workload in reference_lab.plan.topology.workloads:
        result = reference_lab.run(HOST, ["ping", "-c1", "-W2", str(workload.address)])
        assert result.returncode == 0, f"{workload.name}: {result.stdout}{result.stderr}"


def test_http_through_the_internal_load_balancer_reaches_a_backend(reference_lab: Lab) -> None:
    answers = set()
    for _ in range(6):
        result = reference_lab.run(HOST, ["curl", "-s", "-m", "3", "http://10.0.1.254/"])
        assert result.returncode == 0, result.stderr
        answers.add(result.stdout.strip())
    assert answers <= {"web-vm1", "web-vm2"} and answers, answers


def test_traffic_goes_over_expressroute_both_ways(reference_lab: Lab) -> None:
    for workload in reference_lab.plan.topology.workloads:
        forward = trace_path(reference_lab, HOST, workload.address)
        back = trace_path(reference_lab, workload.name, HOST_ADDRESS)
        assert forward.via == EXPRESSROUTE, forward
        assert back.via == EXPRESSROUTE, back


def test_core_router_learned_the_vnet_from_the_customer_edges(reference_lab: Lab) -> None:
    routes = {r["destination"]: r for r in reference_lab.routes("onprem-core")}
    vnet = routes["10.0.0.0/16"]
    assert vnet["protocol"] == "bgp"
    assert {hop["gateway"] for hop in vnet["nexthops"]} <= {"100.64.0.2", "100.64.0.6"}


def test_vnet_fabric_prefers_expressroute_for_the_same_prefix(reference_lab: Lab) -> None:
    routes = reference_lab.bgp_routes("vnet-fabric")["routes"]["192.168.0.0/16"]
    best = [path for path in routes if path.get("bestpath")]
    assert len(routes) >= 2, "the fabric should know the VPN path as well"
    assert best and all(path["nexthops"][0]["ip"] == "10.0.255.230" for path in best)


def test_traceroute_crosses_an_msee(reference_lab: Lab) -> None:
    result = reference_lab.run(HOST, ["traceroute", "-n", "-I", "-q1", "-w1", "10.0.2.4"])
    hops = {line.split()[1] for line in result.stdout.splitlines()[1:] if len(line.split()) > 1}
    assert hops & MSEE_ADDRESSES, result.stdout


def test_nsg_denies_what_it_should_and_allows_the_rest(reference_lab: Lab) -> None:
    allowed = reference_lab.run(HOST, ["curl", "-s", "-m", "3", "http://10.0.2.4:8080/"])
    assert allowed.returncode == 0 and allowed.stdout.strip() == "biz-vm1"
    denied = reference_lab.run(HOST, ["curl", "-s", "-m", "2", "http://10.0.3.4:1433/"])
    assert denied.returncode != 0, "data-nsg denies on-prem to 1433"
    from_biz = reference_lab.run("biz-vm1", ["curl", "-s", "-m", "3", "http://10.0.3.4:1433/"])
    assert from_biz.stdout.strip() == "data-vm1", "data-nsg allows 1433 from the biz subnet"


def test_status_reports_sessions_sas_and_paths(reference_lab: Lab) -> None:
    report = lab_status(reference_lab)
    assert all(item["state"] == "Established" for item in report.bgp)
    assert all(item["status"] == "up" for item in report.bfd)
    assert all(item["child"] == "INSTALLED" for item in report.ipsec)
    assert {path.via for path in report.paths} == {EXPRESSROUTE}


def test_secrets_stay_in_private_files(reference_lab: Lab) -> None:
    directory = reference_lab.directory
    assert directory.stat().st_mode & 0o777 == 0o700
    secrets = set()
    for swanctl in directory.rglob("swanctl.conf"):
        assert swanctl.stat().st_mode & 0o777 == 0o600
        secrets |= {line.split("=", 1)[1].strip().strip('"') for line in swanctl.read_text().splitlines()
                    if line.strip().startswith("secret =")}
    assert secrets and all(len(secret) >= 16 for secret in secrets)
    for path in directory.rglob("*"):
        if path.is_file() and path.name != "swanctl.conf":
            text = path.read_text(errors="replace")
            assert not any(secret in text for secret in secrets), f"the shared key appears in {path}"
    report = json.dumps(lab_status(reference_lab).to_dict(), default=str)
    assert not any(secret in report for secret in secrets)


def test_traffic_moves_to_vpn_when_circuit_fails_and_back(reference_lab: Lab) -> None:
    workload = reference_lab.plan.topology.workload("web-vm1")
    assert workload is not None

    def via() -> tuple[str, str]:
        return (trace_path(reference_lab, HOST, workload.address).via,
                trace_path(reference_lab, workload.name, HOST_ADDRESS).via)

    assert via() == (EXPRESSROUTE, EXPRESSROUTE)
    try:
        for ce in ("onprem-ce1", "onprem-ce2"):  # by hand, as a user would: `hybridnet exec`
            assert hybridnet("exec", "--lab", reference_lab.name, ce, "--", "ip", "link", "set", "er",
                             "down").returncode == 0
        assert poll_until(lambda: via() == (VPN, VPN), 30), via()
        reached = reference_lab.run(HOST, ["curl", "-s", "-m", "3", f"http://{workload.address}/"])
        assert reached.stdout.strip() == "web-vm1"
        trace = reference_lab.run(HOST, ["traceroute", "-n", "-I", "-q1", "-w1", str(workload.address)])
        assert "169.254.2" in trace.stdout, trace.stdout
    finally:
        for ce in ("onprem-ce1", "onprem-ce2"):
            hybridnet("exec", "--lab", reference_lab.name, ce, "--", "ip", "link", "set", "er", "up")
    assert poll_until(lambda: via() == (EXPRESSROUTE, EXPRESSROUTE), 60), via()
    assert reference_lab.run(HOST, ["ping", "-c1", "-W2", str(workload.address)]).returncode == 0


def test_cli_status_json_and_exec(reference_lab: Lab) -> None:
    result = hybridnet("status", "--lab", reference_lab.name, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {node["name"] for node in report["nodes"]} >= {"msee-primary", "er-gateway", "vnet-fabric"}
    assert all(path["via"] == EXPRESSROUTE for path in report["paths"])
    answer = hybridnet("exec", "--lab", reference_lab.name, "web-vm1", "--", "curl", "-s", "-m", "3",
                       "http://10.0.2.4:8080/")
    assert answer.stdout.strip() == "biz-vm1"
    bgp = hybridnet("exec", "--lab", reference_lab.name, "onprem-ce1", "--", "vtysh", "-c", "show bgp summary")
    assert "172.16.0.2" in bgp.stdout and "Established" not in bgp.stderr, bgp.stdout + bgp.stderr
    sas = hybridnet("exec", "--lab", reference_lab.name, "onprem-vpn", "--", "swanctl", "--list-sas")
    assert "azure-0" in sas.stdout and "INSTALLED" in sas.stdout, sas.stdout + sas.stderr
    unknown = hybridnet("exec", "--lab", reference_lab.name, "no-such-node", "--", "true")
    assert unknown.returncode == 2 and "no node named" in unknown.stderr


def test_load_balancer_takes_a_dead_backend_out_and_back_in(reference_lab: Lab) -> None:
    probe = reference_lab.plan.topology.load_balancers[0].probe
    window = probe.interval_s * (probe.unhealthy_threshold + 2)
    reference_lab.kill_daemon("web-vm1", "workload-server")
    try:
        assert poll_until(lambda: reference_lab.load_balancer_health()["web-ilb"]["10.0.1.4"] is False, window)
        answers = {reference_lab.run(HOST, ["curl", "-s", "-m", "3", "http://10.0.1.254/"]).stdout.strip()
                   for _ in range(6)}
        assert answers == {"web-vm2"}, answers
    finally:
        reference_lab.start_servers("web-vm1")
    assert poll_until(lambda: reference_lab.load_balancer_health()["web-ilb"]["10.0.1.4"] is True, window)
