"""Configuration: a deployment's environment is read; a test's never is."""

from __future__ import annotations

from app import create_app
from deliberation.config import config_from_environment

DEVELOPER_ENVIRONMENT = {
    "DISPLAY_TIMEZONE": "America/New_York",
    "DEFAULT_LANGUAGE": "en",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "REDIS_CHANNEL": "somebody-elses",
    "DATABASE_URL": "sqlite:////nonexistent/elsewhere.sqlite3",
    "JIAYUAN_DEMO": "1",
    "TILE_URL": "https://tiles.example/{z}/{x}/{y}.png",
    "SECRET_KEY": "from-the-shell",
}


def test_a_deployment_takes_its_settings_from_the_environment(tmp_path):
    config = config_from_environment(str(tmp_path), DEVELOPER_ENVIRONMENT)
    assert config["BABEL_DEFAULT_TIMEZONE"] == "America/New_York"
    assert config["BABEL_DEFAULT_LOCALE"] == "en"
    assert config["REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert config["REDIS_CHANNEL"] == "somebody-elses"
    assert config["DEMO_MODE"] is True
    assert config["SECRET_KEY"] == "from-the-shell"


def test_an_empty_environment_gives_the_neighbourhood_defaults(tmp_path):
    config = config_from_environment(str(tmp_path), {}, need_secret=False)
    assert config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert config["REDIS_URL"] is None
    assert config["REDIS_CHANNEL"] == "jiayuan"
    assert config["DEMO_MODE"] is False


def test_the_callers_environment_never_reaches_a_test_app(monkeypatch):
    for name, value in DEVELOPER_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert app.config["REDIS_URL"] is None
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.config["DEMO_MODE"] is False
    assert app.config["TILE_URL"] is None
    assert app.config["SECRET_KEY"] == "test-secret"


def test_a_served_app_keeps_what_it_was_built_with_out_of_the_collector(tmp_path):
    """`python app.py` and every gunicorn worker build their app with create_app(): what it
    built lives as long as the process, so full collections must not scan it again."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = "import gc\nfrom app import create_app\ncreate_app()\nprint(gc.get_freeze_count())"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'jiayuan.sqlite3'}",
        "SECRET_KEY": "a-test-secret",
    }
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 10_000
