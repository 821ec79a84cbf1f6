"""Every vendor's on-prem configs for the reference topology, compared with reviewed golden files.

FRR and strongSwan are what the emulator runs; IOS-XE and Junos say the same in their vendors'
documented syntax. HYBRIDNET_UPDATE_GOLDEN=1 rewrites the files (review the diff before committing).
"""

from __future__ import annotations

import importlib

import pytest

from hybridnet.cli.render import RENDERERS, Vendor
from hybridnet.model import default_topology
from tests.unit.conftest import assert_golden

EXPECTED_FILES = {
    Vendor.frr: {"onprem-core/frr.conf", "onprem-ce1/frr.conf", "onprem-ce2/frr.conf", "onprem-vpn/frr.conf"},
    Vendor.strongswan: {"onprem-vpn/swanctl.conf", "onprem-vpn/tunnel.sh"},
    Vendor.cisco_iosxe: {
        "onprem-core/ios-xe.cfg",
        "onprem-ce1/ios-xe.cfg",
        "onprem-ce2/ios-xe.cfg",
        "onprem-vpn/ios-xe.cfg",
    },
    Vendor.junos: {"onprem-core/junos.conf", "onprem-ce1/junos.conf", "onprem-ce2/junos.conf", "onprem-vpn/junos.conf"},
}


def _render(vendor: Vendor) -> dict[str, str]:
    return importlib.import_module(RENDERERS[vendor]).render_onprem(default_topology())


@pytest.mark.parametrize("vendor", list(Vendor), ids=[v.value for v in Vendor])
def test_reference_configs_match_their_golden_files(vendor: Vendor) -> None:
    files = _render(vendor)
    assert set(files) == EXPECTED_FILES[vendor]
    for name, text in sorted(files.items()):
        assert_golden(f"render/{vendor.value}/{name}", text)


@pytest.mark.parametrize("vendor", list(Vendor), ids=[v.value for v in Vendor])
def test_rendering_is_deterministic(vendor: Vendor) -> None:
    assert _render(vendor) == _render(vendor)
