"""Findings and reports: validation results as data."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geo.codes import FATAL, SEVERITY, Code, Severity
from geo.messages import render


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found: a code, its severity, the feature(s) concerned and measured values.

    feature_ids names every feature of a finding about several (an overlap: both);
    it is empty for a finding about one feature or none.

    >>> f = Finding(Code.PATH_TOO_NARROW, feature_id="p1", params={"width_m": 0.9})
    >>> str(f.severity), f.message("en")[:20]
    ('warning', 'The path is 0.9 m wi')
    """

    code: Code
    feature_id: str | None = None
    feature_ids: tuple[str | None, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        """'error' or 'warning', fixed per code."""
        return SEVERITY[self.code]

    def message(self, language: str = "zh-CN") -> str:
        """The finding in words, in 'zh-CN' or English."""
        return render(self.code, self.params, language)

    def to_dict(self, language: str = "zh-CN") -> dict[str, Any]:
        """The JSON shape used by the API."""
        out: dict[str, Any] = {
            "code": str(self.code),
            "message": self.message(language),
            "feature_id": self.feature_id,
            "severity": str(self.severity),
            "params": _jsonable(self.params),
        }
        if self.feature_ids:
            out["feature_ids"] = list(self.feature_ids)
        return out


def _jsonable(value: Any) -> Any:
    """Params as strict JSON: tuples become lists, numpy scalars Python ones, NaN/inf None."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# The most errors (and warnings) a report lists; the rest are counted.
MAX_REPORTED = 200


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one validation and, unless the document was unreadable, its metrics."""

    findings: tuple[Finding, ...]
    metrics: dict[str, Any] | None = None

    @classmethod
    def of(cls, findings: Iterable[Finding], metrics: dict[str, Any] | None) -> Report:
        """A report; metrics are dropped when a fatal structural finding is present."""
        found = tuple(findings)
        if any(f.code in FATAL for f in found):
            metrics = None
        return cls(found, metrics)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings that block a submission."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings that are shown but do not block."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        """True when there is no error."""
        return not self.errors

    @property
    def codes(self) -> list[str]:
        """The codes of all findings, in order (handy in tests and logs)."""
        return [str(f.code) for f in self.findings]

    def to_dict(self, language: str = "zh-CN", *, limit: int = MAX_REPORTED) -> dict[str, Any]:
        """{"valid", "errors", "warnings", "metrics", "omitted"} as the API returns it.

        A layout drawn to break the checker can raise tens of thousands of findings: at
        most ``limit`` errors and ``limit`` warnings are listed, and ``omitted`` counts the
        rest (valid stays exact).
        """
        errors, warnings = self.errors, self.warnings
        return {
            "valid": self.valid,
            "errors": [f.to_dict(language) for f in errors[:limit]],
            "warnings": [f.to_dict(language) for f in warnings[:limit]],
            "metrics": self.metrics,
            "omitted": max(0, len(errors) - limit) + max(0, len(warnings) - limit),
        }
