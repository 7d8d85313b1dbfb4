#!/usr/bin/env python3
"""Follow Portcullis's change stream and print each change as one NDJSON line, resuming where it left off.

    PORTCULLIS_KEY=... python3 changes-consumer.py --url http://127.0.0.1:8080 --state ./portcullis.last [--since 0]

The last event id is written to --state after each change is printed (and flushed); on reconnect it is sent as
Last-Event-ID, so nothing is missed: delivery is at least once. Standard library only.
"""
import argparse
import os
import sys
import time
import urllib.error
import urllib.request


def read_state(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def write_state(path, event_id):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(event_id)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def follow(url, key, state, since):
    last = read_state(state)
    query = "" if last is not None or since is None else f"?since={since}"
    request = urllib.request.Request(url.rstrip("/") + "/api/v1/changes/stream" + query)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Accept", "text/event-stream")
    if last is not None:
        request.add_header("Last-Event-ID", last)
    with urllib.request.urlopen(request, timeout=60) as response:
        # A plain id N is committed once revision N is known to be complete (the next revision began, or the stream
        # went idle): a connection cut inside a revision then replays it instead of skipping its rest.
        # An id N:seq (inside a very large revision) is a resumable position by itself.
        event_id, data, pending = None, [], None
        for raw in response:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    if pending is not None and pending != event_id:
                        write_state(state, pending)
                        pending = None
                    sys.stdout.write("\n".join(data) + "\n")
                    sys.stdout.flush()
                    if event_id is not None and ":" in event_id:
                        write_state(state, event_id)
                    elif event_id is not None:
                        pending = event_id
                event_id, data = None, []
            elif line.startswith(":"):
                if pending is not None:  # idle: the last revision was written whole
                    write_state(state, pending)
                    pending = None
            elif line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--state", required=True, help="file holding the last event id")
    parser.add_argument("--since", help="first start only: a revision to start after (default: the next write)")
    args = parser.parse_args()
    key = os.environ.get("PORTCULLIS_KEY")
    if not key:
        sys.exit("set PORTCULLIS_KEY to an administrator API key")
    delay = 1
    while True:
        try:
            follow(args.url, key, args.state, args.since)
            delay = 1  # the server ended the stream cleanly (e.g. a restart): reconnect at once
        except urllib.error.HTTPError as error:
            if error.code == 410:
                sys.exit("changes_expired: the last event id is older than the retention; export and restart deliberately")
            if error.code in (401, 403):
                sys.exit(f"refused ({error.code}): the key must be an administrator key")
            print(f"HTTP {error.code}; retrying in {delay} s", file=sys.stderr)
        except (OSError, urllib.error.URLError) as error:
            print(f"{error}; retrying in {delay} s", file=sys.stderr)
        time.sleep(delay)
        delay = min(delay * 2, 30)


if __name__ == "__main__":
    main()
