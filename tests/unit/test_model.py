"""The model: the reference default, derived values, and secrets kept by reference."""

from __future__ import annotations

import os
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from pydantic import ValidationError

from hybridnet.model import SecretRef, TopologyError, default_topology, load
from tests.conftest import reference_document, topology_from


def test_reference_default_has_the_reference_architecture_names_and_address_plan() -> None:
    topology = default_topology()
    assert topology.vnet.name == "ra-hybrid-vpn-er-vnet"
    assert topology.vnet.address_space == (IPv4Network("10.0.0.0/16"),)
    assert topology.vnet.gateway_subnet is not None
    assert topology.vnet.gateway_subnet.prefix == IPv4Network("10.0.255.224/27")
    assert topology.onprem.address_space == (IPv4Network("192.168.0.0/16"),)
    assert topology.er_gateway is not None and topology.er_gateway.sku == "ErGw1AZ"
    assert topology.vpn_gateway is not None and topology.vpn_gateway.sku == "VpnGw1AZ"
    assert topology.vpn_gateway.active_active and len(topology.vpn_gateway.instances) == 2


def test_private_peering_addresses_follow_azure_convention() -> None:
    peering = default_topology().circuit.private_peering
    assert peering is not None
    assert peering.customer_address("primary") == IPv4Address("172.16.0.1")
    assert peering.microsoft_address("primary") == IPv4Address("172.16.0.2")
    assert peering.customer_address("secondary") == IPv4Address("172.16.0.5")
    assert peering.microsoft_address("secondary") == IPv4Address("172.16.0.6")
    assert peering.bfd.detection_ms == 900


def test_microsoft_peering_never_fails_over_to_the_vpn() -> None:
    document = reference_document()
    document["circuit"]["microsoft_peering"] = {
        "peer_asn": 65010, "primary_prefix": "203.0.113.0/30", "secondary_prefix": "203.0.113.4/30",
        "vlan_id": 400, "fails_over_to_vpn": True,
    }
    with pytest.raises(TopologyError) as error:
        topology_from(document)
    assert "fails_over_to_vpn" in str(error.value)


def test_model_objects_are_immutable() -> None:
    topology = default_topology()
    with pytest.raises(ValidationError):
        topology.vnet.name = "changed"  # type: ignore[misc]


def test_advertised_prefixes_default_to_the_onprem_address_space() -> None:
    onprem = default_topology().onprem
    assert onprem.advertised_over_vpn() == onprem.address_space
    primary = onprem.edge_router("primary")
    assert primary is not None and onprem.advertised_over_er(primary) == onprem.address_space


def test_dangling_references_are_located_errors() -> None:
    document = reference_document()
    document["vnet"]["subnets"][1]["nsg"] = "no-such-nsg"
    with pytest.raises(TopologyError) as error:
        topology_from(document)
    assert "vnet.subnets.1.nsg" in str(error.value)
    assert "no-such-nsg" in str(error.value)


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HN_TEST_KEY", "s3cretKey")
    ref = SecretRef(env="HN_TEST_KEY")
    assert ref.resolve() == "s3cretKey"
    assert "s3cretKey" not in ref.describe()


def test_missing_secret_says_where_it_was_looked_for() -> None:
    ref = SecretRef(env="HN_TEST_KEY_THAT_IS_NOT_SET")
    os.environ.pop("HN_TEST_KEY_THAT_IS_NOT_SET", None)
    with pytest.raises(TopologyError, match="HN_TEST_KEY_THAT_IS_NOT_SET"):
        ref.resolve()


def test_secret_file_is_relative_to_the_topology(tmp_path: Path) -> None:
    (tmp_path / "psk.txt").write_text("fileKey123\n")
    assert SecretRef(file="psk.txt").resolve(tmp_path) == "fileKey123"


def test_inline_secret_is_hidden_in_repr() -> None:
    ref = SecretRef(value="inlineKey")
    assert ref.is_inline
    assert "inlineKey" not in repr(ref)
    assert ref.resolve() == "inlineKey"


def test_secret_ref_needs_exactly_one_source() -> None:
    with pytest.raises(ValidationError):
        SecretRef(env="A", file="b")
    with pytest.raises(ValidationError):
        SecretRef()


def test_load_records_the_source_file(tmp_path: Path) -> None:
    from hybridnet.model import reference_yaml

    path = tmp_path / "topology.yaml"
    path.write_text(reference_yaml())
    topology = load(path)
    assert topology.source == path.resolve()
    assert topology.base_dir == tmp_path.resolve()


@pytest.mark.parametrize("value", [True, 5, 1.5])
def test_an_address_must_be_written_as_text(value: object) -> None:
    document = reference_document()
    document["vnet"]["subnets"][1]["prefix"] = value
    with pytest.raises(TopologyError, match="as text"):
        topology_from(document)


def test_markup_like_user_text_is_printed_literally(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hybridnet.cli import app

    path = tmp_path / "t.yaml"
    path.write_text("name: x\n'[/bold]': 1\n")
    result = CliRunner().invoke(app, ["analyse", str(path)])
    assert result.exit_code == 2
    assert "[/bold]" in result.output
