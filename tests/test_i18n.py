"""Both languages cover every message: nothing shows up untranslated in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
CATALOGUE = ROOT / "deliberation" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def source_messages() -> set[str]:
    method_map = [
        ("deliberation/**.py", "python"),
        ("geo/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_a_chinese_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalogue if m.id}
    missing = sorted(m for m in source_messages() if not translated.get(m))
    assert missing == [], "run pybabel extract/update and translate: " + repr(missing)


def test_translations_keep_their_placeholders():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if not message.id or not isinstance(message.id, str):
            continue
        wanted = sorted(PLACEHOLDER.findall(message.id))
        assert sorted(PLACEHOLDER.findall(message.string)) == wanted, message.id
