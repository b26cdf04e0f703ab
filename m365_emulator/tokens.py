"""Signed tokens: the RSA key made at start, access tokens for Graph, id tokens for the app.

Access tokens look like Entra's v1 Graph tokens (aud graph, iss sts.windows.net/{tid}/, roles or scp).
Clients must treat them as opaque; only the emulator's Graph surface reads them back.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

GRAPH_AUDIENCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ACCEPTED_AUDIENCES = (GRAPH_AUDIENCE, GRAPH_APP_ID, GRAPH_AUDIENCE + "/")
_VERIFIED_CACHE_SIZE = 4096


class TokenRejected(Exception):
    """A bearer token Graph would refuse; the message is Graph's 401 message."""


@dataclass
class Signer:
    """One RSA key per emulator run; its public half is served as the JWKS."""

    key: rsa.RSAPrivateKey
    kid: str
    # Tokens already verified, by their text: a client reuses one token for an hour of calls, and parsing
    # plus verifying it again each time costs more than the rest of a getSchedule call's bookkeeping.
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def generate(cls) -> Signer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(key=key, kid=uuid.uuid4().hex[:16])

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        public.update({"kid": self.kid, "x5t": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}

    def read_access_token(self, token: str) -> dict[str, Any]:
        """The claims of a Graph access token this emulator issued, or TokenRejected with Graph's message."""
        if not token:
            raise TokenRejected("Access token is empty.")
        cached = self._cached(token)
        if cached is not None:
            return cached
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("CompactToken parsing failed with error code: 80049217") from None
        if header.get("kid") != self.kid:
            raise TokenRejected("Access token validation failure. Invalid signature.")
        claims = self._decode(token)
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    def _cached(self, token: str) -> dict[str, Any] | None:
        claims = self._verified.get(token)
        if claims is None:
            return None
        if int(claims["exp"]) <= time.time():
            raise TokenRejected("Lifetime validation failed, the token is expired.")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["RS256"],
                audience=list(ACCEPTED_AUDIENCES),
                options={"require": ["exp", "tid", "aud"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("Lifetime validation failed, the token is expired.") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("Access token has expired or is not yet valid.") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("Access token validation failure. Invalid audience.") from None
        except jwt.PyJWTError:
            raise TokenRejected("Access token validation failure.") from None


def now_seconds() -> int:
    return int(time.time())


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636: S256 compares base64url(sha256(verifier)) without padding; plain compares as is."""
    if method.lower() == "plain":
        return verifier == challenge
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == challenge
