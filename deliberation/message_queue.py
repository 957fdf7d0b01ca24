"""The Redis message queue between worker processes, made so that a sick queue never slows
a hearing and every outage is seen and healed.

python-socketio's RedisManager already delivers an emit to this process's own clients
first and then publishes it for the others. Here:

- Publishing happens on a background task that reads an outbox, so an acknowledgement
  never waits on Redis (dead or hung), and no database connection is held meanwhile.
  While Redis does not answer, messages for other workers are dropped, not queued: their
  clients catch up from the database when the queue returns (``sync``, see live_upkeep).
- Subscribing again after an outage is tried every second, not on a back-off that grows
  to a minute.
- The log says when the queue went away and why, and when it came back, after how long;
  its return calls ``on_return`` (which tells every hearing served here to resynchronise).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
import socketio

log = logging.getLogger("jiayuan.message_queue")

# How long a publish may take before Redis counts as unreachable, and how often to try
# again meanwhile (seconds).
PUBLISH_TIMEOUT = 1.0
RETRY_EVERY = 1.0
OUTBOX_SIZE = 10_000


class HearingQueueManager(socketio.RedisManager):
    """A Redis client manager whose publishing and reconnecting never hold up a hearing."""

    def __init__(self, url: str, *, channel: str, on_return: Callable[[], None] | None = None):
        # The subscriber waits for messages for as long as there are none: no read timeout.
        super().__init__(
            url,
            channel=channel,
            redis_options={"socket_connect_timeout": PUBLISH_TIMEOUT, "socket_keepalive": True},
        )
        self.on_return = on_return
        self._outbox: Any = None
        self._publisher = redis.Redis.from_url(
            url, socket_timeout=PUBLISH_TIMEOUT, socket_connect_timeout=PUBLISH_TIMEOUT
        )
        self._down_since: float | None = None
        self._last_try = 0.0
        self._dropped = 0

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._outbox = self.server.eio.create_queue()
            self.server.start_background_task(self._send_outbox)

    # --- publishing ---------------------------------------------------------------------

    def _publish(self, data: dict) -> None:
        """Queue a message for the other workers; returns at once."""
        if self._outbox is None:  # not serving (a write-only emitter): publish directly
            self._publish_now(data)
            return
        if self._outbox.qsize() >= OUTBOX_SIZE:
            self._note_dropped()
            return
        self._outbox.put(data)

    def _send_outbox(self) -> None:
        while True:
            data = self._outbox.get()
            if self._down_since is not None and time.monotonic() - self._last_try < RETRY_EVERY:
                self._note_dropped()  # still down: the other workers' clients will resync
                continue
            self._publish_now(data)

    def _publish_now(self, data: dict) -> None:
        self._last_try = time.monotonic()
        try:
            self._publisher.publish(self.channel, self.json.dumps(data))
        except redis.RedisError as error:
            self._went_down(f"publishing failed: {error!r}")
            self._note_dropped()
            return
        self._came_back()

    def _note_dropped(self) -> None:
        self._dropped += 1

    # --- subscribing --------------------------------------------------------------------

    def _redis_listen_with_retries(self):  # overrides python-socketio's growing back-off
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self._came_back()
                yield from self.pubsub.listen()
            except Exception as error:  # redis.RedisError, OSError and the like
                self._went_down(f"receiving failed: {error!r}")
                self.connected = False
                time.sleep(RETRY_EVERY)

    # --- the queue's health, logged ------------------------------------------------------

    def _went_down(self, cause: str) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            self._dropped = 0
            log.error(
                "message queue unreachable (%s); this worker's clients still get every event, "
                "the others' catch up when it returns",
                cause,
            )

    def _came_back(self) -> None:
        if self._down_since is None:
            return
        outage = time.monotonic() - self._down_since
        self._down_since = None
        log.warning(
            "message queue back after %.1f s; %d messages to other workers were dropped "
            "and their clients are told to resynchronise",
            outage,
            self._dropped,
        )
        if self.on_return is not None:
            try:
                self.on_return()
            except Exception:
                log.exception("resynchronising after the message queue returned failed")

    @property
    def healthy(self) -> bool:
        return self._down_since is None
