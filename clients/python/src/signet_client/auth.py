"""``SignetAuth``: one object that signs requests for ``requests`` (``auth=``) and for ``httpx``
(sync and async clients alike, through ``httpx.Auth.auth_flow``)."""

from __future__ import annotations

import os
from typing import Any, AsyncGenerator, Callable, Generator
from urllib.parse import urlsplit

from .errors import bad_input, may_be_refusal, problem_from_response
from .keys import SigningKey, load_signing_key
from .profiles import load_profile
from .signing import DEFAULT_LIFETIME, Signer

try:  # httpx is optional: without it SignetAuth still works with requests
    import httpx

    _AuthBase: type = httpx.Auth
except ImportError:  # pragma: no cover - exercised only where httpx is absent
    httpx = None  # type: ignore[assignment]
    _AuthBase = object


def _requests_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        # http.client sends a str body as ISO-8859-1: sign those same bytes.
        return body.encode("iso-8859-1")
    raise bad_input("Cannot sign a streaming or file body: the signature covers the exact bytes, so pass them as bytes.")


class SignetAuth(_AuthBase):  # type: ignore[misc,valid-type]
    """Signs every request with a Signet token.

    ``SignetAuth(key_file="signet-key.pem", kid="key_…")``, or ``SignetAuth(profile="prod")`` to use
    the ``signet`` CLI's profile (and its SIGNET_* variables). A clock-skew refusal corrects the
    clock from the server's time and retries once. A Signet refusal (401, 403, 429 with a problem
    body) raises SignetError with its code, status, detail, request id and ``retry_after``.
    """

    requires_request_body = True

    def __init__(
        self,
        *,
        key_file: str | os.PathLike[str] | None = None,
        kid: str | None = None,
        key: SigningKey | None = None,
        profile: str | None = None,
        config_file: str | None = None,
        lifetime: int = DEFAULT_LIFETIME,
        audience: str | None = None,
        now: Callable[[], float] | None = None,
        retry_on_clock_skew: bool = True,
        allow_insecure_permissions: bool = False,
    ) -> None:
        chosen = None
        if key is None or kid is None:
            chosen = load_profile(profile, config_file=config_file) if key_file is None or kid is None else None
            kid = kid or (chosen.kid if chosen else None)
            key_file = key_file or (chosen.key_file if chosen else None)
            if kid is None:
                raise bad_input("No key id: pass kid=, set SIGNET_KID, or use a profile with a kid.")
            if key is None:
                if key_file is None:
                    raise bad_input("No private key: pass key_file= or key=, set SIGNET_KEY_FILE, or use a profile with a key file.")
                key = load_signing_key(key_file, allow_insecure_permissions=allow_insecure_permissions)
        self.signer = Signer(key, kid, now=now, lifetime=lifetime, audience=audience, retry_on_clock_skew=retry_on_clock_skew)
        self.server = chosen.server if chosen else None
        """The profile's server (or SIGNET_SERVER) when a profile was read: the origin to call."""

    @property
    def clock_offset(self) -> float:
        return self.signer.clock_offset

    # --- requests ---------------------------------------------------------------------------

    def _sign_prepared(self, request: Any) -> None:
        parts = urlsplit(request.url)
        host = parts.netloc.rsplit("@", 1)[-1]  # user info is never sent on the request line
        signed = self.signer.sign(request.method, f"{parts.scheme}://{host}{request.path_url}", _requests_body(request.body))
        request.headers["Authorization"] = signed.authorization

    def __call__(self, request: Any) -> Any:
        self._sign_prepared(request)
        request.register_hook("response", self._on_requests_response)
        return request

    def _on_requests_response(self, response: Any, **kwargs: Any) -> Any:
        if response.is_redirect:
            return response
        error = problem_from_response(response.status_code, response.headers, lambda: response.content)
        if self.signer.should_retry(error):
            again = response.request.copy()
            self._sign_prepared(again)
            retried = response.connection.send(again, **kwargs)
            retried.history.append(response)
            retried.request = again
            response, error = retried, problem_from_response(retried.status_code, retried.headers, lambda: retried.content)
        if error is not None:
            raise error
        return response

    # --- httpx (sync and async) -------------------------------------------------------------

    def _sign_httpx(self, request: Any) -> None:
        url = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}{request.url.raw_path.decode('ascii')}"
        request.headers["Authorization"] = self.signer.sign(request.method, url, request.content).authorization

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        self._sign_httpx(request)
        response = yield request
        error = problem_from_response(response.status_code, response.headers, lambda: response.content)
        if self.signer.should_retry(error):
            self._sign_httpx(request)
            response = yield request
            error = problem_from_response(response.status_code, response.headers, lambda: response.content)
        if error is not None:
            raise error

    # httpx's own drivers of auth_flow read every response body when the flow needs any; these
    # read only a refusal's problem body, so streamed answers stay streamed.
    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        request.read()
        flow = self.auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            if may_be_refusal(response.status_code, response.headers):
                response.read()
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        await request.aread()
        flow = self.auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            if may_be_refusal(response.status_code, response.headers):
                await response.aread()
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return
