"""The timeline picture: probe replies over time coloured by path, control-plane events as markers.

One panel per direction, sharing the time axis, so "BFD down" on the control plane lines up with the
moment replies stopped and the colour change shows where traffic went. Outages are shaded, lost
probes are ticks along the bottom. Drawn on an Agg canvas without pyplot: no display and no global
plotting state, so rendering is safe in any process.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hybridnet.drill.result import Direction, DrillResult, Event
from hybridnet.report.summary import DIRECTION_WORDS

PATH_COLOURS = {"ExpressRoute": "#1f77b4", "VPN": "#ff7f0e", "none": "#d62728", "unknown": "#7f7f7f"}
ASYMMETRIC_COLOUR = "#9467bd"
EVENT_COLOURS = {"bfd": "#2ca02c", "bgp": "#17becf", "zebra": "#8c564b", "ike": "#e377c2",
                 "child_sa": "#bcbd22", "fault": "#d62728", "probe": "#7f7f7f", "drill": "#000000"}


def path_colour(path: str) -> str:
    return PATH_COLOURS.get(path, ASYMMETRIC_COLOUR)


def timeline_figure(result: DrillResult) -> Figure:
    directions: list[Direction] = list(dict.fromkeys(
        [s.direction for s in result.steps] + [s.direction for s in result.samples])) or ["onprem-to-vnet"]
    figure = Figure(figsize=(11, 2.6 * len(directions) + 0.8), dpi=100)
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(len(directions), 1, sharex=True, squeeze=False)
    for axes, direction in zip((row[0] for row in axes_list), directions, strict=True):
        _draw_direction(axes, result, direction)
    axes_list[-1][0].set_xlabel("time since drill start (s)")
    figure.suptitle(f"{result.topology} — {result.fault}", fontsize=11)
    figure.tight_layout()
    return figure


def _draw_direction(axes: Axes, result: DrillResult, direction: Direction) -> None:
    samples = [s for s in result.samples if s.direction == direction]
    for path in dict.fromkeys(s.path for s in samples):
        chosen = [s for s in samples if s.path == path]
        axes.scatter([s.t_s for s in chosen], [s.rtt_ms for s in chosen], s=4, color=path_colour(path),
                     label=f"reply via {path}", zorder=3)
    lost = [t for t, d in result.lost_samples if d == direction]
    if lost:
        axes.plot(lost, [0.0] * len(lost), "|", color=PATH_COLOURS["none"], markersize=8,
                  label="lost probe", zorder=4)
    for index, step in enumerate(s for s in result.steps if s.direction == direction):
        for outage in step.udp.outages:
            axes.axvspan(outage.start_s, outage.end_s, color=PATH_COLOURS["none"], alpha=0.15, zorder=1)
        if step.start_s is not None:
            axes.axvline(step.start_s, color="#cccccc", linewidth=0.8, zorder=0)
            # Alternate heights: a step's window may open just before the previous one ends.
            axes.annotate(step.name, (step.start_s, 0.08 if index % 2 else 0.16),
                          xycoords=("data", "axes fraction"),
                          fontsize=7, color="#555555", va="top", ha="left", xytext=(2, -2),
                          textcoords="offset points")
    _draw_events(axes, result.events)
    axes.set_ylabel("RTT (ms)")
    axes.set_ylim(bottom=-0.5)
    axes.set_title(DIRECTION_WORDS[direction], fontsize=9, loc="left")
    axes.grid(True, alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        axes.legend(handles, labels, loc="center right", fontsize=7, markerscale=2)


def _draw_events(axes: Axes, events: list[Event]) -> None:
    for event in events:
        colour = EVENT_COLOURS.get(event.source, "#000000")
        axes.axvline(event.t_s, color=colour, linestyle="--", linewidth=0.9, alpha=0.8, zorder=2)
        axes.plot([event.t_s], [1.0], marker="v", color=colour, transform=axes.get_xaxis_transform(),
                  clip_on=False, zorder=5)
        axes.annotate(f"{event.source}: {event.kind}", (event.t_s, 0.97), xycoords=("data", "axes fraction"),
                      rotation=90, fontsize=6, color=colour, va="top", ha="right", xytext=(-1, 0),
                      textcoords="offset points")


def render_timeline(result: DrillResult, image_format: str = "png") -> bytes:
    """The timeline as PNG (default) or SVG bytes."""
    if image_format not in ("png", "svg"):
        raise ValueError(f"the timeline is drawn as png or svg, not {image_format!r}")
    buffer = io.BytesIO()
    timeline_figure(result).savefig(buffer, format=image_format)
    return buffer.getvalue()
