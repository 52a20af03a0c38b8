"""Where a cold start's imports go: `python -X importtime` of ours minus what the floor imports anyway.

Both runs cover a whole cold start up to the first response (imports made lazily during the first
call count too). A module "unique to ours" is one the floor never imports; its attributable time is
the self time of it and of every unique module below it, so modules both sides import (boto3,
requests, ...) are never charged to ours.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Module:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list[Module] = field(default_factory=list)
    parent: Module | None = None


def parse(stderr: str) -> list[Module]:
    """The import tree (roots in import order) from `-X importtime` output, which lists children first."""
    stack: list[Module] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, raw_name = line[len("import time:") :].split("|", 2)
        name = raw_name.rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        if int(self_us) < 0:  # the tree is per interpreter: two threads importing at once corrupt it
            raise ValueError(f"negative self time for {name.strip()}: imports ran in two threads at once")
        module = Module(name.strip(), int(self_us), int(cumulative_us), depth)
        while stack and stack[-1].depth > depth:
            child = stack.pop()
            child.parent = module
            module.children.insert(0, child)
        stack.append(module)
    return stack


def walk(modules: list[Module]) -> list[Module]:
    found: list[Module] = []
    for module in modules:
        found.append(module)
        found.extend(walk(module.children))
    return found


def breakdown(ours_runs: list[str], floor_runs: list[str], top: int = 10) -> dict[str, Any]:
    """Median over runs of each module's self time; the unique modules' cost, top-down and by package."""
    ours_trees = [walk(parse(run)) for run in ours_runs]
    floor_names = {module.name for run in floor_runs for module in walk(parse(run))}
    self_times: dict[str, list[int]] = defaultdict(list)
    for tree in ours_trees:
        for module in tree:
            self_times[module.name].append(module.self_us)
    median_self = {name: statistics.median(values) for name, values in self_times.items()}
    unique = {name for name in median_self if name not in floor_names}

    def attributable(module: Module) -> float:
        own = median_self[module.name] if module.name in unique else 0.0
        return own + sum(attributable(child) for child in module.children)

    reference = ours_trees[0]
    rows: list[dict[str, Any]] = [
        {
            "module": module.name,
            "attributable_ms": attributable(module) / 1000,
            "self_ms": median_self[module.name] / 1000,
            "imported_by": module.parent.name if module.parent else "(the cold start)",
        }
        for module in reference
        if module.name in unique
    ]
    rows.sort(key=lambda row: -row["attributable_ms"])
    by_package: dict[str, float] = defaultdict(float)
    for name in unique:
        by_package[name.split(".")[0]] += median_self[name] / 1000
    floor_total = statistics.median(sum(m.self_us for m in walk(parse(run))) for run in floor_runs) / 1000
    ours_total = statistics.median(sum(m.self_us for m in tree) for tree in ours_trees) / 1000
    return {
        "runs_per_side": len(ours_runs),
        "ours_total_ms": ours_total,
        "floor_total_ms": floor_total,
        "unique_modules": len(unique),
        "unique_total_ms": sum(median_self[name] for name in unique) / 1000,
        "top_unique": rows[:top],
        "by_package": dict(sorted(by_package.items(), key=lambda item: -item[1])),
    }
