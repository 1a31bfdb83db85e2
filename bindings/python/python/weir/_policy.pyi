import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ._errors import ConfigError

Text = Union[str, bytes]
Headers = Union[Mapping[Text, Text], Iterable[Tuple[Text, Text]]]
Seconds = Union[int, float, Any]

class PolicyError(ConfigError):
    field: str
    rule: str
    problem: str
    def __init__(self, message: str, field: str, rule: str, problem: str) -> None: ...

class Verdict:
    @property
    def admitted(self) -> bool: ...
    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def rule(self) -> Optional[str]: ...
    @property
    def headers(self) -> List[Tuple[str, str]]: ...
    @property
    def body(self) -> Optional[str]: ...
    @property
    def retry_after(self) -> Optional[float]: ...
    @property
    def request_headers(self) -> List[Tuple[str, str]]: ...
    @property
    def upstream(self) -> Optional[str]: ...
    @property
    def deadline(self) -> Optional[float]: ...
    @property
    def deadline_ns(self) -> Optional[int]: ...
    def __bool__(self) -> bool: ...
    def report(
        self,
        status: Optional[int],
        *,
        grpc_status: Optional[int] = None,
        latency: Optional[Seconds] = None,
        cpu: Optional[int] = None,
        now: Optional[int] = None,
        no_retry: bool = False,
    ) -> None: ...

class Policy:
    def __init__(
        self, json: Union[str, bytes, Dict[str, Any]], *, now: Optional[int] = None, seed: Optional[int] = None
    ) -> None: ...
    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Policy": ...
    def check(
        self,
        method: Optional[Text] = None,
        path: Optional[Text] = None,
        headers: Optional[Headers] = None,
        client_address: Optional[Text] = None,
        key: Optional[Text] = None,
        now: Optional[int] = None,
    ) -> Verdict: ...
    def report(
        self,
        verdict: Verdict,
        status: Optional[int],
        *,
        grpc_status: Optional[int] = None,
        latency: Optional[Seconds] = None,
        cpu: Optional[int] = None,
        now: Optional[int] = None,
        no_retry: bool = False,
    ) -> None: ...
    def replace(self, json: Union[str, bytes, Dict[str, Any]], *, now: Optional[int] = None) -> None: ...
    def counters(self) -> Dict[str, int]: ...
    @property
    def rules(self) -> List[str]: ...


