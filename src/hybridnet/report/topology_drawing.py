"""An inline SVG drawing of the topology, generated from the model, for the HTML report.

Drawn from the same Topology the lab was built from, so the picture cannot drift from what was
tested: on-prem subnets and routers on the left, the circuit's two links to the MSEEs and the VPN
over the internet in the middle, both gateways in the GatewaySubnet and the VNet's subnets with
their workloads on the right. The path a step ended on can be drawn thicker.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from hybridnet.model import Topology
from hybridnet.report.timeline import PATH_COLOURS

LAN_COLOUR = "#888888"
BOX_W, BOX_H = 150, 44


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    title: str
    subtitle: str = ""
    fill: str = "#ffffff"

    @property
    def left(self) -> tuple[float, float]:
        return self.x, self.y + BOX_H / 2

    @property
    def right(self) -> tuple[float, float]:
        return self.x + BOX_W, self.y + BOX_H / 2

    def svg(self) -> str:
        return (f'<rect x="{self.x}" y="{self.y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                f'fill="{self.fill}" stroke="#333" stroke-width="1"/>'
                f'<text x="{self.x + 8}" y="{self.y + 18}" font-size="12" font-weight="bold">'
                f'{escape(self.title)}</text>'
                f'<text x="{self.x + 8}" y="{self.y + 34}" font-size="10" fill="#444">'
                f'{escape(self.subtitle)}</text>')


def svg_line(a: tuple[float, float], b: tuple[float, float], colour: str, width: float, label: str = "",
          dashed: bool = False) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    svg = (f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="{colour}" '
           f'stroke-width="{width}"{dash}/>')
    if label:
        svg += (f'<text x="{(a[0] + b[0]) / 2}" y="{(a[1] + b[1]) / 2 - 5}" font-size="9" fill="{colour}" '
                f'text-anchor="middle">{escape(label)}</text>')
    return svg


def svg_region(x: float, y: float, w: float, h: float, title: str, fill: str) -> str:
    return (f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="{fill}" stroke="#bbb"/>'
            f'<text x="{x + 10}" y="{y + 18}" font-size="13" fill="#333">{escape(title)}</text>')


def render_topology_svg(topology: Topology, highlight: str | None = None) -> str:
    """The drawing as an ``<svg>`` element; ``highlight`` ("ExpressRoute"/"VPN") thickens that path.
    An estate (sites, spokes, several circuits) gets the estate drawing."""
    if topology.estate_features() or topology.onprem is None:
        from hybridnet.report.estate_drawing import render_estate_svg

        return render_estate_svg(topology, highlight)
    parts: list[str] = []
    er_width = 4.0 if highlight == "ExpressRoute" else 2.0
    vpn_width = 4.0 if highlight == "VPN" else 2.0
    onprem, peering = topology.onprem, topology.circuit.private_peering

    subnet_boxes = [Box(30, 60 + i * 60, s.name, f"{s.prefix} · {len(s.hosts)} host(s)", "#f4f4f4")
                    for i, s in enumerate(onprem.subnets)]
    core = Box(205, 170, onprem.core_router.name, f"AS {onprem.asn}")
    edges = {r.link: Box(380, 60 if r.link == "primary" else 170, r.name,
                         f"{r.link} · local-pref {r.local_preference}") for r in onprem.edge_routers}
    appliance = onprem.vpn_appliance
    vpn_box = Box(380, 300, appliance.name, str(appliance.public_ip)) if appliance else None
    msee = {link: Box(610, box.y, f"MSEE ({link})", "AS 12076") for link, box in edges.items()}
    internet = Box(610, 300, "Internet", "IPsec / IKEv2", "#fafafa") if vpn_box else None
    er_gw = topology.er_gateway
    vpn_gw = topology.vpn_gateway
    er_gw_box = Box(800, 115, er_gw.name, f"ExpressRoute · {er_gw.sku}") if er_gw else None
    vpn_gw_box = None
    if vpn_gw is not None:
        mode = " · active-active" if vpn_gw.active_active else ""
        vpn_gw_box = Box(800, 300, vpn_gw.name, f"VPN · {vpn_gw.sku}{mode}")
    workload_subnets = [s for s in topology.vnet.subnets if s.name != "GatewaySubnet"]
    vnet_boxes = []
    for i, subnet in enumerate(workload_subnets):
        names = [w.name for w in topology.workloads if w.subnet == subnet.name]
        names += [f"{lb.name} {lb.frontend.address}" for lb in topology.load_balancers
                  if lb.frontend.subnet == subnet.name]
        listed = ", ".join(names)
        listed = listed if len(listed) <= 28 else listed[:27] + "…"
        vnet_boxes.append(Box(1010, 60 + i * 70, f"{subnet.name} {subnet.prefix}", listed, "#eef5ff"))
    height = max(400, 80 + 70 * len(vnet_boxes), 80 + 60 * len(subnet_boxes))

    parts.append(svg_region(15, 30, 565, height - 45, f"On-premises ({onprem.name})", "#fbfbf6"))
    parts.append(svg_region(595, 30, 175, height - 45, "Provider / Microsoft edge", "#f6f6fb"))
    parts.append(svg_region(780, 30, 400, height - 45, f"Azure VNet {topology.vnet.name}", "#f3f8ff"))
    parts.append(svg_region(790, 90, 170, height - 120, "GatewaySubnet", "#e6f0fc"))

    parts += [svg_line(box.right, core.left, LAN_COLOUR, 1.5) for box in subnet_boxes]
    parts += [svg_line(core.right, box.left, LAN_COLOUR, 1.5) for box in edges.values()]
    for link, box in edges.items():
        prefix = peering.primary_prefix if peering and link == "primary" else (
            peering.secondary_prefix if peering else "")
        parts.append(svg_line(box.right, msee[link].left, PATH_COLOURS["ExpressRoute"], er_width, str(prefix)))
        if er_gw_box:
            parts.append(svg_line(msee[link].right, er_gw_box.left, PATH_COLOURS["ExpressRoute"], er_width))
    if vpn_box and internet:
        parts.append(svg_line(core.right, vpn_box.left, LAN_COLOUR, 1.5))
        parts.append(svg_line(vpn_box.right, internet.left, PATH_COLOURS["VPN"], vpn_width, "tunnel",
                           dashed=True))
        if vpn_gw_box:
            parts.append(svg_line(internet.right, vpn_gw_box.left, PATH_COLOURS["VPN"], vpn_width, dashed=True))
    for gateway_box in (er_gw_box, vpn_gw_box):
        if gateway_box:
            parts += [svg_line(gateway_box.right, box.left, LAN_COLOUR, 1.0) for box in vnet_boxes]

    boxes = [*subnet_boxes, core, *edges.values(), *msee.values(), *vnet_boxes]
    boxes += [b for b in (vpn_box, internet, er_gw_box, vpn_gw_box) if b is not None]
    parts += [box.svg() for box in boxes]
    parts.append(f'<text x="20" y="{height - 2}" font-size="10" fill="#555">'
                 f'<tspan fill="{PATH_COLOURS["ExpressRoute"]}">━ ExpressRoute</tspan>   '
                 f'<tspan fill="{PATH_COLOURS["VPN"]}">┅ site-to-site VPN</tspan>'
                 + (f"   (thick: path in use — {escape(highlight)})" if highlight else "") + "</text>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" id="topology" viewBox="0 0 1190 {height + 5}" '
            f'width="100%" font-family="sans-serif" role="img" '
            f'aria-label="topology of {escape(topology.name)}">' + "".join(parts) + "</svg>")
