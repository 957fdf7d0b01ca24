"""The examples in the geo package's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "geo.kinds",
    "geo.standards",
    "geo.projection",
    "geo.layout",
    "geo.messages",
    "geo.findings",
    "geo.diff",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
