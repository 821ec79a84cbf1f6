"""The timeline picture: event labels stay readable when control-plane events come in bursts."""

from __future__ import annotations

import itertools
import re

import pytest
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from hybridnet.drill.result import Event
from hybridnet.report.timeline import timeline_figure
from tests.unit.test_report_sample import STEPS, sample_drill

BURST = [("bfd", "peer down"), ("bgp", "session down"), ("zebra", "route withdrawn"), ("bgp", "route withdrawn"),
         ("ike", "ike-updown"), ("child_sa", "child-updown"), ("zebra", "route installed")]
STEP_NAMES = {step.name for step, *_ in STEPS}


def _event_labels(figure_texts: list[Text]) -> list[Text]:
    """Every text drawn in a panel except the step names: what labels the events."""
    return [text for text in figure_texts if text.get_visible() and text.get_text() not in STEP_NAMES]


def _events_named(label: str) -> int:
    """How many events one label stands for: 1, or the count a merged label states."""
    merged = re.search(r"\((\d+) events in \d+ ms\)", label)
    return int(merged.group(1)) if merged else 1


@pytest.mark.parametrize(("count", "spacing_s"), [(12, 0.001), (40, 0.002), (120, 0.0005)])
def test_labels_of_events_milliseconds_apart_do_not_overlap(count: int, spacing_s: float) -> None:
    result = sample_drill()
    for index in range(count):
        source, kind = BURST[index % len(BURST)]
        result.events.append(Event(2.0 + index * spacing_s, source, kind, "detail", f"node-{index}"))  # type: ignore[arg-type]
    result.events.append(Event(7.99, "drill", "a label at the right edge of the picture", "", ""))
    figure = timeline_figure(result)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    whole = Bbox.from_bounds(0, 0, figure.bbox.width, figure.bbox.height)
    for axes in figure.axes:
        labels = _event_labels(axes.texts)
        assert labels
        boxes = [label.get_window_extent(renderer) for label in labels]
        for (a, box_a), (b, box_b) in itertools.combinations(zip(labels, boxes, strict=True), 2):
            assert not box_a.overlaps(box_b), f"{a.get_text()!r} overlaps {b.get_text()!r}"
        steps = [t.get_window_extent(renderer) for t in axes.texts if t.get_text() in STEP_NAMES]
        assert not any(box.overlaps(step) for box in boxes for step in steps), "an event label covers a step name"
        assert all(box.x0 >= 0 and box.x1 <= whole.x1 and box.y0 >= 0 and box.y1 <= whole.y1 for box in boxes)
        # Nothing is silently dropped: the labels together stand for every event.
        assert sum(_events_named(label.get_text()) for label in labels) == len(result.events)


def test_sparse_events_keep_one_label_each() -> None:
    result = sample_drill()
    figure = timeline_figure(result)
    figure.canvas.draw()
    labels = [label.get_text() for label in _event_labels(figure.axes[0].texts)]
    assert sorted(labels) == sorted(f"{e.source}: {e.kind}" for e in result.events)
