"""The people's pages, one module per part of the story, beside the JSON API (``api/``) and
the Socket.IO handlers (``live.py``): three doors into the same operations.

- ``rounds``: home, a round and its panels, comparison, ballot, tally, sites and maps;
- ``community``: members and roles, joining, neighbours without a phone, new sites and rounds;
- ``design``: the map editor and proposals;
- ``hearings``: the live hearing, its big screen and the moderator's console;
- ``closing``: the decision, the notice, asking how well, participation and the record.
"""

from __future__ import annotations

from flask import Flask

from deliberation.pages import closing, community, design, hearings, rounds


def register(app: Flask) -> None:
    for module in (rounds, community, design, hearings, closing):
        app.register_blueprint(module.bp)
