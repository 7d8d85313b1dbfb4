"""Fixtures: the real `portcullis` binary on a free loopback port with a fresh data directory.

The binary is $PORTCULLIS_BIN, else `portcullis` in `swift build --show-bin-path` of the repository (build it first
with `swift build`). Each server gets an administrator key through PORTCULLIS_ADMIN_KEY and is polled on
/api/v1/health until it answers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from portcullis import Client

REPO = Path(__file__).resolve().parents[3]
OPENAPI = REPO / "docs" / "openapi.yaml"
PASSWORD = "correct horse battery"


def binary_path() -> Path:
    configured = os.environ.get("PORTCULLIS_BIN")
    if configured:
        return Path(configured)
    try:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, capture_output=True, text=True,
                                 check=True, timeout=300).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        pytest.fail(f"set PORTCULLIS_BIN or make `swift build --show-bin-path` work in {REPO}: {error}")
    return Path(bin_dir) / "portcullis"


_BINARY: Path | None = None


def binary() -> Path:
    global _BINARY
    if _BINARY is None:
        _BINARY = binary_path()
        if not _BINARY.exists():
            pytest.fail(f"{_BINARY} does not exist: run `swift build` in {REPO} (or set PORTCULLIS_BIN)")
    return _BINARY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`portcullis serve` in a temporary data directory; `env` adds PORTCULLIS_* settings."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="portcullis-python-"))
        self.admin_key = "pcs_test_" + secrets.token_hex(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.directory / "server.log"
        self._log = open(self.log_path, "w")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTCULLIS_")}
        environment.update({"PORTCULLIS_ADMIN_KEY": self.admin_key, "PORTCULLIS_PASSWORD_ITERATIONS": "100000"})
        environment.update(env or {})
        self.process = subprocess.Popen(
            [str(binary()), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.directory / "data")],
            stdout=self._log, stderr=subprocess.STDOUT, env=environment)
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"portcullis exited ({self.process.returncode}):\n{self.log()}")
                try:
                    if http.get(self.url + "/api/v1/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"portcullis did not answer /api/v1/health within 60 s:\n{self.log()}")
                time.sleep(0.05)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()[-4000:]

    def client(self, token: str | None = None, **options: object) -> Client:
        return Client(self.url, token if token is not None else self.admin_key, **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def seed(admin: Client) -> None:
    """A small organisation: owner's team t1 with member m1 (viewer), project p1 (team), generation g1 with media."""
    admin.create_user("owner@example.com", id="owner", display_name="Owner", password=PASSWORD)
    admin.create_user("m1@example.com", id="m1", display_name="Member", password=PASSWORD)
    admin.create_user("outsider@example.com", id="outsider", password=PASSWORD)
    admin.create_team("Team", "owner", id="t1")
    admin.put_member("t1", "m1", "viewer")
    admin.create_project("P", "owner", id="p1", team_id="t1", visibility="team")
    admin.create_generation("owner", id="g1", project_id="p1", status="completed", media_key="a/g1.png")
    admin.create_generation("owner", id="g2", project_id="p1", status="completed")


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    instance = Server()
    with instance.client() as admin:
        seed(admin)
    yield instance
    instance.cleanup()


@pytest.fixture()
def admin(server: Server) -> Iterator[Client]:
    with server.client() as client:
        yield client


@pytest.fixture()
def unique() -> str:
    """A fresh id suffix, so tests sharing the session server do not collide."""
    return secrets.token_hex(4)
