#!/usr/bin/env python3
"""Memory per idle keep-alive connection: RssAnon of a running server before and after N connections that each made
one request and stay open.

usage: bench/idle-connections.py --port P --pid PID [--connections 10000] [--path /api/v1/health] [--key KEY]
Prints the anonymous RSS before, after, and per connection; keeps the connections open until it has measured.
"""
import argparse
import resource
import socket
import time


def rss_anon_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise RuntimeError("no RssAnon")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--path", default="/api/v1/health")
    parser.add_argument("--key", default=None)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait before each reading")
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, arguments.connections + 1024), hard))

    time.sleep(arguments.settle)
    before = rss_anon_kib(arguments.pid)
    auth = f"Authorization: Bearer {arguments.key}\r\n" if arguments.key else ""
    request = f"GET {arguments.path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()
    sockets = []
    for index in range(arguments.connections):
        connection = socket.create_connection(("127.0.0.1", arguments.port))
        connection.sendall(request)
        response = b""
        while b"\r\n\r\n" not in response:
            response += connection.recv(4096)
        head, _, body = response.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += connection.recv(4096)
        sockets.append(connection)
    time.sleep(arguments.settle)
    after = rss_anon_kib(arguments.pid)
    print(f"connections={len(sockets)} rss_anon_before_mib={before / 1024:.1f} rss_anon_after_mib={after / 1024:.1f} "
          f"per_connection_kib={(after - before) / len(sockets):.2f}")
    for connection in sockets:
        connection.close()


if __name__ == "__main__":
    main()
