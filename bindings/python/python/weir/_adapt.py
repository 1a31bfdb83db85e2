"""What the framework adapters share: turning what a user hands them into a
`weir.Policy`, and the refusal a verdict answers with. Each adapter stays a
translation: read the request, ask the policy, write the answer."""

from __future__ import annotations

import os
from http import HTTPStatus
from typing import Any, Dict, List, Tuple, Union

from ._policy import Policy, Verdict

PolicyLike = Union[Policy, str, bytes, Dict[str, Any], List[Dict[str, Any]], "os.PathLike[str]"]

TEXT_PLAIN = ("content-type", "text/plain; charset=utf-8")


def as_policy(policy: PolicyLike) -> Policy:
    """A `weir.Policy` as is; a JSON document (str, bytes or dict); a list of
    rules; or a path (`pathlib.Path`) to a policy file."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, list):
        return Policy({"rules": policy})
    if isinstance(policy, (str, bytes, dict)):
        return Policy(policy)
    if isinstance(policy, os.PathLike):
        return Policy.from_file(policy)
    raise TypeError(
        "weir: policy must be a weir.Policy, a JSON document (str, bytes or dict), "
        f"a list of rules or a pathlib.Path, got {type(policy).__name__}"
    )


def refusal_headers(verdict: Verdict) -> List[Tuple[str, str]]:
    """The refusal's headers (retry-after, x-ratelimit-*, x-weir-rule) and a
    content type for its text body."""
    headers = verdict.headers
    if not any(name == "content-type" for name, _ in headers):
        headers.append(TEXT_PLAIN)
    return headers


def refusal_body(verdict: Verdict) -> bytes:
    return (verdict.body or "").encode()


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Refused"


def with_query(path: str, query: Union[str, bytes, None]) -> str:
    """The path as Envoy's `:path` carries it, query included, so a policy
    matches the same requests in a service as in the proxy."""
    if not query:
        return path
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    return f"{path}?{query}"
