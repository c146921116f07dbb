"""Signing one request (docs/protocol.md section 2), presigned links (section 6), and the clock
offset a client learns from the server's time after a clock-skew refusal."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

from .canonical import canonicalize_url
from .errors import SignetError, bad_input
from .keys import SigningKey, b64url

TOKEN_TYPE = "signet+jwt"
AUTH_SCHEME = "Signet"
PRESIGN_PARAM = "signet_token"
DEFAULT_LIFETIME = 60
MAX_LIFETIME = 300
CLOCK_SKEW_CODES = frozenset({"token_expired", "token_issued_in_future"})

_KID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_JTI = re.compile(r"[A-Za-z0-9_-]{22,128}")
_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True)
class SignedRequest:
    token: str
    authorization: str
    claims: dict[str, Any]


def _segment(value: dict[str, Any]) -> str:
    # The reference serialises with JSON.stringify: no spaces, members in this order, non-ASCII raw.
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def body_sha256(body: bytes) -> str:
    return b64url(hashlib.sha256(body).digest())


def sign_request(
    method: str,
    url: str,
    body: bytes = b"",
    *,
    key: SigningKey,
    kid: str,
    now: float | None = None,
    lifetime: int = DEFAULT_LIFETIME,
    audience: str | None = None,
    jti: str | None = None,
) -> SignedRequest:
    """Signs one request: ``url`` and ``body`` exactly as they will be sent. ``now`` is seconds
    since the epoch (default: this machine's clock). Bad input raises SignetError before anything is sent."""
    canonical = canonicalize_url(url)
    if canonical is None:
        raise bad_input(f'Cannot sign "{url}": expected an absolute http(s) URL without a fragment or user info.')
    if not isinstance(method, str) or _METHOD.fullmatch(method) is None:
        raise bad_input(f"{method!r} is not an HTTP method.")
    if not isinstance(kid, str) or _KID.fullmatch(kid) is None:
        raise bad_input("The key id must be 1 to 128 characters of A-Z a-z 0-9 _ -.")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not 1 <= lifetime <= MAX_LIFETIME:
        raise bad_input(f"The token lifetime must be 1 to {MAX_LIFETIME} seconds.")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise bad_input("The body to sign must be bytes (the exact bytes sent).")
    if jti is not None and _JTI.fullmatch(jti) is None:
        raise bad_input("A jti must be 22 to 128 base64url characters.")
    iat = int(time.time() if now is None else now // 1)
    claims = {
        "method": method.upper(),
        "url": canonical.href,
        "body_sha256": body_sha256(bytes(body)),
        "aud": canonical.origin if audience is None else audience,
        "iat": iat,
        "exp": iat + lifetime,
        "jti": secrets.token_urlsafe(16) if jti is None else jti,
    }
    signing_input = f'{_segment({"alg": key.alg, "kid": kid, "typ": TOKEN_TYPE})}.{_segment(claims)}'
    token = f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"
    return SignedRequest(token, f"{AUTH_SCHEME} {token}", claims)


class Signer:
    """A key and key id, plus the clock offset learnt from the server's time after a clock-skew
    refusal (the offset is kept for later requests, as the Node kit does)."""

    def __init__(
        self,
        key: SigningKey,
        kid: str,
        *,
        now: Callable[[], float] | None = None,
        lifetime: int = DEFAULT_LIFETIME,
        audience: str | None = None,
        retry_on_clock_skew: bool = True,
    ) -> None:
        self.key = key
        self.kid = kid
        self.lifetime = lifetime
        self.audience = audience
        self.retry_on_clock_skew = retry_on_clock_skew
        self.clock_offset = 0.0
        """Seconds added to the local clock."""
        self._now = now or time.time
        sign_request("GET", "http://localhost/", key=key, kid=kid, lifetime=lifetime)  # bad settings fail here, offline

    def sign(self, method: str, url: str, body: bytes = b"") -> SignedRequest:
        return sign_request(method, url, body, key=self.key, kid=self.kid, now=self._now() + self.clock_offset, lifetime=self.lifetime, audience=self.audience)

    def should_retry(self, error: SignetError | None) -> bool:
        """True (and the clock corrected) when this refusal is a clock-skew one worth one retry."""
        if error is None or not self.retry_on_clock_skew or error.code not in CLOCK_SKEW_CODES or error.server_time is None:
            return False
        # server_time is whole seconds: aim at the middle of that second.
        self.clock_offset = error.server_time + 0.5 - self._now()
        return True


@dataclass(frozen=True)
class PresignedLink:
    url: str
    expires_at: int
    """The token's ``exp`` (seconds since the epoch); the server adds its clock-skew tolerance."""
    claims: dict[str, Any]


# Left as they are in a link; every other byte is percent-encoded, as browsers and HTTP libraries
# would encode it before sending (encoding a few more than they do is harmless: none decodes them).
_LINK_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,/:;=?@[]%")


def _as_sent(url: str) -> str:
    """The URL a client sends for this link: no fragment, non-ASCII and unsafe bytes percent-encoded."""
    return "".join(chr(b) if b in _LINK_SAFE else f"%{b:02X}" for b in url.split("#", 1)[0].encode("utf-8"))


def presign_url(url: str, *, key: SigningKey, kid: str, ttl: int = DEFAULT_LIFETIME, now: float | None = None, audience: str | None = None, jti: str | None = None) -> PresignedLink:
    """A single-use GET link: the URL as it will be sent (canonical, non-ASCII percent-encoded, no
    fragment) plus ``signet_token=<token signed for it>``."""
    canonical = canonicalize_url(_as_sent(url))
    if canonical is None:
        raise bad_input(f'Cannot presign "{url}": expected an absolute http(s) URL without a fragment or user info.')
    if "?" in canonical.target and any(p.split("=", 1)[0] == PRESIGN_PARAM for p in canonical.target.split("?", 1)[1].split("&")):
        raise bad_input(f"The URL already carries a {PRESIGN_PARAM} parameter.")
    signed = sign_request("GET", canonical.href, key=key, kid=kid, now=now, lifetime=ttl, audience=audience, jti=jti)
    separator = "&" if "?" in canonical.target else "?"
    return PresignedLink(f"{canonical.href}{separator}{PRESIGN_PARAM}={signed.token}", signed.claims["exp"], signed.claims)
