"""The cost of a /metrics scrape: alternated rounds of sequential keep-alive scrapes against two live servers.

    python3 bench/scrape.py ADMIN_KEY before=PORT after=PORT [--rounds 12] [--per-round 40]

Prints, per server, the median of the rounds' median scrape times and the body size, then the ratio after/before.
Start both servers on the same data with the same traffic first (docs/monitoring.md, "What it costs").
"""
import argparse
import http.client
import statistics
import time

parser = argparse.ArgumentParser()
parser.add_argument("key")
parser.add_argument("targets", nargs=2, metavar="NAME=PORT")
parser.add_argument("--rounds", type=int, default=12)
parser.add_argument("--per-round", type=int, default=40)
args = parser.parse_args()
targets = [(name, int(port)) for name, port in (target.split("=") for target in args.targets)]
connections = {name: http.client.HTTPConnection("127.0.0.1", port) for name, port in targets}


def scrape(name):
    connection = connections[name]
    start = time.perf_counter()
    connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {args.key}"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"{name}: /metrics answered {response.status}")
    return time.perf_counter() - start, len(body)


for name, _ in targets:
    for _ in range(10):
        scrape(name)
medians = {name: [] for name, _ in targets}
sizes = {}
for round_number in range(args.rounds):
    for name, _ in targets if round_number % 2 == 0 else reversed(targets):
        times = []
        for _ in range(args.per_round):
            elapsed, sizes[name] = scrape(name)
            times.append(elapsed)
        medians[name].append(statistics.median(times))
for name, _ in targets:
    rounds = ", ".join(f"{median * 1000:.1f}" for median in medians[name])
    print(f"{name}: {statistics.median(medians[name]) * 1000:.2f} ms (rounds: {rounds}), body {sizes[name]} bytes")
before, after = targets[0][0], targets[1][0]
print(f"ratio {after}/{before}: {statistics.median(medians[after]) / statistics.median(medians[before]):.3f}")
