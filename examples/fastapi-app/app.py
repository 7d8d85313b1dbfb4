"""A small media app whose every route asks Portcullis first, through the `portcullis` client's FastAPI dependency.

    PORTCULLIS_URL=http://127.0.0.1:8080 PORTCULLIS_KEY=pcs_… uvicorn app:app --port 8001

Users sign in to Portcullis (`POST /api/v1/auth/login`) and send their token to this app as
`Authorization: Bearer`. The app resolves the token to a user through Portcullis and checks each request with its own
service key (scope `authz`). Media files themselves are served by nginx, released by Portcullis' signed-URL check
(see nginx.conf): the download route only hands out a signed URL.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

from portcullis import AsyncClient
from portcullis.fastapi import Authorized, current_user, install, require


def create_app(portcullis_url: str | None = None, service_key: str | None = None) -> FastAPI:
    portcullis = AsyncClient(portcullis_url or os.environ.get("PORTCULLIS_URL", "http://127.0.0.1:8080"),
                             service_key or os.environ.get("PORTCULLIS_KEY"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await portcullis.aclose()

    app = FastAPI(title="Media", lifespan=lifespan)
    install(app, portcullis)

    @app.get("/generations")
    async def my_generations(user_id: str = Depends(current_user())) -> dict:
        """Every generation the signed-in user may read."""
        ids = [gen_id async for gen_id in portcullis.iterate(
            portcullis.list_resources, user_id=user_id, resource_type="generation", action="read")]
        return {"user_id": user_id, "generations": ids}

    @app.get("/generations/{gen_id}")
    async def show(gen_id: str, auth: Authorized = Depends(require("read", "generation", "gen_id"))) -> dict:
        """A generation's details, fetched as the user (Portcullis' end-user route)."""
        generation = await portcullis.with_token(auth.token).get_generation(gen_id)
        return {"id": generation.id, "status": generation.status, "owner_id": generation.owner_id,
                "project_id": generation.project_id, "decided_by": auth.decision.reason}

    @app.get("/generations/{gen_id}/download")
    async def download(gen_id: str,
                       auth: Authorized = Depends(require("download", "generation", "gen_id"))) -> RedirectResponse:
        """A redirect to the file, through a short-lived signed URL that nginx verifies with Portcullis."""
        media = await portcullis.with_token(auth.token).media_url(gen_id)
        return RedirectResponse(media.url, status_code=307)

    @app.delete("/generations/{gen_id}", status_code=204)
    async def delete(gen_id: str, auth: Authorized = Depends(require("delete", "generation", "gen_id"))) -> None:
        """Deletes the generation as the user; later checks see it at once (read-your-writes)."""
        await portcullis.with_token(auth.token).delete_generation(gen_id)

    return app


app = create_app()
