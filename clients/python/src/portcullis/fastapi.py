"""A FastAPI dependency that asks Portcullis before a route runs.

    from fastapi import Depends, FastAPI
    from portcullis import AsyncClient
    from portcullis.fastapi import Authorized, install, require

    app = FastAPI()
    install(app, AsyncClient("http://127.0.0.1:8080", service_key))   # users: the request's bearer token, via /me

    @app.get("/generations/{gen_id}")
    async def show(gen_id: str, auth: Authorized = Depends(require("read", "generation", "gen_id"))):
        ...

``require(action, resource_type, param)`` takes the resource id from the path parameter ``param`` and the user from
the guard's user source, then checks with the guard's client (an API key with scope ``authz``). No user: 401 with
``WWW-Authenticate: Bearer``. Denied: 403 (``deny_status``). Portcullis unreachable or overloaded: 503. A path id
Portcullis refuses as malformed: 404. Allowed: the route receives an :class:`Authorized`.

The user source is ``bearer_user`` by default: the request's ``Authorization: Bearer`` user token, resolved through
``GET /api/v1/me`` on every request (so a revoked token or a disabled user is refused at once). Pass ``user=`` a
callable ``(Request) -> str | None`` (or a coroutine function) to take the user id from elsewhere, e.g. the app's
own session.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Union

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from .async_client import AsyncClient
from .client import Client
from .errors import (AuthenticationError, InvalidRequest, NotFound, PermissionDenied, PortcullisError,
                     TransportError, Unavailable)
from .models import Decision

__all__ = ["Authorized", "PortcullisGuard", "UserSource", "bearer_token", "bearer_user", "current_user", "install",
           "require"]

UserSource = Callable[[Request], Union[str, None, Awaitable[Union[str, None]]]]


@dataclass(frozen=True)
class Authorized:
    """What a protected route receives: who, on what, and Portcullis' answer."""

    user_id: str
    resource_type: str
    resource_id: str
    action: str
    decision: Decision
    #: The request's bearer token when the user came from it (``bearer_user``), for calls made as the user.
    token: str | None = None


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class _BearerUser:
    """The default user source: the bearer token resolved through ``/api/v1/me``."""

    async def __call__(self, request: Request, client: AsyncClient | Client) -> str | None:
        token = bearer_token(request)
        if token is None:
            return None
        as_user = client.with_token(token)
        try:
            me = await as_user.me() if isinstance(as_user, AsyncClient) else await run_in_threadpool(as_user.me)
        except (AuthenticationError, PermissionDenied, NotFound):
            # A dead token, or a credential that is no user's (an API key): no user.
            return None
        request.state.portcullis_token = token
        return me.user.id


bearer_user: Any = _BearerUser()


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def _unavailable(error: PortcullisError) -> HTTPException:
    headers = {"Retry-After": str(int(error.retry_after))} if error.retry_after is not None else None
    return HTTPException(status_code=503, detail="authorization is unavailable", headers=headers)


class PortcullisGuard:
    """A client and a user source; ``require`` makes dependencies from them."""

    def __init__(self, client: AsyncClient | Client, *, user: UserSource | None = None, deny_status: int = 403) -> None:
        self.client = client
        self.user = user
        self.deny_status = deny_status

    async def resolve_user(self, request: Request) -> str | None:
        if self.user is None:
            return await bearer_user(request, self.client)
        result = self.user(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def decide(self, *, user_id: str, action: str, resource_type: str, resource_id: str) -> Decision:
        client = self.client
        if isinstance(client, AsyncClient):
            return await client.check(user_id=user_id, action=action, resource_type=resource_type,
                                      resource_id=resource_id)
        return await run_in_threadpool(lambda: client.check(user_id=user_id, action=action,
                                                            resource_type=resource_type, resource_id=resource_id))

    def require(self, action: str, resource_type: str, param: str) -> Callable[[Request], Awaitable[Authorized]]:
        """A dependency allowing the request only if its user may ``action`` the ``resource_type`` whose id is the
        path parameter ``param``."""
        return _dependency(action, resource_type, param, lambda request: self)


def install(app: Any, client: AsyncClient | Client, *, user: UserSource | None = None,
            deny_status: int = 403) -> PortcullisGuard:
    """Makes the guard that ``require`` (without ``guard=``) uses for this app: kept in ``app.state.portcullis``."""
    guard = PortcullisGuard(client, user=user, deny_status=deny_status)
    app.state.portcullis = guard
    return guard


def require(action: str, resource_type: str, param: str, *,
            guard: PortcullisGuard | None = None) -> Callable[[Request], Awaitable[Authorized]]:
    """``Depends(require("read", "generation", "gen_id"))``: see the module documentation."""
    def find(request: Request) -> PortcullisGuard:
        found = guard or getattr(request.app.state, "portcullis", None)
        if found is None:
            raise RuntimeError("portcullis.fastapi.require: call install(app, client) first, or pass guard=")
        return found

    return _dependency(action, resource_type, param, find)


def current_user(*, guard: PortcullisGuard | None = None) -> Callable[[Request], Awaitable[str]]:
    """``Depends(current_user())``: the user id from the guard's user source; 401 without one."""
    async def portcullis_user(request: Request) -> str:
        found = guard or getattr(request.app.state, "portcullis", None)
        if found is None:
            raise RuntimeError("portcullis.fastapi.current_user: call install(app, client) first, or pass guard=")
        try:
            user_id = await found.resolve_user(request)
        except (Unavailable, TransportError) as error:
            raise _unavailable(error) from error
        if not user_id:
            raise _unauthorized("sign in first")
        return user_id

    return portcullis_user


def _dependency(action: str, resource_type: str, param: str,
                find: Callable[[Request], PortcullisGuard]) -> Callable[[Request], Awaitable[Authorized]]:
    async def portcullis_authorization(request: Request) -> Authorized:
        guard = find(request)
        resource_id = request.path_params.get(param)
        if not isinstance(resource_id, str) or not resource_id:
            raise RuntimeError(f"portcullis.fastapi.require: the route has no path parameter {param!r}")
        try:
            user_id = await guard.resolve_user(request)
            if not user_id:
                raise _unauthorized("sign in first")
            decision = await guard.decide(user_id=user_id, action=action, resource_type=resource_type,
                                          resource_id=resource_id)
        except (Unavailable, TransportError) as error:
            raise _unavailable(error) from error
        except InvalidRequest as error:
            if error.field == "resource_id":
                raise HTTPException(status_code=404, detail="not found") from error
            raise
        if not decision.allowed:
            raise HTTPException(status_code=guard.deny_status, detail=f"not allowed to {action} this {resource_type}")
        return Authorized(user_id=user_id, resource_type=resource_type, resource_id=resource_id, action=action,
                          decision=decision, token=getattr(request.state, "portcullis_token", None))

    portcullis_authorization.__name__ = f"require_{action}_{resource_type}_{param}"
    return portcullis_authorization
