"""The timeline picture: probe replies over time coloured by path, control-plane events as markers.

One panel per direction, sharing the time axis, so "BFD down" on the control plane lines up with the
moment replies stopped and the colour change shows where traffic went. Outages are shaded, lost
probes are ticks along the bottom. Drawn on an Agg canvas without pyplot: no display and no global
plotting state, so rendering is safe in any process.

Control-plane events come in bursts (a circuit cut brings BFD down, then BGP, then a dozen route
withdrawals within milliseconds), so their labels are laid out once the figure's geometry is final:
each label is measured and put on the highest lane (row from the top of the panel) where it touches
no other label; when the lanes run out, neighbouring events are merged into one label ("bgp: route
withdrawn ×12") with a wider merge distance until everything fits. Every event keeps its own marker
line; the report's event table has each one's exact time and detail.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from hybridnet.drill.result import Direction, DrillResult, Event
from hybridnet.report.summary import DIRECTION_WORDS

PATH_COLOURS = {"ExpressRoute": "#1f77b4", "VPN": "#ff7f0e", "none": "#d62728", "unknown": "#7f7f7f"}
ASYMMETRIC_COLOUR = "#9467bd"
EVENT_COLOURS = {"bfd": "#2ca02c", "bgp": "#17becf", "zebra": "#8c564b", "ike": "#e377c2",
                 "child_sa": "#bcbd22", "fault": "#d62728", "probe": "#7f7f7f", "drill": "#000000"}
EVENT_LABEL_GID = "event-label"
"""Every event label carries this gid, so tests (and SVG readers) can find them."""
MAX_LANES = 6
"""Label rows from the top of a panel: six rows of 6-pt text fill its top third, above the RTT dots."""
LABEL_FONT_SIZE = 6.0
LABEL_GAP_PX = 3.0
BURST_KINDS_SHOWN = 2


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
    # Labels are placed in pixels, so only once the layout (and with it each panel's scale) is final.
    renderer = figure.canvas.get_renderer()
    for row in axes_list:
        _label_events(row[0], result.events, renderer)
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
    if result.events:  # headroom: the event labels' lanes sit above the replies, not on them
        bottom, top = axes.get_ylim()
        axes.set_ylim(bottom, top + (top - bottom) * 0.45)
    axes.set_title(DIRECTION_WORDS[direction], fontsize=9, loc="left")
    axes.grid(True, alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        axes.legend(handles, labels, loc="center right", fontsize=7, markerscale=2)


def _draw_events(axes: Axes, events: list[Event]) -> None:
    """Each event's marker: a dashed line across the panel and a triangle on its top edge."""
    for event in events:
        colour = EVENT_COLOURS.get(event.source, "#000000")
        axes.axvline(event.t_s, color=colour, linestyle="--", linewidth=0.9, alpha=0.8, zorder=2)
        axes.plot([event.t_s], [1.0], marker="v", color=colour, transform=axes.get_xaxis_transform(),
                  clip_on=False, zorder=5)


@dataclass
class _Burst:
    """Events that share one label: a single event, or neighbours merged because the lanes ran out."""

    events: list[Event]

    @property
    def t_s(self) -> float:
        return self.events[0].t_s

    @property
    def text(self) -> str:
        if len(self.events) == 1:
            return f"{self.events[0].source}: {self.events[0].kind}"
        counts = Counter(f"{e.source}: {e.kind}" for e in self.events)
        shown = [f"{name} ×{count}" if count > 1 else name for name, count in counts.most_common(BURST_KINDS_SHOWN)]
        hidden = sum(count for _, count in counts.most_common()[BURST_KINDS_SHOWN:])
        span_ms = (self.events[-1].t_s - self.events[0].t_s) * 1000.0
        return (", ".join(shown) + (f", +{hidden} more" if hidden else "")
                + f" ({len(self.events)} events in {span_ms:.0f} ms)")

    @property
    def colour(self) -> str:
        sources = {e.source for e in self.events}
        return EVENT_COLOURS.get(sources.pop(), "#000000") if len(sources) == 1 else "#333333"


def _bursts(events: list[Event], to_px: Callable[[float], float], merge_px: float) -> list[_Burst]:
    """Events in time order, each merged into the previous burst when within ``merge_px`` of its start."""
    bursts: list[_Burst] = []
    for event in sorted(events, key=lambda e: e.t_s):
        if bursts and merge_px > 0 and to_px(event.t_s) - to_px(bursts[-1].t_s) <= merge_px:
            bursts[-1].events.append(event)
        else:
            bursts.append(_Burst([event]))
    return bursts


def _label_events(axes: Axes, events: list[Event], renderer: RendererBase) -> None:
    """Label the events on lanes so no two labels overlap, merging bursts when the lanes run out."""
    visible = [e for e in events if axes.get_xlim()[0] <= e.t_s <= axes.get_xlim()[1]]
    if not visible:
        return

    def to_px(t_s: float) -> float:
        return float(axes.transData.transform((t_s, 0.0))[0])

    merge_px = 0.0
    while True:
        bursts = _bursts(visible, to_px, merge_px)
        labels = [_annotation(axes, burst) for burst in bursts]
        lanes = _assign_lanes(axes, labels, renderer)
        if lanes is not None or len(bursts) == 1:
            break
        for label in labels:
            label.remove()
        merge_px = max(2 * merge_px, 8.0)
    # One lane is the tallest label plus a gap, converted from pixels to the offset's points.
    pitch_px = max(label.get_window_extent(renderer).height for label in labels) + LABEL_GAP_PX
    pitch_pt = pitch_px * 72.0 / axes.figure.dpi
    for label, lane in zip(labels, lanes or [0] * len(labels), strict=True):
        label.xyann = (label.xyann[0], -2.0 - lane * pitch_pt)


def _annotation(axes: Axes, burst: _Burst) -> Annotation:
    label = axes.annotate(burst.text, (burst.t_s, 1.0), xycoords=("data", "axes fraction"),
                          xytext=(2.0, -2.0), textcoords="offset points", fontsize=LABEL_FONT_SIZE,
                          color=burst.colour, va="top", ha="left", zorder=6,
                          bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                                "alpha": 0.8})
    label.set_gid(EVENT_LABEL_GID)
    return label


def _assign_lanes(axes: Axes, labels: list[Annotation], renderer: RendererBase) -> list[int] | None:
    """The lane of each label (greedy, in time order), or None when more than MAX_LANES are needed.

    A label that would run past the panel's right edge is turned to end at its event instead.
    """
    right_edge = axes.get_window_extent(renderer).x1
    lane_ends: list[float] = []
    lanes: list[int] = []
    for label in labels:
        extent = label.get_window_extent(renderer)
        if extent.x1 > right_edge:
            label.set_horizontalalignment("right")
            label.xyann = (-2.0, label.xyann[1])
            extent = label.get_window_extent(renderer)
        for lane, end in enumerate(lane_ends):
            if extent.x0 > end + LABEL_GAP_PX:
                lane_ends[lane] = extent.x1
                lanes.append(lane)
                break
        else:
            if len(lane_ends) == MAX_LANES:
                return None
            lane_ends.append(extent.x1)
            lanes.append(len(lane_ends) - 1)
    return lanes


def render_timeline(result: DrillResult, image_format: str = "png") -> bytes:
    """The timeline as PNG (default) or SVG bytes."""
    if image_format not in ("png", "svg"):
        raise ValueError(f"the timeline is drawn as png or svg, not {image_format!r}")
    buffer = io.BytesIO()
    timeline_figure(result).savefig(buffer, format=image_format)
    return buffer.getvalue()
