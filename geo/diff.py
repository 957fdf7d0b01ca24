"""Differences between two versions of a layout, features matched by id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
from shapely import affinity

from geo.layout import Feature, ParsedLayout, parse_features, project
from geo.metrics import measure
from geo.site import Site

# Geometries closer than this (Hausdorff distance, metres) are the same shape: a
# re-saved drawing moves vertices by floating-point noise, not by centimetres.
SAME_SHAPE_M = 0.05


def _parse(layout: object, site: Site) -> ParsedLayout:
    parsed = parse_features(layout)
    project(parsed, site.projection)
    return parsed


def _properties(f: Feature) -> dict[str, Any]:
    return {k: v for k, v in f.properties.items() if k != "id"}


def metric_delta(old: Any, new: Any) -> Any:
    """new - old for every number in two metric trees (missing numbers count as 0).

    >>> metric_delta({"a": 1, "b": {"c": 2.5}}, {"a": 3, "b": {"c": 2.0, "d": 1}})
    {'a': 2, 'b': {'c': -0.5, 'd': 1}}
    """
    if isinstance(old, dict) or isinstance(new, dict):
        old_d = old if isinstance(old, dict) else {}
        new_d = new if isinstance(new, dict) else {}
        out = {}
        for key in list(old_d) + [k for k in new_d if k not in old_d]:
            delta = metric_delta(old_d.get(key, 0), new_d.get(key, 0))
            if delta is not None:
                out[key] = delta
        return out
    numbers = (int, float)
    if isinstance(old, numbers) and isinstance(new, numbers) and not isinstance(
            old, bool) and not isinstance(new, bool):
        delta = new - old
        return round(delta, 4) if isinstance(delta, float) else delta
    return None


def diff_layouts(old: object, new: object, site: Site, *,
                 unit_costs: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Features added, removed, moved (translated only), reshaped, retyped; metric deltas.

    A feature is moved when its shape, translated by its centroid shift, matches the old
    one within SAME_SHAPE_M and that shift is larger than SAME_SHAPE_M; reshaped when
    its geometry differs otherwise (a rotation is a reshape). Same geometry with a new
    kind or other properties is listed under properties_changed. Features without an
    id, or with a broken geometry, cannot be matched and are not listed.
    """
    before, after = _parse(old, site), _parse(new, site)
    old_by_id, new_by_id = before.by_id(), after.by_id()
    added = [i for i in new_by_id if i not in old_by_id]
    removed = [i for i in old_by_id if i not in new_by_id]
    moved: list[dict[str, Any]] = []
    reshaped: list[dict[str, Any]] = []
    properties_changed: list[str] = []
    unchanged = 0
    for fid in (i for i in new_by_id if i in old_by_id):
        a, b = old_by_id[fid], new_by_id[fid]
        ga, gb = a.geom_m, b.geom_m
        same_shape = (ga.geom_type == gb.geom_type
                      and shapely.hausdorff_distance(ga, gb) <= SAME_SHAPE_M)
        if same_shape:
            if a.kind != b.kind or _properties(a) != _properties(b):
                properties_changed.append(fid)
            else:
                unchanged += 1
            continue
        ca, cb = ga.centroid, gb.centroid
        shifted = affinity.translate(ga, cb.x - ca.x, cb.y - ca.y)
        distance = round(float(ca.distance(cb)), 2)
        if ga.geom_type == gb.geom_type and shapely.hausdorff_distance(shifted, gb) <= SAME_SHAPE_M:
            moved.append({"id": fid, "distance_m": distance})
        else:
            reshaped.append({"id": fid, "area_delta_m2": round(float(gb.area - ga.area), 2),
                             "centroid_shift_m": distance})
        if a.kind != b.kind or _properties(a) != _properties(b):
            properties_changed.append(fid)
    metrics_old = measure(before.usable, site, unit_costs)
    metrics_new = measure(after.usable, site, unit_costs)
    return {
        "added": added,
        "removed": removed,
        "moved": moved,
        "reshaped": reshaped,
        "properties_changed": properties_changed,
        "unchanged": unchanged,
        "metrics": {"old": metrics_old, "new": metrics_new,
                    "delta": metric_delta(metrics_old, metrics_new)},
    }
