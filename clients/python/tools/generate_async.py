#!/usr/bin/env python3
"""Writes src/portcullis/async_client.py from src/portcullis/client.py, so the two clients cannot drift apart.

    python3 tools/generate_async.py          # rewrite async_client.py
    python3 tools/generate_async.py --check  # exit 1 if it is out of date (tests/test_coverage.py does this too)

Rules: every method (``    def`` at class level) becomes ``async def`` and awaits ``self._send``; a method whose
signature carries ``# unasync: keep`` stays a plain ``def`` (it returns an async iterator); ``Iterator`` becomes
``AsyncIterator`` and ``for … in self._stream_lines`` an ``async for``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "portcullis" / "client.py"
TARGET = ROOT / "src" / "portcullis" / "async_client.py"

HEADER = '''"""The asynchronous client: one coroutine per operation of docs/openapi.yaml.

Generated from ``client.py`` by ``tools/generate_async.py``: do not edit; edit client.py and regenerate.
"""
'''


def generate(source: str) -> str:
    lines = source.splitlines()
    # Replace the module docstring.
    assert lines[0].startswith('"""')
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip().endswith('"""'))
    body = lines[end + 1:]
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(body):
        line = body[i]
        in_class = in_class or line.startswith("class Client(")
        if in_class and re.match(r"^    def [a-z_]+\(", line):
            signature = [line]
            while not re.search(r":\s*(#.*)?$", signature[-1]) or signature[-1].rstrip().endswith(","):
                i += 1
                signature.append(body[i])
            keep = any("# unasync: keep" in s for s in signature)
            if not keep:
                signature[0] = signature[0].replace("    def ", "    async def ", 1)
                signature[1:] = ["      " + s if s.strip() else s for s in signature[1:]]
            out.extend(signature)
            i += 1
            continue
        out.append(line)
        i += 1
    text = "\n".join(out) + "\n"
    replacements = [
        ("from ._sync import SyncBase", "from ._async import AsyncBase"),
        ("class Client(SyncBase):", "class AsyncClient(AsyncBase):"),
        ('__all__ = ["Client"]', '__all__ = ["AsyncClient"]'),
        ('A Portcullis client: ``Client("http', 'A Portcullis client for asyncio: ``AsyncClient("http'),
        ("self._send(", "await self._send("),
        ("for line in self._stream_lines(", "async for line in self._stream_lines("),
        ("Iterator[", "AsyncIterator["),
        ("Iterable, Iterator, Mapping", "AsyncIterator, Iterable, Mapping"),
        ("(close the iterator to stop)", "(``aclose()`` the iterator to stop)"),
    ]
    for old, new in replacements:
        if old not in text:
            raise SystemExit(f"generate_async: {old!r} not found in client.py")
        text = text.replace(old, new)
    # A method that awaits must be async: catch a forgotten rule rather than emit broken code.
    for match in re.finditer(r"^    def ([a-z_]+)\(.*?(?=^    (?:async )?def |\Z)", text, re.S | re.M):
        if "await " in match.group(0):
            raise SystemExit(f"generate_async: {match.group(1)} awaits but is not async")
    return HEADER + text


def main() -> int:
    generated = generate(SOURCE.read_text())
    if "--check" in sys.argv:
        if TARGET.read_text() != generated:
            print(f"{TARGET} is out of date: run python3 tools/generate_async.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
