"""Jiayuan's application factory; ``python app.py`` serves the app under gevent."""

if __name__ == "__main__":
    # gevent must patch the standard library before anything imports socket or threading.
    from gevent import monkey

    monkey.patch_all()

import gc
import logging
import os
from pathlib import Path
from typing import Any

from deliberation import (
    auth,
    cli,
    health,
    i18n,
    live,
    live_base,
    live_design,
    live_json,
    live_transport,
    live_upkeep,
    offload,
    pages,
    security,
    throttle,
)
from deliberation.api import register_api
from deliberation.config import DEFAULTS, TEST_OVERRIDES, config_from_environment, protect_sqlite_file
from deliberation.error_handlers import register_error_handlers
from deliberation.extensions import api, babel, csrf, db, login_manager, migrate, socketio
from deliberation.message_queue import HearingQueueManager


def create_app(config: dict[str, Any] | None = None) -> live_base.LiveFlask:
    """Build the app: defaults, then the environment, then ``config`` (tests pass overrides)."""
    app = live_base.LiveFlask(
        __name__,
        static_folder="static",
        template_folder="templates",
        instance_relative_config=True,
    )
    app.config.from_mapping(DEFAULTS)
    overrides = dict(config or {})
    testing = bool(overrides.get("TESTING"))
    if testing:
        overrides = {**TEST_OVERRIDES, **overrides}
    # Tests see the defaults of an empty environment, never the caller's; the
    # environment is read after the overrides are known so that tests never create a
    # secret key file or a database in the instance folder.
    environment = config_from_environment(
        app.instance_path, {} if testing else os.environ, need_secret="SECRET_KEY" not in overrides
    )
    app.config.update({k: v for k, v in environment.items() if k not in overrides})
    app.config.update(overrides)
    if not testing:
        # What an operator reads: when, how bad, where, what (the message queue says why it
        # went away and when it came back).
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("weasyprint").setLevel(logging.WARNING)  # not each step of each PDF
    protect_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "deliberation" / "migrations"))
    csrf.init_app(app)
    security.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    # The client manager is passed every time (None: this process alone), because the
    # module-wide SocketIO object would otherwise keep a queue from an earlier app.
    redis_url, channel = app.config["REDIS_URL"], app.config["REDIS_CHANNEL"]
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        path=live_base.LIVE_PATH.strip("/"),
        json=live_json,
        client_manager=(
            HearingQueueManager(redis_url, channel=channel, on_return=lambda: live_upkeep.sync_served(app))
            if redis_url
            else None
        ),
    )
    live_transport.install(socketio.server)
    app.session_interface = live_base.LiveSessionInterface()
    api.init_app(app)

    auth.init_app(app)
    throttle.init_app(app)
    i18n.init_app(app)
    register_error_handlers(app)
    register_api(api)
    pages.register(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    cli.init_app(app)
    live.register(socketio)
    live_design.register(socketio)
    offload.prepare(app)
    if not testing:
        # Everything built so far lives as long as the process (`python app.py`, and each
        # gunicorn worker, which builds its own app): keep it out of the collector's full
        # passes, which would otherwise pause every live connection now and then.
        gc.freeze()
    return app


if __name__ == "__main__":
    application = create_app()
    socketio.run(
        application,
        host=application.config["HOST"],
        port=application.config["PORT"],
    )
