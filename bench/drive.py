#!/usr/bin/env python3
"""A deterministic HTTP/1.1 load driver for bench/callgrind.sh.

Sends exactly --requests requests of one scenario, the same sequence every time (seeded), one at a time, round robin
over --connections keep-alive connections (so each event loop of the server gets its share, and what the server
does per request does not depend on how requests happen to bunch up). Exits 1 if any answer is not 200.

Scenarios: health and floor (GET /api/v1/health; the floor answers every path alike), check-hot (1,000 distinct
checks, cycled), check-uniform (100,000 distinct checks, one picked at random each time), check-cold (a fresh random
check each time). The checks need --key and the dataset's sizes.
"""
import argparse
import random
import socket
import sys
import time


def check_body(rng, users, generations):
    action = ("read", "update", "delete", "download")[rng.randrange(4)]
    return '{"user_id":"u%d","action":"%s","resource_type":"generation","resource_id":"g%d"}' % (
        rng.randrange(users), action, rng.randrange(generations))


def requests(args):
    """The scenario's requests, as bytes, in order (a generator: check-cold is not cycled)."""
    host = "Host: 127.0.0.1:%d\r\n" % args.port
    if args.scenario in ("health", "floor"):
        get = ("GET /api/v1/health HTTP/1.1\r\n" + host + "\r\n").encode()
        while True:
            yield get

    def post(body):
        return ("POST /api/v1/authz/check HTTP/1.1\r\n" + host + "Authorization: Bearer " + args.key + "\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)).encode()

    if args.scenario == "check-hot":
        rng = random.Random(42)
        hot = [post(check_body(rng, args.users, args.generations)) for _ in range(1000)]
        index = 0
        while True:
            yield hot[index % len(hot)]
            index += 1
    if args.scenario == "check-uniform":
        rng = random.Random(4242)
        checks = [check_body(rng, args.users, args.generations) for _ in range(100000)]
        while True:
            yield post(checks[rng.randrange(len(checks))])
    rng = random.Random(7)
    while True:
        yield post(check_body(rng, args.users, args.generations))


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def exchange(self, request):
        """Sends one request, reads one response; returns its status."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                while b"\r\n" not in self.buffer:
                    self._fill()
                size_line, self.buffer = self.buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    self._fill()
                self.buffer = self.buffer[size + 2:]
                if size == 0:
                    break
        else:
            length = int(headers.get("content-length", "0"))
            while len(self.buffer) < length:
                self._fill()
            self.buffer = self.buffer[length:]
        if headers.get("connection", "").lower() == "close":
            raise ConnectionError("the server asked to close the connection")
        return status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", required=True, choices=["health", "floor", "check-hot", "check-uniform", "check-cold"])
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--key", default="")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--generations", type=int, default=10000)
    args = parser.parse_args()
    if args.scenario.startswith("check") and not args.key:
        parser.error("the check scenarios need --key")
    if args.requests == 0:
        return 0
    connections = [Connection(args.port) for _ in range(args.connections)]
    statuses = {}
    start = time.monotonic()
    sequence = requests(args)
    for index in range(args.requests):
        status = connections[index % len(connections)].exchange(next(sequence))
        statuses[status] = statuses.get(status, 0) + 1
    seconds = time.monotonic() - start
    for connection in connections:
        connection.sock.close()
    print("drove %d %s requests in %.1f s: %s" % (args.requests, args.scenario, seconds,
          ", ".join("%d x %d" % (count, status) for status, count in sorted(statuses.items()))), file=sys.stderr)
    return 0 if set(statuses) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
