"""The estate's drawing for the HTML report: every site with its devices, every circuit's MSEEs and
the internet, the hub's gateways, the hub and its spokes.

Drawn from the topology the lab ran, like the reference's drawing (``topology_drawing``), in four
columns: sites on the left (each a region listing its devices and roles), the Microsoft edge and the
internet, the gateways, the VNets. Each customer edge is joined to its own circuit's MSEE, each VPN
end to the internet, each spoke to the hub by its peering (dashed grey without gateway transit).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from hybridnet.model import Topology
from hybridnet.model.names import msee_node
from hybridnet.report.timeline import PATH_COLOURS
from hybridnet.report.topology_drawing import BOX_H, BOX_W, LAN_COLOUR, Box, svg_line, svg_region

ROW = BOX_H + 12
SITE_GAP = 34


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_estate_svg(topology: Topology, highlight: str | None = None) -> str:
    """The estate as an ``<svg>`` element; ``highlight`` ("ExpressRoute"/"VPN") thickens that path's lines."""
    er_width = 3.5 if highlight == "ExpressRoute" else 1.8
    vpn_width = 3.5 if highlight == "VPN" else 1.8
    parts: list[str] = []
    device_boxes: dict[str, Box] = {}
    y = 40.0
    site_regions = []
    for site in topology.all_sites:
        top = y
        y += 26
        hosts = sum(len(s.hosts) for s in site.subnets)
        lan = Box(30, y, _short(f"LAN {', '.join(str(p) for p in site.address_space)}"), f"{hosts} host(s)", "#f4f4f4")
        device_boxes[f"lan:{site.name}"] = lan
        for index, device in enumerate(site.devices):
            box = Box(205, y + index * ROW, _short(device.name, 22), _short(", ".join(device.roles)))
            device_boxes[device.name] = box
        y += max(1, len(site.devices)) * ROW + 4
        site_regions.append(svg_region(15, top, 365, y - top, _short(f"site {site.name} · AS {site.asn}", 50),
                                    "#fbfbf6"))
        for device in site.lan_devices:
            parts.append(svg_line(lan.right, device_boxes[device.name].left, LAN_COLOUR, 1.2))
        y += SITE_GAP - 26
    msee_boxes: dict[str, Box] = {}
    my = 40.0
    for index, circuit in enumerate(topology.all_circuits):
        for link in ("primary", "secondary"):
            msee_boxes[msee_node(index, link)] = Box(420, my + 26, _short(f"MSEE {circuit.name}", 22),
                                                     _short(f"{link} · {circuit.peering_location}"))
            my += ROW
        my += 10
    internet = Box(420, my + 26, "Internet", "IPsec / IKEv2", "#fafafa")
    height = max(y, my + 26 + ROW + 40, 420.0)
    er_gateway = topology.er_gateway
    vpn_gateway = topology.vpn_gateway
    er_box = Box(620, 80, _short(er_gateway.name, 22), f"ExpressRoute · {er_gateway.sku}") if er_gateway else None
    vpn_box = None
    if vpn_gateway is not None:
        mode = " · active-active" if vpn_gateway.active_active else ""
        vpn_box = Box(620, 80 + 2 * ROW, _short(vpn_gateway.name, 22), f"VPN · {vpn_gateway.sku}{mode}")
    vnet_boxes = []
    for index, vnet in enumerate(topology.all_vnets):
        workloads = [w.name for w in topology.workloads if (w.vnet or topology.vnet.name) == vnet.name]
        title = _short(f"{'hub' if index == 0 else 'spoke'} {vnet.name}", 24)
        subtitle = _short(f"{', '.join(str(p) for p in vnet.address_space)} · {', '.join(workloads) or '-'}", 30)
        vnet_boxes.append(Box(830 if index == 0 else 1010, 80 + (0 if index == 0 else (index - 1) * ROW), title,
                              subtitle, "#eef5ff"))
    height = max(height, 80 + len(topology.spokes) * ROW + 40)

    parts = [*site_regions,
             svg_region(400, 30, 190, height - 45, "Provider / Microsoft edge", "#f6f6fb"),
             svg_region(605, 30, 570, height - 45, f"Azure (hub {topology.vnet.name})", "#f3f8ff"),
             *parts]
    for site in topology.all_sites:
        for device in site.with_role("edge"):
            assert device.edge is not None
            circuit = device.edge.circuit or topology.all_circuits[0].name
            index = next(i for i, c in enumerate(topology.all_circuits) if c.name == circuit)
            msee = msee_boxes.get(msee_node(index, device.edge.link))
            if msee is not None:
                parts.append(svg_line(device_boxes[device.name].right, msee.left, PATH_COLOURS["ExpressRoute"],
                                      er_width))
        for device in site.with_role("vpn"):
            parts.append(svg_line(device_boxes[device.name].right, internet.left, PATH_COLOURS["VPN"], vpn_width,
                               dashed=True))
    if er_box is not None:
        parts += [svg_line(m.right, er_box.left, PATH_COLOURS["ExpressRoute"], er_width) for m in msee_boxes.values()]
    if vpn_box is not None:
        parts.append(svg_line(internet.right, vpn_box.left, PATH_COLOURS["VPN"], vpn_width, "tunnels", dashed=True))
    hub = vnet_boxes[0]
    for gateway in (er_box, vpn_box):
        if gateway is not None:
            parts.append(svg_line(gateway.right, hub.left, LAN_COLOUR, 1.0))
    for spoke, box in zip(topology.spokes, vnet_boxes[1:], strict=True):
        transit = spoke.peering.gateway_transit
        parts.append(svg_line(hub.right, box.left, "#555" if transit else "#aaa", 1.2,
                           "" if transit else "no transit", dashed=not transit))
    boxes = [*device_boxes.values(), *msee_boxes.values(), internet, *vnet_boxes]
    boxes += [b for b in (er_box, vpn_box) if b is not None]
    parts += [box.svg() for box in boxes]
    parts.append(f'<text x="20" y="{height - 2}" font-size="10" fill="#555">'
                 f'<tspan fill="{PATH_COLOURS["ExpressRoute"]}">━ ExpressRoute</tspan>   '
                 f'<tspan fill="{PATH_COLOURS["VPN"]}">┅ site-to-site VPN</tspan>   ━ peering'
                 + (f"   (thick: path in use — {escape(highlight)})" if highlight else "") + "</text>")
    width = 1010 + BOX_W + 20
    return (f'<svg xmlns="http://www.w3.org/2000/svg" id="topology" viewBox="0 0 {width} {height + 5}" '
            f'width="100%" font-family="sans-serif" role="img" '
            f'aria-label="estate {escape(topology.name)}">' + "".join(parts) + "</svg>")
