#!/usr/bin/env python3
"""Memory per idle keep-alive connection: RssAnon of a running server before and after N connections that each made
one request (or none) and stay open.

usage: bench/idle-connections.py --port P --pid PID [--connections 10000] [--request health|check|none] [--key KEY]
  health  GET /api/v1/health (the full Hummingbird path)
  check   POST /api/v1/authz/check with an authz or admin key (answered by the fast path when it is on)
  none    connect only
Prints the anonymous RSS before, after, and per connection; keeps the connections open until it has measured.
"""
import argparse
import json
import resource
import socket
import time


def rss_anon_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise RuntimeError("no RssAnon")


def request_bytes(kind, key):
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    if kind == "none":
        return b""
    if kind == "health":
        return f"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()
    body = json.dumps({"user_id": "nobody", "action": "read", "resource_type": "team", "resource_id": "none"}).encode()
    head = (f"POST /api/v1/authz/check HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def read_response(connection):
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = connection.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed before a response")
        response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += connection.recv(4096)
    return head.split(b"\r\n")[0].decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--request", choices=["health", "check", "none"], default="health")
    parser.add_argument("--key", default=None)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait before each reading")
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, arguments.connections + 1024), hard))

    request = request_bytes(arguments.request, arguments.key)
    time.sleep(arguments.settle)
    before = rss_anon_kib(arguments.pid)
    sockets = []
    statuses = {}
    for _ in range(arguments.connections):
        connection = socket.create_connection(("127.0.0.1", arguments.port))
        if request:
            connection.sendall(request)
            status = read_response(connection)
            statuses[status] = statuses.get(status, 0) + 1
        sockets.append(connection)
    time.sleep(arguments.settle)
    after = rss_anon_kib(arguments.pid)
    print(f"request={arguments.request} connections={len(sockets)} statuses={statuses} rss_anon_before_mib={before / 1024:.1f} "
          f"rss_anon_after_mib={after / 1024:.1f} per_connection_kib={(after - before) / len(sockets):.2f}")
    for connection in sockets:
        connection.close()


if __name__ == "__main__":
    main()
