"""Load test for `signgen serve` on loopback: no failed requests, no memory growth.

Starts `python -m signgen.cli serve` as a child process, then
  1. warm-up: a few requests (renderer and allocator caches fill);
  2. `--rounds` rounds of `--concurrency` simultaneous requests, alternating /pose and /video over a few texts,
     with concurrency within the queue: every request must succeed (HTTP 200);
  3. an overload burst of `--burst` simultaneous requests, more than the queue holds: every answer must be
     200 or 503 (busy), never an error or a dropped connection, and the server must still answer afterwards.
The server's RSS (psutil) is sampled after warm-up and after every round.

    python bench/serve_load.py --model runs/pipeline --rounds 10 --concurrency 8 --renderer avatar
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psutil
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str | None, queue: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "signgen.cli", "serve", "--port", str(port), "--queue", str(queue)]
    if model:
        cmd += ["--model", model]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read()}")
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit("server did not start within 120 s")


def one(url: str, i: int, args) -> tuple[str, float]:
    text, lang = args.texts[i % len(args.texts)]
    endpoint = "/video" if i % 2 else "/pose"
    params = {"text": text, "lang": lang, "seed": i, "renderer": args.renderer}
    if args.steps:
        params["steps"] = args.steps
    start = time.perf_counter()
    try:
        r = requests.get(f"{url}{endpoint}", params=params, timeout=600)
        ok = str(r.status_code) if r.status_code != 200 or len(r.content) > 0 else "empty"
    except requests.RequestException as e:
        ok = type(e).__name__
    return ok, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="pipeline directory (default: shipped)")
    ap.add_argument("--renderer", default="avatar")
    ap.add_argument("--steps", type=int, default=None, help="motion sampling steps (default: the model's)")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--texts", default="hello:ase,thank you:ase,hallo:gsg,good morning:ase", help="TEXT:LANG,... cycled through")
    args = ap.parse_args()
    args.texts = [tuple(pair.rsplit(":", 1)) for pair in args.texts.split(",")]
    if args.concurrency > args.queue + 1:
        ap.error("--concurrency must fit the queue (queue + 1) so every request in a round can be served")
    proc, url = start_server(args.model, args.queue)
    server = psutil.Process(proc.pid)
    results: Counter = Counter()
    latencies: list[float] = []
    try:
        with ThreadPoolExecutor(max(args.concurrency, args.burst)) as pool:
            for i in range(4):
                one(url, i, args)
            rss = [server.memory_info().rss]
            start = time.perf_counter()
            for r in range(args.rounds):
                for status, seconds in pool.map(lambda i: one(url, i, args), range(r * args.concurrency, (r + 1) * args.concurrency)):
                    results[status] += 1
                    latencies.append(seconds)
                rss.append(server.memory_info().rss)
                print(f"round {r + 1}/{args.rounds}: {dict(results)}  server RSS {rss[-1] / 2**20:.0f} MiB", file=sys.stderr, flush=True)
            wall = time.perf_counter() - start
            burst = Counter(status for status, _ in pool.map(lambda i: one(url, i, args), range(args.burst)))
            alive = requests.get(f"{url}/health", timeout=10).ok
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    n = sum(results.values())
    lat = sorted(latencies)
    mib = [x / 2**20 for x in rss]
    print(f"requests: {n} in {wall:.1f} s ({n / wall:.2f}/s), concurrency {args.concurrency}, renderer {args.renderer}, cpus {os.cpu_count()}")
    print(f"status: {dict(results)}  failed: {n - results['200']}")
    print(f"latency: median {lat[len(lat) // 2]:.2f} s, p95 {lat[int(len(lat) * 0.95) - 1]:.2f} s, max {lat[-1]:.2f} s")
    print(f"server RSS MiB: after warm-up {mib[0]:.0f}, after round 1 {mib[1]:.0f}, after last {mib[-1]:.0f}, max {max(mib):.0f}; "
          f"growth round 1 -> last {mib[-1] - mib[1]:+.0f} MiB")
    print(f"overload burst of {args.burst}: {dict(burst)}; server alive afterwards: {alive}")
    bad = n - results["200"] + sum(v for k, v in burst.items() if k not in ("200", "503"))
    return 0 if bad == 0 and alive else 1


if __name__ == "__main__":
    sys.exit(main())
