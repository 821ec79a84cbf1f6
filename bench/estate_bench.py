"""Scale of the namespace lab: estates of growing size brought up with the real daemons (run as root).

    .venv/bin/python bench/estate_bench.py [--sites 1,2,4,8] [--spokes 1,5,20] [--no-search] [--no-sites-yaml]

For every (sites, spokes) of the grid it brings up ``synthetic_estate(sites, spokes)`` (see
hybridnet.model.synthetic), waits until the lab is ready (every stage ``up`` waits for), and prints one
row: namespaces, FRR and charon instances, ready time, CPU-seconds of every process of the bring-up,
PSS of the daemons (FRR + charon) once settled, tear-down time. A least-squares line through the rows
gives the cost of each added node (seconds and MB per namespace). Then examples/estates/sites.yaml
against the issue's targets, and a search for the largest estate this machine brings up: the estate
grows (sites and spokes doubling together, sites alone, spokes alone) until ``up`` fails (then a
bisection towards the failure), takes longer than ``--attempt-timeout``, or the next step would need
more memory than ``--memory-cap-gb`` (predicted from the fitted MB per node) or leave less than
``--reserve-gb`` available. Each direction prints its rows and its largest estate up.

A benchmark prints figures; it asserts nothing about time. Every lab it starts has its own name and is
torn down in ``finally``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab_bench import cpu_seconds, memory_kb

from hybridnet.emulate import Lab, LabError, down, lab_keys, plan
from hybridnet.emulate.lab import footprint
from hybridnet.emulate.plan.addressing import MAX_SPOKES as LAB_MAX_SPOKES
from hybridnet.model import Topology, load
from hybridnet.model.synthetic import MAX_SITES, MAX_SPOKES, synthetic_estate

DAEMONS = frozenset({"zebra", "bgpd", "bfdd", "staticd", "charon", "charon-systemd"})
TARGET_SITES_UP_S = 10.0
TARGET_SITES_PSS_MB = 800.0
TARGET_NODE_S = 0.15
TARGET_NODE_MB = 15.0
SITES_YAML = Path(__file__).resolve().parent.parent / "examples" / "estates" / "sites.yaml"


@dataclass(frozen=True)
class Row:
    """One bring-up: what it was and what it cost (``error`` set when it did not come up)."""

    label: str
    namespaces: int
    frr: int = 0
    charon: int = 0
    ready_s: float | None = None
    cpu_s: float | None = None
    pss_mb: float | None = None
    teardown_s: float | None = None
    error: str | None = None
    sites: int = 0
    spokes: int = 0


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


COLUMNS = ("estate", "namespaces", "FRR", "charon", "ready s", "CPU s", "PSS MB", "down s")


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (the README shows it as is); a failed row says why."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for row in rows:
        cells = [row.label, str(row.namespaces), str(row.frr), str(row.charon), _number(row.ready_s, 2),
                 _number(row.cpu_s, 1), _number(row.pss_mb, 0), _number(row.teardown_s, 2)]
        if row.error is not None:
            cells[2] = cells[3] = "-"
            cells[4] = f"failed: {row.error}"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fit(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares line y = slope * x + intercept; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in points)
             / sum((x - mean_x) ** 2 for x, _ in points))
    return slope, mean_y - slope * mean_x


def increments(rows: Sequence[Row]) -> tuple[float | None, float | None]:
    """(seconds, MB) each added namespace costs, fitted over the rows that came up."""
    good = [row for row in rows if row.error is None]
    time_fit = fit([(row.namespaces, row.ready_s) for row in good if row.ready_s is not None])
    memory_fit = fit([(row.namespaces, row.pss_mb) for row in good if row.pss_mb is not None])
    return (time_fit[0] if time_fit else None), (memory_fit[0] if memory_fit else None)


def increments_by(rows: Sequence[Row], grow: str) -> tuple[float | None, float | None]:
    """(seconds, MB) per namespace added by growing only ``grow`` ("sites" or "spokes"): a line through
    each group of rows where the other count is fixed, the slopes averaged. A site adds daemons (FRR,
    charon), a spoke only namespaces and routes, so the two costs differ and are given apart."""
    fixed = "spokes" if grow == "sites" else "sites"
    groups: dict[int, list[Row]] = {}
    for row in rows:
        if row.error is None:
            groups.setdefault(getattr(row, fixed), []).append(row)
    slopes = [increments(group) for group in groups.values()]
    times = [t for t, _ in slopes if t is not None]
    memory = [m for _, m in slopes if m is not None]
    return (sum(times) / len(times) if times else None), (sum(memory) / len(memory) if memory else None)


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    return f"{value:.2f} (target <= {target:g}: {'met' if value <= target else 'MISSED'})"


def available_gb() -> float:
    for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def failure(error: BaseException) -> str:
    """One line: what went wrong and, for anything but a LabError, the innermost frame it came from."""
    text = " ".join(str(error).split())[:300]
    if isinstance(error, LabError):
        return text
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno} ({frame.name})" if frame else ""
    return f"{type(error).__name__}: {text}{where}"


def measure(topology: Topology, label: str, lab_name: str, timeout_s: float,
            say: Callable[[str], None] = print) -> Row:
    """Bring ``topology`` up as ``lab_name``, measure it, tear it down (always)."""
    lab_plan = plan(topology, lab=lab_name)
    namespaces = len(lab_plan.nodes)
    teardown_s: float | None = None
    try:
        before = os.times()
        lab = Lab.up(lab_plan, keys=lab_keys(topology), timeout_s=timeout_s)
        after = os.times()
        ready_s = lab.timings["ready_s"]
        ours = (after.user - before.user) + (after.system - before.system)
        helpers = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        records = list(lab.state.processes)
        cpu = ours + helpers + sum(cpu_seconds(record.pid) for record in records)
        time.sleep(2)  # memory once the daemons have settled, not mid start-up
        pss_kb = sum(memory_kb(record.pid)[1] for record in records if record.program in DAEMONS)
        frr = len({record.node for record in records if record.program == "zebra"})
        charon = len({record.node for record in records if record.program.startswith("charon")})
        row = Row(label, namespaces, frr, charon, ready_s, cpu, pss_kb / 1024)
    except Exception as error:  # LabNotReady (the lab is left up: we take it down) or a crash in up
        reason = failure(error)
        say(f"  {label}: up failed: {reason}")
        row = Row(label, namespaces, error=reason)
        records = []
    finally:
        started = time.monotonic()
        down(lab_name)
        teardown_s = time.monotonic() - started
    leaks = {kind: items for kind, items in footprint(lab_name, [r.pid for r in records]).items() if items}
    if leaks:
        say(f"  LEAK after down of {lab_name}: {leaks}")
    return Row(**{**row.__dict__, "teardown_s": teardown_s})


def search_steps(start_sites: int, start_spokes: int, max_sites: int = MAX_SITES,
                 max_spokes: int = min(MAX_SPOKES, LAB_MAX_SPOKES)) -> list[tuple[int, int]]:
    """Estates of the search, growing: sites and spokes doubling, each capped (the generator's addressing,
    the lab's spoke links), until both are at their caps."""
    steps: list[tuple[int, int]] = []
    sites, spokes = min(start_sites, max_sites), min(start_spokes, max_spokes)
    while True:
        steps.append((sites, spokes))
        if sites == max_sites and spokes == max_spokes:
            return steps
        sites, spokes = min(sites * 2, max_sites), min(spokes * 2, max_spokes)


def bisect_steps(good: tuple[int, int], bad: tuple[int, int], rounds: int) -> list[tuple[int, int]]:
    """Estates between the largest that came up and the first that did not, growing: each the midpoint of
    the previous one and ``bad`` (the search stops at the first of them that fails too)."""
    steps: list[tuple[int, int]] = []
    low = good
    for _ in range(rounds):
        middle = ((low[0] + bad[0]) // 2, (low[1] + bad[1]) // 2)
        if middle in (low, bad):
            break
        steps.append(middle)
        low = middle
    return steps


def marginal(rows: Sequence[Row]) -> list[str]:
    """Cost of each added namespace between consecutive rows that came up (where the line bends)."""
    good = [row for row in rows if row.error is None and row.ready_s is not None and row.pss_mb is not None]
    found = []
    for a, b in itertools.pairwise(good):
        added = b.namespaces - a.namespaces
        if added > 0:
            found.append(f"{a.label} -> {b.label}: {(b.ready_s - a.ready_s) / added:.3f} s and "  # type: ignore[operator]
                         f"{(b.pss_mb - a.pss_mb) / added:.1f} MB per added namespace")  # type: ignore[operator]
    return found


def search(steps: Sequence[tuple[int, int]], seed: tuple[int, int], arguments: argparse.Namespace,
           lab_name: Callable[[], str], mb_per_node: float, prefix: str) -> tuple[Row | None, list[Row]]:
    """Bring up each estate of ``steps`` until one fails (then bisect towards it from the last one up) or the
    next would exceed the memory cap; (largest up, every row measured)."""
    largest: Row | None = None
    searched: list[Row] = []

    def attempt(sites: int, spokes: int) -> Row:
        row = measure(synthetic_estate(sites, spokes), f"{sites} sites x {spokes} spokes", lab_name(),
                      arguments.attempt_timeout)
        row = Row(**{**row.__dict__, "sites": sites, "spokes": spokes})
        print(f"{prefix}: " + table([row]).splitlines()[-1], flush=True)
        searched.append(row)
        return row

    for sites, spokes in steps:
        try:
            nodes = len(plan(synthetic_estate(sites, spokes), lab="probe").nodes)
        except LabError as error:
            print(f"{prefix}: stop: the lab cannot plan {sites} sites x {spokes} spokes: {error}")
            break
        need_gb = nodes * mb_per_node / 1024
        if need_gb > arguments.memory_cap_gb or available_gb() - need_gb < arguments.reserve_gb:
            print(f"{prefix}: stop before {sites} sites x {spokes} spokes ({nodes} namespaces, ~{need_gb:.1f} GB "
                  f"predicted, {available_gb():.1f} GB available, cap {arguments.memory_cap_gb} GB)")
            break
        row = attempt(sites, spokes)
        if row.error is None:
            largest = row
            continue
        good = (largest.sites, largest.spokes) if largest is not None else seed
        for between in bisect_steps(good, (sites, spokes), arguments.bisect):
            row = attempt(*between)
            if row.error is not None:
                break
            largest = row
        break
    else:
        print(f"{prefix}: every estate of this direction came up")
    return largest, searched


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", default="1,2,4,8", help="site counts of the grid (comma-separated)")
    parser.add_argument("--spokes", default="1,5,20", help="spoke counts of the grid (comma-separated)")
    parser.add_argument("--timeout", type=float, default=120.0, help="readiness timeout per grid estate (s)")
    parser.add_argument("--no-sites-yaml", action="store_true", help="skip examples/estates/sites.yaml")
    parser.add_argument("--no-search", action="store_true", help="skip the search for the largest estate")
    parser.add_argument("--attempt-timeout", type=float, default=240.0, help="readiness timeout per search step (s)")
    parser.add_argument("--search", default="diagonal,sites,spokes",
                        help="directions to grow in: diagonal (sites and spokes), sites, spokes")
    parser.add_argument("--bisect", type=int, default=2, help="estates tried between the last up and the failure")
    parser.add_argument("--memory-cap-gb", type=float, default=12.0, help="stop before the daemons would need more")
    parser.add_argument("--reserve-gb", type=float, default=6.0, help="stop when less would stay available")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 2
    tag = f"eb{os.getpid() % 10000}"
    counter = iter(range(10_000))

    def lab_name() -> str:
        return f"{tag}x{next(counter)}"

    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')} on {platform.node()}: {os.cpu_count()} cores, "
          f"{available_gb():.1f} GB available, load {os.getloadavg()[0]:.2f}", flush=True)
    rows: list[Row] = []
    for sites in _ints(arguments.sites):
        for spokes in _ints(arguments.spokes):
            row = measure(synthetic_estate(sites, spokes), f"{sites} sites x {spokes} spokes", lab_name(),
                          arguments.timeout)
            row = Row(**{**row.__dict__, "sites": sites, "spokes": spokes})
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
    print("\n" + table(rows))
    per_node_s, per_node_mb = increments(rows)
    print(f"\neach added namespace: {verdict(per_node_s, TARGET_NODE_S)} s, "
          f"{verdict(per_node_mb, TARGET_NODE_MB)} MB (least squares over the rows that came up)")
    for grow in ("sites", "spokes"):
        seconds, megabytes = increments_by(rows, grow)
        print(f"  namespace added by more {grow}: {verdict(seconds, TARGET_NODE_S)} s, "
              f"{verdict(megabytes, TARGET_NODE_MB)} MB")

    if not arguments.no_sites_yaml:
        row = measure(load(SITES_YAML), "examples/estates/sites.yaml", lab_name(), arguments.timeout)
        print("\n" + table([row]))
        print(f"sites.yaml up: {verdict(row.ready_s, TARGET_SITES_UP_S)} s; daemons' PSS "
              f"{verdict(row.pss_mb, TARGET_SITES_PSS_MB)} MB")

    if not arguments.no_search:
        grid_sites, grid_spokes = _ints(arguments.sites), _ints(arguments.spokes)
        seed = (max(grid_sites), max(grid_spokes))
        lab_spokes = min(MAX_SPOKES, LAB_MAX_SPOKES)
        directions = {
            "diagonal": search_steps(min(seed[0] * 2, MAX_SITES), seed[1] * 2),
            "sites": search_steps(min(seed[0] * 2, MAX_SITES), min(grid_spokes), max_spokes=min(grid_spokes)),
            "spokes": search_steps(seed[0], min(seed[1] * 2, lab_spokes), max_sites=seed[0]),
        }
        mb_per_node = per_node_mb if per_node_mb and per_node_mb > 0 else TARGET_NODE_MB
        for direction in _names(arguments.search):
            largest, searched = search(directions[direction], seed, arguments, lab_name, mb_per_node,
                                       prefix=f"search ({direction})")
            if searched:
                print("\n" + table(searched))
                for line in marginal(searched):
                    print(f"  {line}")
            if largest is not None:
                print(f"largest estate up, growing {direction}: {largest.label}: {largest.namespaces} namespaces, "
                      f"{largest.frr} FRR, {largest.charon} charon, ready in {largest.ready_s:.1f} s, "
                      f"{largest.pss_mb:.0f} MB PSS\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
