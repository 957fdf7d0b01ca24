"""Comparing proposals: their latest versions' metrics as rows, the best value of each row marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from geo.kinds import Kind, spec


class Better(StrEnum):
    """Which way a metric is better; NEITHER where it is a matter of the design, not of quality."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


class Unit(StrEnum):
    SQUARE_METRES = "m2"
    RATIO = "ratio"
    COUNT = "count"
    CNY = "cny"


@dataclass(frozen=True)
class MetricRow:
    """One line of the comparison table: a value per proposal and which of them are best."""

    key: str
    label: str
    unit: Unit
    better: Better
    values: list[float | int | None]
    best: frozenset[int] = frozenset()
    # Per proposal: the value breaks a limit (the cost over the round's budget).
    over: list[bool] = field(default_factory=list)


# key, label, unit, better; how to read the value from a version's metrics.
SUMMARY_ROWS: tuple[tuple[str, Any, Unit, Better], ...] = (
    ("green_ratio", _l("Green share of the site"), Unit.RATIO, Better.HIGHER),
    ("hard_surface_ratio", _l("Hard surface share of the site"), Unit.RATIO, Better.NEITHER),
    ("seats", _l("Seats"), Unit.COUNT, Better.HIGHER),
    ("trees.kept", _l("Existing trees kept"), Unit.COUNT, Better.HIGHER),
    ("trees.removed", _l("Existing trees removed"), Unit.COUNT, Better.LOWER),
    ("trees.new", _l("New trees"), Unit.COUNT, Better.HIGHER),
    ("shaded_area_m2", _l("Shaded area"), Unit.SQUARE_METRES, Better.HIGHER),
    ("estimated_cost_cny", _l("Estimated cost"), Unit.CNY, Better.LOWER),
)


def _read(metrics: Mapping[str, Any] | None, key: str) -> float | int | None:
    value: Any = metrics or {}
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def best_of(values: Sequence[float | int | None], better: Better) -> frozenset[int]:
    """Indexes of the best values; none when the row has no direction or every value is the same.

    >>> sorted(best_of([3, 5, 5], Better.HIGHER))
    [1, 2]
    >>> sorted(best_of([2, 2], Better.LOWER))
    []
    """
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if better is Better.NEITHER or len({v for _, v in known}) < 2:
        return frozenset()
    target = max(v for _, v in known) if better is Better.HIGHER else min(v for _, v in known)
    return frozenset(i for i, v in known if v == target)


def metric_rows(
    metrics: Sequence[Mapping[str, Any] | None],
    *,
    budget_cny: int,
    language: str,
    needs_answered: Sequence[int] | None = None,
) -> list[MetricRow]:
    """The comparison table: areas by kind (no better or worse), the summary metrics, needs answered."""
    rows = []
    kinds = {k for m in metrics for k in ((m or {}).get("area_by_kind_m2") or {})}
    for kind in [k for k in Kind if k.value in kinds]:
        values = [_read((m or {}).get("area_by_kind_m2"), kind.value) or 0 for m in metrics]
        label = spec(kind).name(language)
        rows.append(MetricRow(f"area.{kind.value}", label, Unit.SQUARE_METRES, Better.NEITHER, values))
    for key, label, unit, better in SUMMARY_ROWS:
        values = [_read(m, key) for m in metrics]
        over = [
            bool(key == "estimated_cost_cny" and budget_cny and v is not None and v > budget_cny)
            for v in values
        ]
        rows.append(MetricRow(key, str(label), unit, better, values, best_of(values, better), over))
    if needs_answered is not None:
        values = list(needs_answered)
        best = best_of(values, Better.HIGHER)
        rows.append(MetricRow("needs", str(_l("Needs it answers")), Unit.COUNT, Better.HIGHER, values, best))
    return rows
