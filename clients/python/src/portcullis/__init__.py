"""Portcullis: a typed client for the Portcullis authorization appliance.

    from portcullis import Client

    with Client("http://127.0.0.1:8080", "pcs_…") as portcullis:
        decision = portcullis.check(user_id="bob", action="read", resource_type="generation", resource_id="g1")
        if decision.allowed: ...

``AsyncClient`` has the same methods as coroutines; ``portcullis.fastapi`` has a FastAPI dependency.
"""

from ._core import ROUTES, UNSET, RetryPolicy, RevisionTracker, Route
from .async_client import AsyncClient
from .client import Client
from .errors import (AuthenticationError, Conflict, Gone, ImportLineError, InvalidRequest, MethodNotAllowed, NotFound,
                     PayloadTooLarge, PermissionDenied, PortcullisError, RateLimited, RequestTimeout, ServerError,
                     TransportError, Unavailable, UnprocessableEntity, UnsupportedMediaType)
from .models import (APIKey, BatchResult, Change, ChangeEvent, ChangesPage, CheckRequest, CreatedAPIKey, Decision,
                     ExplanationStep, Generation, Health, ImportResult, LoggedDecision, Login, Me, MediaURL, Member,
                     Page, PerformanceHealth, Project, ResourcesPage, SubjectsPage, Team, User)

__version__ = "0.1.0"

__all__ = [
    "Client", "AsyncClient", "RetryPolicy", "RevisionTracker", "Route", "ROUTES", "UNSET",
    "PortcullisError", "TransportError", "InvalidRequest", "AuthenticationError", "PermissionDenied", "NotFound",
    "MethodNotAllowed", "RequestTimeout", "Conflict", "Gone", "PayloadTooLarge", "UnsupportedMediaType",
    "UnprocessableEntity", "RateLimited", "ServerError", "Unavailable", "ImportLineError",
    "APIKey", "BatchResult", "Change", "ChangeEvent", "ChangesPage", "CheckRequest", "CreatedAPIKey", "Decision",
    "ExplanationStep", "Generation", "Health", "ImportResult", "LoggedDecision", "Login", "Me", "MediaURL", "Member",
    "Page", "PerformanceHealth", "Project", "ResourcesPage", "SubjectsPage", "Team", "User",
    "UserMembership", "VisibilityPreview", "SigningKey", "SigningKeys",
]
