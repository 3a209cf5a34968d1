#!/usr/bin/env python3
"""Throughput benchmark of the official Junction (Vital) Python SDK, vital==2.1.569.

Makes the same call as the Rust runtime's `get_user` operation,
GET {base_url}/v2/user/{user_id} with header `x-vital-api-key`, in a closed
loop against a local HTTP server, and prints ONE JSON line:

  {"peer":"python-sdk","mode":...,"concurrency":...,"requests":...,
   "seconds":...,"req_per_s":...,"errors":...}

Run it with the venv made by setup.sh:

  tools/peers/.venv/bin/python tools/peers/py_sdk_bench.py \
      --base-url http://127.0.0.1:18080 --user-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \
      --concurrency 8 --duration 10 --mode sync

How the SDK is pointed at the server (found by reading vital/client.py):
  `Vital(api_key=..., base_url=URL)`: `base_url` takes precedence over
  `environment=` (a `VitalEnvironment` enum of the four hosted URLs, default
  PRODUCTION). The SDK joins by string concatenation, so a base URL with a path
  prefix works too.
Retries: in 2.1.569 there is no client-level retry option; it is per request,
  `request_options={"max_retries": 0}` (default 2, with exponential back-off
  from 1 s, on 5xx/408/409/429). We pass 0 on every call so that server errors
  show up as errors instead of as slow requests.

Sync mode: N OS threads, ONE `Vital` client PER THREAD. Why: that is how a
  threaded worker pool typically holds SDK clients, each thread then keeps its
  own keep-alive connection, and it avoids measuring contention on the lock of
  one shared httpx connection pool. The GIL still serialises the Python work
  (request building, pydantic validation of the response), so expect req/s to
  flatten, not scale, past concurrency 1-2. `--shared-client` switches to a
  single client shared by all threads (httpx.Client is thread-safe) for
  comparison.
Async mode: ONE `AsyncVital` client on one asyncio loop, N concurrent tasks
  (sharing one httpx.AsyncClient is the normal asyncio usage).

Timing: all workers start together; the first `--warmup` seconds (default 1)
are discarded; calls that COMPLETE inside the next `--duration` seconds are
counted. `seconds` is the length of that measured window. `errors` counts
calls that raised inside the window (any exception: non-2xx, connection error,
response validation error); the first error's text is printed to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import sys
import threading
import time
import urllib.parse
import warnings

# vital 2.1.569 declares pydantic-v1 style config keys; under pydantic 2 every
# import prints a harmless "Valid config keys have changed in V2" UserWarning.
warnings.filterwarnings("ignore", message="Valid config keys have changed in V2")

PEER = "python-sdk"
API_KEY = "sk_us_bench_key"
NO_RETRY = {"max_retries": 0}


def _is_loopback(base_url: str) -> bool:
    host = urllib.parse.urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:18080 (no /v2 suffix)")
    p.add_argument("--user-id", required=True)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    p.add_argument("--mode", choices=("sync", "async"), default="sync")
    p.add_argument("--warmup", type=float, default=1.0, help="discarded seconds before measuring")
    p.add_argument("--shared-client", action="store_true",
                   help="sync mode: share one Vital client across threads (default: one per thread)")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    p.add_argument("--allow-non-loopback", action="store_true",
                   help="permit a base URL whose host is not loopback (off by default)")
    a = p.parse_args(argv)
    if a.concurrency < 1:
        p.error("--concurrency must be >= 1")
    if a.duration <= 0 or a.warmup < 0:
        p.error("--duration must be > 0 and --warmup >= 0")
    if not a.allow_non_loopback and not _is_loopback(a.base_url):
        p.error(f"refusing non-loopback base URL {a.base_url!r} (use --allow-non-loopback to override)")
    return a


def _scrub_proxy_env() -> None:
    # httpx honours *_PROXY env vars (trust_env=True); make sure benchmark
    # traffic goes straight to the local server and nowhere else.
    for k in list(os.environ):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            del os.environ[k]


class Window:
    def __init__(self, warmup: float, duration: float):
        self.t0 = time.perf_counter()
        self.start = self.t0 + warmup
        self.end = self.start + duration


def _report_first_error(lock: threading.Lock, seen: list, exc: BaseException) -> None:
    with lock:
        if not seen:
            seen.append(True)
            print(f"[{PEER}] first error: {type(exc).__name__}: {exc}"[:2000], file=sys.stderr)


def run_sync(a: argparse.Namespace) -> tuple[int, int, float]:
    from vital import Vital

    def make_client():
        return Vital(api_key=API_KEY, base_url=a.base_url, timeout=a.timeout)

    shared = make_client() if a.shared_client else None
    counts = [0] * a.concurrency
    errors = [0] * a.concurrency
    err_lock, err_seen = threading.Lock(), []
    # Two barriers: the window starts only once every thread has built its client (with 256
    # threads, building the clients alone takes several seconds under the GIL).
    ready = threading.Barrier(a.concurrency + 1)
    barrier = threading.Barrier(a.concurrency + 1)
    window: list[Window] = []

    def worker(i: int) -> None:
        client = shared if shared is not None else make_client()
        get = client.user.get
        uid = a.user_id
        ready.wait()
        barrier.wait()
        w = window[0]
        end, start = w.end, w.start
        n = e = 0
        while True:
            try:
                get(uid, request_options=NO_RETRY)
                ok = True
            except Exception as exc:  # noqa: BLE001 - any failure is an error
                ok = False
                _report_first_error(err_lock, err_seen, exc)
            t = time.perf_counter()
            if t >= end:
                break
            if t >= start:
                if ok:
                    n += 1
                else:
                    e += 1
        counts[i], errors[i] = n, e

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.concurrency)]
    for t in threads:
        t.start()
    ready.wait()
    window.append(Window(a.warmup, a.duration))
    barrier.wait()
    for t in threads:
        t.join()
    return sum(counts), sum(errors), window[0].end - window[0].start


async def run_async(a: argparse.Namespace) -> tuple[int, int, float]:
    from vital import AsyncVital

    client = AsyncVital(api_key=API_KEY, base_url=a.base_url, timeout=a.timeout)
    err_lock, err_seen = threading.Lock(), []
    w = Window(a.warmup, a.duration)

    async def worker() -> tuple[int, int]:
        get = client.user.get
        uid = a.user_id
        n = e = 0
        while True:
            try:
                await get(uid, request_options=NO_RETRY)
                ok = True
            except Exception as exc:  # noqa: BLE001
                ok = False
                _report_first_error(err_lock, err_seen, exc)
            t = time.perf_counter()
            if t >= w.end:
                return n, e
            if t >= w.start:
                if ok:
                    n += 1
                else:
                    e += 1

    results = await asyncio.gather(*(worker() for _ in range(a.concurrency)))
    return sum(r[0] for r in results), sum(r[1] for r in results), w.end - w.start


def main(argv=None) -> int:
    a = parse_args(argv)
    _scrub_proxy_env()
    if a.mode == "sync":
        requests, errs, seconds = run_sync(a)
    else:
        requests, errs, seconds = asyncio.run(run_async(a))
    out = {
        "peer": PEER,
        "mode": a.mode,
        "concurrency": a.concurrency,
        "requests": requests,
        "seconds": round(seconds, 3),
        "req_per_s": round(requests / seconds, 1) if seconds > 0 else 0.0,
        "errors": errs,
    }
    if a.mode == "sync" and a.shared_client:
        out["shared_client"] = True
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
