"""axe-core (from the npm registry, like the pages' own assets) run inside a page.

The script is evaluated through the browser's debugging protocol, which the page's
Content-Security-Policy does not govern, so nothing is added to the page itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `npm ci` (tools/setup.sh does)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, *, enhanced_contrast: bool = False) -> list[dict]:
    """Every WCAG 2.x A/AA violation axe finds in the page as it is now; with
    ``enhanced_contrast``, also text under 7:1 (4.5:1 when large), the high-contrast mode's bar."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source() + "\n;0")
    return page.evaluate(
        """(enhanced) => axe.run(document, {
              runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
              rules: enhanced ? {"color-contrast-enhanced": {enabled: true}} : {},
              resultTypes: ["violations"],
           }).then(r => r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5), count: v.nodes.length,
           })))""",
        enhanced_contrast,
    )


class AxeLog:
    """What axe found on each page of a story: printed, and the blocking ones asserted away."""

    def __init__(self) -> None:
        self.pages: dict[str, list[dict]] = {}

    def check(self, page, name: str, *, enhanced_contrast: bool = False) -> None:
        page.wait_for_load_state("load")
        self.pages[name] = axe_violations(page, enhanced_contrast=enhanced_contrast)

    def blocking(self) -> dict[str, list[dict]]:
        return {
            name: [v for v in found if v["impact"] in BLOCKING]
            for name, found in self.pages.items()
            if any(v["impact"] in BLOCKING for v in found)
        }

    def report(self) -> str:
        lines = ["axe-core violations per page (serious or critical / all):"]
        for name, found in self.pages.items():
            serious = sum(v["count"] for v in found if v["impact"] in BLOCKING)
            lines.append(f"  {name}: {serious} / {sum(v['count'] for v in found)}")
            blocking = [v for v in found if v["impact"] in BLOCKING]
            lines.extend(f"    {v['impact']} {v['id']}: {', '.join(v['nodes'])}" for v in blocking)
        return "\n".join(lines)
