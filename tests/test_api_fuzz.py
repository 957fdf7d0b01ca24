"""Schemathesis over the app's own OpenAPI document, every check on, as a moderator and as a
resident of the demo community: no input gives a 5xx, and every answer (errors included)
matches the document.

The app is the demo on a SQLite file of this module's own, so the generated requests meet
real rounds, proposals and hearings. Logging out and changing one's password are left
out: a generated request would end the session the rest of the run relies on.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app import create_app
from deliberation import accounts, demo
from deliberation.extensions import db

FOLDER = Path(tempfile.mkdtemp(prefix="jiayuan-fuzz-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
APP = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{FOLDER / 'fuzz.sqlite3'}"})
with APP.app_context():
    db.create_all()
    demo.seed()
    db.session.commit()
    TOKENS = {
        role: accounts.issue_token(accounts.find_user_by_email(f"{role}@demo.jiayuan.cn"))
        for role in ("moderator", "resident1")
    }
    db.session.remove()

# A request the schema allows may still break a rule of the product that no JSON Schema can
# state (a layout with errors, a rationale too short, a password too easy): that is a 422,
# as the contract says, and no failure of the contract.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG).exclude(
    path_regex=r"^/api/v1/(auth/logout|me/password|me)$"
)
EXAMPLES = 12  # per operation and person: about 1,300 requests in all


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("person", ["moderator", "resident1"])
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_contract_for_any_input(case, person, backend):
    # (no app context around the call: each request must get its own, as in production)
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS[person]}"})
