"""examples/fastapi-app against the real server: the app through FastAPI's TestClient, and its nginx.conf in front
of a folder of media files (Debian's nginx; with PORTCULLIS_REQUIRE_NGINX=1, as in CI, a missing nginx fails)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import PASSWORD, REPO, Server, free_port
from portcullis import Client

EXAMPLE = REPO / "examples" / "fastapi-app"
NGINX = next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if os.access(p, os.X_OK)), None)


def load_example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("media_example_app", EXAMPLE / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def example(server: Server, admin: Client, unique: str) -> Iterator[TestClient]:
    key = admin.create_api_key(f"media-app-{unique}", scopes=["authz"]).key
    with TestClient(load_example().create_app(server.url, key), follow_redirects=False) as client:
        yield client


def sign_in(server: Server, who: str) -> dict[str, str]:
    with server.client(None) as anonymous:
        return {"Authorization": f"Bearer {anonymous.login(f'{who}@example.com', PASSWORD).token}"}


def test_the_example_app(server: Server, admin: Client, example: TestClient, unique: str) -> None:
    admin.create_generation("m1", id=f"mine-{unique}", project_id="p1", media_key=f"m/{unique}.png")
    member, outsider = sign_in(server, "m1"), sign_in(server, "outsider")

    listed = example.get("/generations", headers=member).json()
    assert {"g1", "g2", f"mine-{unique}"} <= set(listed["generations"]) and listed["user_id"] == "m1"
    assert example.get("/generations", headers=outsider).json()["generations"] == []
    assert example.get("/generations").status_code == 401

    shown = example.get("/generations/g1", headers=member)
    assert shown.status_code == 200 and shown.json()["decided_by"] == "team_role:viewer"
    assert example.get("/generations/g1", headers=outsider).status_code == 403

    download = example.get("/generations/g1/download", headers=member)
    assert download.status_code == 307 and "/media/a/g1.png?" in download.headers["location"]
    assert admin.verify_media_url(download.headers["location"])
    assert example.get("/generations/g1/download", headers=outsider).status_code == 403

    assert example.delete("/generations/g1", headers=member).status_code == 403
    assert example.delete(f"/generations/mine-{unique}", headers=member).status_code == 204
    assert example.get(f"/generations/mine-{unique}", headers=member).status_code == 403, "deleted: not_found"


def nginx_config(directory: Path, port: int, portcullis_port: int, app_port: int, media: Path) -> str:
    """The example's server block with this test's ports and folders, in a minimal main configuration."""
    server_block = (EXAMPLE / "nginx.conf").read_text()
    server_block = server_block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    server_block = server_block.replace("127.0.0.1:8080", f"127.0.0.1:{portcullis_port}")
    server_block = server_block.replace("127.0.0.1:8001", f"127.0.0.1:{app_port}")
    server_block = server_block.replace("/srv/media/", f"{media}/")
    assert re.search(rf"listen 127\.0\.0\.1:{port};", server_block), "the example's listen line changed"
    temp = "\n".join(f"    {name}_temp_path {directory}/{name};" for name in ("client_body", "proxy", "fastcgi",
                                                                              "uwsgi", "scgi"))
    return (f"worker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
            f"events {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n{temp}\n{server_block}\n}}\n")


@pytest.mark.skipif(NGINX is None and os.environ.get("PORTCULLIS_REQUIRE_NGINX") != "1",
                    reason="nginx is not installed (apt-get install nginx-light)")
def test_the_example_nginx_config_serves_media_for_signed_urls(server: Server, admin: Client, example: TestClient,
                                                                tmp_path: Path, unique: str) -> None:
    assert NGINX, "nginx is required here (apt-get install nginx-light)"
    media = tmp_path / "media"
    (media / "a").mkdir(parents=True)
    (media / "a" / "g1.png").write_text("the picture")
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(tmp_path, port, server.port, free_port(), media))
    user = "" if os.geteuid() != 0 else "user root;\n"
    config.write_text(user + config.read_text())
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config), "-g", "daemon off;"],
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as through:
            while True:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else "nginx exited"
                try:
                    through.get("/media/")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "nginx did not listen"
                    time.sleep(0.02)

            member = sign_in(server, "m1")
            url = example.get("/generations/g1/download", headers=member).headers["location"]
            served = through.get(url)
            assert (served.status_code, served.text) == (200, "the picture")
            assert through.get("/media/a/g1.png").status_code == 403, "no signature"
            assert through.get(url.replace("uid=m1", "uid=owner")).status_code == 403, "tampered"

            admin.delete_member("t1", "m1")
            try:
                assert through.get(url).status_code == 403, "revoked: the member lost download"
            finally:
                admin.put_member("t1", "m1", "viewer")
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(tmp_path / "proxy", ignore_errors=True)
