"""Copy the browser assets installed by npm into static/vendor.

The pages load every script and stylesheet from the app itself (hearings run on
community networks), so the files npm fetched are copied to fixed paths that the
templates and geo/maps.py name.  Run after `npm ci`; safe to run again.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# destination (under static/vendor) -> source (under node_modules)
MANIFEST: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "geoman/leaflet-geoman.js": "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.js",
    "geoman/leaflet-geoman.css": "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css",
    "leaflet.sync/L.Map.Sync.js": "leaflet.sync/L.Map.Sync.js",
    "socket.io/socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "chart.js/chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}


def vendor_assets() -> list[Path]:
    """Copy every manifest entry; raise if npm has not installed one."""
    copied = []
    for dest, src in MANIFEST.items():
        source = NODE_MODULES / src
        target = VENDOR / dest
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing: run `npm ci` first")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        copied.append(target)
    return copied


if __name__ == "__main__":
    try:
        for path in vendor_assets():
            print(f"vendored {path.relative_to(ROOT)}")
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
