"""Time validate_layout (which measures too) on a realistic 200-feature layout.

Beside it, in the same run: the overlap check alone done with one STRtree query, and a
naive baseline comparing every pair of polygons with shapely intersection().area.

    .venv/bin/python bench/geo_bench.py [--runs 50]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import Site, validate_layout  # noqa: E402
from geo.kinds import is_solid  # noqa: E402
from geo.layout import parse_features, project  # noqa: E402
from geo.validate import check_overlaps  # noqa: E402
from tests.geo_layouts import (  # noqa: E402
    collection,
    feature,
    line,
    point,
    polygon,
    rect,
)


def _circle(x: float, y: float, r: float) -> dict[str, Any]:
    ring = shapely.Point(x, y).buffer(r, quad_segs=8).exterior.coords[:-1]
    return polygon(list(ring))


def build() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An 80 x 60 m site with 30 existing trees, and a 200-feature layout on it."""
    boundary = rect(0, 0, 80, 60)
    trees = [feature(f"tree-{i}", "tree_existing", point(-37.5 + 5 * i, 27.0), keep=i % 3 == 0)
             for i in range(15)]
    trees += [feature(f"tree-{15 + i}", "tree_existing", point(-37.5 + 5 * i, -28.5))
              for i in range(15)]
    constraints = collection(*trees, feature("wall", "building_face", line((-40, 30), (40, 30))))

    f: list[dict[str, Any]] = [dict(t) for t in trees]
    f.append(feature("court-full", "basketball_court", rect(-14, 10, 28, 15)))
    f.append(feature("court-3x3", "court_3x3", rect(20, 14, 11, 15, 90)))
    f += [feature("hoop-w", "hoop", point(-27.5, 10)), feature("hoop-e", "hoop", point(-0.5, 10)),
          feature("hoop-3", "hoop", point(20, 19))]
    f += [feature(f"bench-{i}", "bench", point(-36 + 2 * i, -1.5), seats=3) for i in range(36)]
    f += [feature(f"light-{i}", "lighting", point(-38 + 4 * i, -3.5)) for i in range(20)]
    f += [feature(f"tree-new-{i}", "tree_new", point(-36 + 5 * i, 23.5)) for i in range(15)]
    f += [feature(f"fence-{i}", "fence", line(*seg)) for i, seg in enumerate([
        ((10, 4.5), (30, 4.5)), ((30, 4.5), (30, 22.0)), ((10, 22.0), (30, 22.0)),
        ((10, 4.5), (10, 22.0))])]
    f += [feature(f"path-{i}", "path", line((x, -26.0), (x, -5.5)), width_m=w)
          for i, (x, w) in enumerate([(-39, 1.5), (-20, 1.2), (-1, 1.8), (18, 1.5), (37, 1.0)])]
    f.append(feature("path-main", "path", line((-38, -5.0), (38, -5.0)), width_m=2.0))
    f.append(feature("path-plaza", "path", rect(34, 14, 6, 12)))
    kinds = (["planter"] * 8 + ["seating_area"] * 2 + ["fitness_equipment", "bike_parking"]
             + ["bench"] * 2 + ["play_area", "planter"])
    cells = [(x, y) for y in (-9.0, -13.0, -17.0, -21.0, -25.0)
             for x in (-35.0, -31.0, -27.0, -23.0, -16.0, -12.0, -8.0, -4.0,
                       4.0, 8.0, 12.0, 16.0, 22.0, 26.0, 30.0, 34.0)]
    for i, (x, y) in enumerate(cells[:76]):
        kind = kinds[i % len(kinds)]
        if kind == "planter" and i % 2:
            geometry = _circle(x, y, 1.2)
        elif kind == "bench":
            geometry = rect(x, y, 1.8, 0.5, 15 * (i % 6))
        else:
            geometry = rect(x, y, 3.0, 2.5, 5 * (i % 4))
        f.append(feature(f"cell-{i}-{kind}", kind, geometry))
    f += [feature(f"shade-{i}", "shade_structure", rect(x, -13.0, 3.5, 3.0))
          for i, x in enumerate((-12.0, 8.0, 26.0))]
    f += [feature(f"lawn-{i}", "lawn", rect(x, 24.5, 9, 4)) for i, x in enumerate((-30.0, 0.0))]
    f += [feature("water", "water_point", point(3, -2.5)),
          feature("notice", "notice_board", point(-3, -2.5))]
    layout = collection(*f)
    assert len(layout["features"]) == 200, len(layout["features"])
    return boundary, constraints, layout


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm caches (projection, shapely's lazy imports)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    """Print median and p95 timings of the three measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs

    boundary, constraints, layout = build()
    site = Site.from_geojson(boundary, constraints)
    report = validate_layout(layout, site)
    parsed = parse_features(layout)
    project(parsed, site.projection)
    usable = parsed.usable
    solid = [f.geom_m for f in usable if is_solid(f.kind, f.geometry_type)]

    def naive() -> int:
        return sum(1 for a, b in itertools.combinations(solid, 2)
                   if a.intersection(b).area > 0.01)

    full = _time(lambda: validate_layout(layout, site), runs)
    tree = _time(lambda: list(check_overlaps(usable)), runs)
    pairwise = _time(naive, runs)
    print(f"layout: {len(layout['features'])} features ({len(solid)} solid polygons); "
          f"findings: {report.codes or 'none'}")
    print(f"runs: {runs}")
    print(f"validate_layout + metrics (STRtree)  median {full[0]:7.2f} ms   p95 {full[1]:7.2f} ms")
    print(f"overlap check only, STRtree query    median {tree[0]:7.2f} ms   p95 {tree[1]:7.2f} ms")
    print(f"overlap check only, naive pairwise   median {pairwise[0]:7.2f} ms   "
          f"p95 {pairwise[1]:7.2f} ms   ({len(solid) * (len(solid) - 1) // 2} pairs)")


if __name__ == "__main__":
    main()
