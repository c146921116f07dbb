"""One error type for every failure: a bad input found before anything is sent, or a server refusal."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

# The refusals a signing client raises instead of returning: authentication (401), authorisation
# (403) and rate limiting (429). Other answers (404, 400 ...) are returned as they are.
REFUSAL_STATUSES = frozenset({401, 403, 429})


class SignetError(Exception):
    """A Signet failure with the problem's stable ``code``.

    Raised before any network call for bad input (``code`` is ``invalid_request``, ``status`` None),
    and for a server refusal with the fields of its ``application/problem+json`` body.
    """

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        server_time: int | None = None,
        retry_after: int | None = None,
        mismatches: tuple[Mapping[str, str], ...] = (),
        problem: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail}" if status is None else f"{status} {code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.request_id = request_id
        self.server_time = server_time
        self.retry_after = retry_after
        self.mismatches = mismatches
        self.problem = dict(problem or {})


def bad_input(detail: str) -> SignetError:
    return SignetError("invalid_request", detail)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def may_be_refusal(status: int, headers: Mapping[str, str]) -> bool:
    """A 401, 403 or 429 answer with a problem body: the only answers whose body the kit reads."""
    return status in REFUSAL_STATUSES and headers.get("content-type", "").lower().startswith("application/problem+json")


def problem_from_response(status: int, headers: Mapping[str, str], read_body: Callable[[], bytes]) -> SignetError | None:
    """The SignetError of a refusal (401, 403 or 429 with a Signet problem body), else None. The
    body is read only for such a refusal, so other (streamed) answers are left untouched."""
    if not may_be_refusal(status, headers):
        return None
    try:
        problem = json.loads(read_body())
    except ValueError:
        return None
    if not isinstance(problem, dict) or not isinstance(problem.get("code"), str):
        return None
    retry_after = headers.get("retry-after")
    mismatches = tuple(
        m for m in problem.get("mismatches", []) if isinstance(m, dict) and all(isinstance(m.get(k), str) for k in ("claim", "expected", "received"))
    ) if isinstance(problem.get("mismatches"), list) else ()
    return SignetError(
        problem["code"],
        problem.get("detail") if isinstance(problem.get("detail"), str) else str(problem.get("title", "")),
        status=status,
        request_id=problem.get("request_id") if isinstance(problem.get("request_id"), str) else headers.get("request-id"),
        server_time=_int_or_none(problem.get("server_time")),
        retry_after=int(retry_after) if retry_after is not None and retry_after.isdigit() else _int_or_none(problem.get("retry_after")),
        mismatches=mismatches,
        problem=problem,
    )
