"""The aging-friendly figures (MIIT 2021), measured on a page as the browser lays it out.

``measure(page)`` returns what falls short: visible text under 18 px or with line spacing
under 1.3, a page whose largest heading is under 30 px, and targets (links, buttons,
fields, a checkbox with its label) under 60 × 60 px. A link inside a sentence is exempt,
as WCAG 2.5.8 exempts it: its height is the line's. Contrast is axe-core's to measure.
"""

from __future__ import annotations

MIN_TEXT_PX = 18
MIN_LINE_SPACING = 1.3
MIN_HEADING_PX = 30
MIN_TARGET_PX = 60

_MEASURE = """
({minText, minSpacing, minHeading, minTarget}) => {
  const problems = [];
  const hidden = (el) => {
    if (el.closest("[hidden], .visually-hidden, [aria-hidden=true], svg, .leaflet-marker-pane, "
        + ".leaflet-overlay-pane, .leaflet-tooltip-pane, .leaflet-tile-pane")) return true;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    // Off the page to the left: the skip link until it has the focus.
    return box.width === 0 || box.height === 0 || box.right <= 0 || style.visibility === "hidden"
      || style.display === "none" || style.clipPath === "inset(50%)"
      || style.clip === "rect(0px, 0px, 0px, 0px)";
  };
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\\s+/).join(".") : ""} "${text}"`;
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || hidden(el)) continue;
    seen.add(el);
    if (["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    if (size < minText - 0.05) problems.push(`text ${size.toFixed(1)}px: ${name(el)}`);
    const line = style.lineHeight === "normal" ? 1.2 * size : parseFloat(style.lineHeight);
    if (line / size < minSpacing - 0.005) {
      problems.push(`line spacing ${(line / size).toFixed(2)}: ${name(el)}`);
    }
  }
  const headings = [...document.querySelectorAll("h1, h2")].filter((h) => !hidden(h));
  const largest = Math.max(0, ...headings.map((h) => parseFloat(getComputedStyle(h).fontSize)));
  if (headings.length && largest < minHeading) problems.push(`largest heading ${largest}px`);
  const targets = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]");
  for (const el of targets) {
    if (hidden(el) || el.disabled) continue;
    let box = el.getBoundingClientRect();
    if (el.type === "checkbox" || el.type === "radio") {
      // The label is part of the target: pressing it ticks the box.
      for (const label of el.labels || []) {
        const other = label.getBoundingClientRect();
        const left = Math.min(box.left, other.left), top = Math.min(box.top, other.top);
        const right = Math.max(box.right, other.right), bottom = Math.max(box.bottom, other.bottom);
        box = {width: right - left, height: bottom - top, right, bottom, left, top};
      }
    }
    if (el.tagName === "A") {
      const parent = el.parentElement;
      const own = (el.textContent || "").trim();
      const around = (parent.textContent || "").replace(el.textContent || "", "").trim();
      if (around && own && getComputedStyle(el).display === "inline") continue;  // inside a sentence
    }
    if (box.width < minTarget - 0.5 || box.height < minTarget - 0.5) {
      problems.push(`target ${Math.round(box.width)}x${Math.round(box.height)}: ${name(el)}`);
    }
  }
  return problems;
}
"""


def measure(page) -> list[str]:
    """What on this page falls short of the elder mode's figures (empty when nothing does)."""
    return page.evaluate(
        _MEASURE,
        {
            "minText": MIN_TEXT_PX,
            "minSpacing": MIN_LINE_SPACING,
            "minHeading": MIN_HEADING_PX,
            "minTarget": MIN_TARGET_PX,
        },
    )
