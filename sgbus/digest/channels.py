"""Delivering a digest: SMTP e-mail and a generic HTTP SMS gateway.

A channel raises :class:`DeliveryFailed` when a message did not go out; its reason never
holds the address, the phone number or the text (they are personal data, or may be).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from email.message import EmailMessage
from typing import NamedTuple, Protocol

import httpx
import structlog

from sgbus.digest.compose import Message
from sgbus.digest.settings import DigestSettings
from sgbus.runtime.backoff import Backoff

log = structlog.get_logger("sgbus.digest.channels")


class DeliveryFailed(Exception):
    """A message that did not go out; the reason names no recipient."""


class Channel(Protocol):
    """A way to reach a recipient."""

    name: str

    def address_of(self, message: Message) -> str | None:
        """The recipient's address on this channel, or None when the directory has none."""

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise :class:`DeliveryFailed`."""


class SmtpChannel:
    """E-mail through an SMTP server (optionally STARTTLS and a login), one session a mail."""

    name = "email"

    def __init__(self, settings: DigestSettings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise ValueError("SGBUS_DIGEST_SMTP_HOST and SGBUS_DIGEST_SMTP_FROM are needed")
        self._s = settings
        self._host = settings.smtp_host
        self._from = settings.smtp_from

    def address_of(self, message: Message) -> str | None:
        """The recipient's e-mail."""
        return message.recipient.email

    def send(self, message: Message) -> None:
        """Send one mail; an SMTP refusal or a connection failure is a failed delivery."""
        to = self.address_of(message)
        if not to:
            raise DeliveryFailed("no e-mail address")
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = to
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        try:
            self._deliver(mail)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"SMTP server answered {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}") from None

    def _deliver(self, mail: EmailMessage) -> None:
        s = self._s
        with smtplib.SMTP(self._host, s.smtp_port, timeout=s.timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user and s.smtp_password:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
            smtp.send_message(mail)


class _Problem(NamedTuple):
    reason: str
    transient: bool
    """Whether trying again may help (a 5xx answer, a connection error)."""


class SmsChannel:
    """An HTTP SMS gateway: one POST a message, its body built from the template.

    A 5xx answer or a connection error is retried with backoff; a 4xx is the gateway refusing
    the request and is not retried.
    """

    name = "sms"

    def __init__(
        self,
        settings: DigestSettings,
        stop: threading.Event | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if not settings.sms_url:
            raise ValueError("SGBUS_DIGEST_SMS_URL is needed")
        self._s = settings
        self._url = settings.sms_url
        self._stop = stop or threading.Event()
        self._client = client or httpx.Client(timeout=settings.timeout_s)

    def address_of(self, message: Message) -> str | None:
        """The recipient's phone."""
        return message.recipient.phone

    def send(self, message: Message) -> None:
        """POST the message, retrying transient failures."""
        phone = self.address_of(message)
        if not phone:
            raise DeliveryFailed("no phone number")
        fields = render(self._s.sms_template, phone, message.text)
        backoff = Backoff(initial_s=self._s.sms_backoff_s)
        for attempt in range(self._s.sms_retries + 1):
            problem = self._post(fields)
            if problem is None:
                return
            if not problem.transient or attempt == self._s.sms_retries:
                raise DeliveryFailed(problem.reason)
            log.warning("SMS gateway failed, retrying", reason=problem.reason, attempt=attempt + 1)
            if backoff.wait(self._stop):
                raise DeliveryFailed("stopped while retrying")

    def _post(self, fields: dict[str, str]) -> _Problem | None:
        """None when the gateway took the message; else why not."""
        headers = self._s.sms_headers
        try:
            if self._s.sms_body == "json":
                answer = self._client.post(self._url, headers=headers, json=fields)
            else:
                answer = self._client.post(self._url, headers=headers, data=fields)
        except httpx.TransportError as exc:
            return _Problem(f"SMS gateway: {type(exc).__name__}", transient=True)
        if answer.status_code >= 400:
            transient = answer.status_code >= 500
            return _Problem(f"SMS gateway answered {answer.status_code}", transient)
        return None

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


def render(template: dict[str, str], phone: str, text: str) -> dict[str, str]:
    """The request fields: each value of ``template`` with ``{phone}`` and ``{text}`` replaced
    (plain replacement: other braces in the template are kept as they are)."""
    return {k: v.replace("{phone}", phone).replace("{text}", text) for k, v in template.items()}


def configured_channels(settings: DigestSettings, stop: threading.Event) -> list[Channel]:
    """The channels the settings configure, e-mail first."""
    out: list[Channel] = []
    if settings.smtp_host:
        out.append(SmtpChannel(settings))
    if settings.sms_url:
        out.append(SmsChannel(settings, stop))
    return out
