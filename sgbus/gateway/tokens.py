"""Bearer tokens of the platform's identity provider: who is calling, as which party.

A token is accepted when its signature verifies with the provider's published keys (fetched
once and again when a new key id appears), its issuer is the platform's, its audience holds
``sgbus`` and it has not expired. The calling client (``azp``) is the party: a department's
system gets its token with its own client id and secret, as its Kafka client does.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import jwt

AUDIENCE = "sgbus"


class TokenRefused(Exception):
    """Not a token of a party: the reason is safe to return to the caller."""


@dataclass(frozen=True)
class Caller:
    """The party a request acts for."""

    party: str


class TokenVerifier:
    """Verifies bearer tokens against the issuer's JWKS."""

    def __init__(
        self, issuer: str, parties: Iterable[str], tls: ssl.SSLContext | None = None
    ) -> None:
        self.issuer = issuer
        self.parties = frozenset(parties)
        self._keys = jwt.PyJWKClient(
            f"{issuer}/protocol/openid-connect/certs", cache_keys=True, ssl_context=tls
        )

    def caller(self, authorization: str | None) -> Caller:
        """The caller of a request's ``Authorization`` header."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise TokenRefused("an Authorization: Bearer token is required")
        token = authorization.split(" ", 1)[1].strip()
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("the token has expired") from None
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise TokenRefused(f"the token is not valid: {type(exc).__name__}") from None
        party = str(claims.get("azp") or "")
        if party not in self.parties:
            raise TokenRefused("the token's client is not a party of the bus")
        return Caller(party)
