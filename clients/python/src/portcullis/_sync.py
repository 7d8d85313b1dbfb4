"""The synchronous transport under :class:`portcullis.Client`: sending, retrying, read-your-writes, streaming."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Mapping, TypeVar

import httpx

from ._core import (Call, Raw, RetryPolicy, RevisionTracker, decode_error, revision_from_headers,
                    with_consistency)
from .errors import TransportError

T = TypeVar("T")
_Self = TypeVar("_Self", bound="SyncBase")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class SyncBase:
    """Holds the connection pool, the credential, the retry policy and the revision tracker."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        read_your_writes: bool = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        revisions: RevisionTracker | None = None,
        stream_read_timeout: float | None = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry = retry if retry is not None else RetryPolicy()
        self.read_your_writes = read_your_writes
        self.revisions = revisions if revisions is not None else RevisionTracker()
        self._sleep = sleep
        #: The change stream writes a keep-alive every 15 s by default, so a read that waits longer means a dead peer.
        self.stream_timeout = httpx.Timeout(10.0, connect=5.0, read=stream_read_timeout)
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, headers=dict(headers or {}))

    # Lifecycle.

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def with_token(self: _Self, token: str | None) -> _Self:
        """A client for another credential sharing this one's connections, retry policy and revision tracker (so a
        write made through either is read by checks made through both). Closing it leaves this one open."""
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.token = token
        other._owns_http = False
        return other

    @property
    def last_revision(self) -> int | None:
        """The highest ``X-Portcullis-Revision`` seen so far (``None`` before the first write)."""
        return self.revisions.revision

    # Sending.

    def _headers(self, call: Call[Any]) -> dict[str, str]:
        headers = dict(call.headers)
        if call.authenticated and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _payload(self, call: Call[Any]) -> Any:
        """The body, with read-your-writes ``consistency`` on a check once a revision has been seen."""
        if call.consistent_read and self.read_your_writes:
            return with_consistency(call.json, self.revisions.revision)
        return call.json

    def _request(self, call: Call[Any], stream: bool) -> httpx.Response:
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            payload = self._payload(call)
            request = self._http.build_request(
                call.route.method, call.path, params=call.params or None, json=payload if call.content is None else None,
                content=call.content, headers=self._headers(call),
                timeout=self.stream_timeout if stream else httpx.USE_CLIENT_DEFAULT)
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                failure = TransportError(f"{call.route.method} {call.path}: {exc!r}", code="transport_error",
                                         connect_failed=isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)))
                delay = self.retry.delay_after_error(call.route, failure, attempt, waited)
                if delay is None:
                    raise failure from exc
                self._sleep(delay)
                waited += delay
                continue
            self.revisions.observe(revision_from_headers(response.headers))
            if response.status_code < 400:
                return response
            if stream:
                response.read()
                response.close()
            error = decode_error(response.status_code, response.headers, response.content)
            delay = self.retry.delay_after_error(call.route, error, attempt, waited)
            if delay is None:
                raise error
            self._sleep(delay)
            waited += delay

    def _send(self, call: Call[T]) -> T:
        response = self._request(call, stream=False)
        return call.parse(Raw(response.status_code, response.headers, response.content,
                              revision_from_headers(response.headers)))

    def _stream_lines(self, call: Call[Any]) -> Iterator[str]:
        response = self._request(call, stream=True)
        try:
            yield from response.iter_lines()
        finally:
            response.close()

    # Pagination.

    def iterate(self, method: Callable[..., Any], /, **arguments: Any) -> Iterator[Any]:
        """Every item of a paged list, page after page: ``for user in client.iterate(client.list_users)``.

        Works with ``list_users``, ``list_teams``, ``list_projects``, ``list_generations``, ``list_resources``,
        ``list_subjects``, ``list_decisions`` and ``list_changes`` (which stops at the end of the log).
        """
        while True:
            page = method(**arguments)
            yield from page.items
            following = page.next_page_arguments()
            if following is None:
                return
            arguments = {**arguments, **{k: v for k, v in following.items() if v is not None}}
            for key, value in following.items():
                if value is None:
                    arguments.pop(key, None)
