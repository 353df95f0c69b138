"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 at a free port, in a thread of the test
process, recording every message it accepts.

It can be told to behave like a slow or unwell mail system:
- `delay`: seconds spent on each message before answering its DATA (a slow relay);
- `refuse_first`: answer "451" to the first N attempts of each message (by Message-ID), or
  as many as `refuse[message_id]` says;
- `shut_at`: answer the Nth message with "421" and close the connection, as a relay that is
  restarting does;
- `hold_at`: keep the Nth message waiting in DATA until `release()`; a client that goes away
  meanwhile (a worker killed) never gets an answer, and the message counts as dropped, not
  accepted, which is what a real server does with a transaction the client abandoned.

What each attempt came to is kept in `accepted`, `refused` and `dropped`; `counts()` says how
many times each Message-ID was accepted.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    message_id: str
    to: tuple[str, ...]
    subject: str
    body: str
    mail_from: str
    at: float = field(default_factory=time.monotonic)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(
        self, *, delay: float = 0.0, refuse_first: int = 0, hold_at: int | None = None, shut_at: int | None = None
    ):
        self.delay = delay
        self.shut_at = shut_at
        self.refuse_first = refuse_first
        self.refuse: dict[str, int] = {}  # Message-ID -> attempts refused, instead of refuse_first
        self.hold_at = hold_at
        self.accepted: list[Received] = []
        self.refused: list[Received] = []
        self.dropped: list[Received] = []
        self.holding = threading.Event()  # set while the held message waits in DATA
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._attempts: Counter[str] = Counter()
        self._data = 0
        self.host = "127.0.0.1"
        self.port = free_port()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    # --- aiosmtpd's handler hook -----------------------------------------------------------

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        got = Received(
            message_id=str(parsed["Message-ID"] or "").strip(),
            to=tuple(envelope.rcpt_tos),
            subject=str(parsed["Subject"] or ""),
            body=parsed.get_body(("plain",)).get_content() if parsed.get_body(("plain",)) else "",
            mail_from=envelope.mail_from,
        )
        with self._lock:
            self._data += 1
            n = self._data
            self._attempts[got.message_id] += 1
            refuse = self._attempts[got.message_id] <= self.refuse.get(got.message_id, self.refuse_first)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if n == self.hold_at:
                self.holding.set()
                while not self._released.is_set():
                    await asyncio.sleep(0.01)
        except asyncio.CancelledError:  # the client went away before it was answered
            with self._lock:
                self.dropped.append(got)
            raise
        if server.transport is None or server.transport.is_closing():
            with self._lock:
                self.dropped.append(got)
            return "421 The client has gone"
        if n == self.shut_at:  # the relay closes the connection ("421": it is restarting)
            with self._lock:
                self.refused.append(got)
            server.loop.call_later(0.05, server.transport.close)
            return "421 4.3.2 Service shutting down, closing the connection"
        with self._lock:
            if refuse:
                self.refused.append(got)
                return "451 4.3.0 Try again later"
            self.accepted.append(got)
        return "250 OK"

    # --- for tests --------------------------------------------------------------------------

    def release(self) -> None:
        self._released.set()

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(r.message_id for r in self.accepted)

    def wait_for(self, n: int, timeout: float = 30.0) -> bool:
        """Wait until `n` messages have been accepted; False if they were not in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.accepted) >= n:
                return True
            time.sleep(0.02)
        return len(self.accepted) >= n

    def settings(self) -> dict:
        """For override_settings: Django's SMTP backend pointed at the sink."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def env(self) -> dict[str, str]:
        """For a worker's environment (smart_trust.settings reads these)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release()
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
