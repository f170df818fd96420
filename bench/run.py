#!/usr/bin/env python3
"""BestHub benchmark (issue 7): measures the release build against baselines run alongside it.

`make bench` builds the release site and the database generator, then runs this script, which

1. makes a benchmark database with the generator (`bench_seed`),
2. starts BestHub, nginx (serving the very same HTML bytes from files) and Isso (from PyPI,
   in a venv, seeded with the same 200 comments),
3. measures every row with wrk, headless Chromium (playwright-core) and Lighthouse,
4. prints one table and writes it as JSON to bench/results/<UTC timestamp>.json and
   bench/results/latest.json.

Every process it starts runs in its own process group and is killed when the script ends,
however it ends (normal exit, error, Ctrl-C, SIGTERM, SIGHUP). Python 3.11 standard library
only. `bench/run.py --help` lists the options (e.g. `--demo` to run without the generator on
the demo content, `--only` to run some rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

# --- The app's HTTP surface the bench relies on (change here if the app changes) -----------

# Listing a thread's comments: a server function. With "GET" the form is sent as the query.
LIST_METHOD = os.environ.get("BENCH_LIST_METHOD", "GET")
LIST_PATH = os.environ.get("BENCH_LIST_PATH", "/api/get_comments")
LIST_FORM = "slug={slug}&sort=oldest&page=1"
# Posting a comment as the signed-in reader ({n} becomes a number unique to each request).
POST_PATH = os.environ.get("BENCH_POST_PATH", "/api/post_comment")
POST_FORM = "slug={slug}&body=Benchmark+comment+{n}+posted+by+wrk."
SIGN_IN_PATH = os.environ.get("BENCH_SIGN_IN_PATH", "/api/sign_in")
# Only used by --demo, which has no generated reader and signs one up.
SIGN_UP_PATH = os.environ.get("BENCH_SIGN_UP_PATH", "/api/sign_up")
SESSION_COOKIE = "besthub_session"
ARTICLE_PATH = "/articles/{slug}"
# Likes and ratings, for the soak's writes.
LIKE_PATH = os.environ.get("BENCH_LIKE_PATH", "/api/set_like")
RATE_PATH = os.environ.get("BENCH_RATE_PATH", "/api/rate_article")
# The search page, a plain GET ({q} becomes the query, URL-encoded).
SEARCH_PATH = os.environ.get("BENCH_SEARCH_PATH", "/search?q={q}")
# The site's Atom feed and its sitemap, measured against nginx serving the same bytes.
FEED_PATHS = ("/feed.xml", "/sitemap.xml")

# --- Measuring ------------------------------------------------------------------------------

CONNECTIONS = 64  # wrk connections for every throughput row
WRK_THREADS = 2  # the machine has 2 cores; wrk shares them with the server under test
DURATION_S = 10  # each measured wrk run
WARMUP_S = 2  # an unmeasured wrk run before each measured one
ISSO_FEW_CONNECTIONS = 8  # Isso is also measured at this many; its better figure counts
HYDRATION_RUNS = 20
LIGHTHOUSE_RUNS = 3  # the median of each score counts
AVOID_PORTS = {3000, 3001, 5432, 6379}
# The search row (issue 15): these 50 queries sent in turn, (query, kind). The generated
# articles' text comes from one small English vocabulary (benches/seed.rs: latency, cache,
# replica, ... in every body), so an English word there matches most of the 1,000 articles and
# ranks them all; the Chinese and the rarer English words come from the demo articles (demo/),
# which the row imports into its copy of the database. Chinese terms of 2 characters are the
# ones a trigram index cannot serve. Whether each query should find something is worked out
# from the articles' text at run time and compared with what the page lists (row details).
SEARCH_QUERIES = [
    # English words
    ("cache", "word"), ("latency", "word"), ("replica", "word"), ("checkpoint", "word"),
    ("idempotent", "word"), ("backpressure", "word"), ("stampede", "word"),
    ("typography", "word"), ("incident", "word"), ("benchmark", "word"),
    ("Arvidsson", "word"),
    # the beginnings of words
    ("cach", "prefix"), ("lat", "prefix"), ("repl", "prefix"), ("idem", "prefix"),
    ("thro", "prefix"), ("migr", "prefix"), ("stamp", "prefix"), ("typo", "prefix"),
    ("incid", "prefix"), ("sub", "prefix"),
    # several words, every one to be found
    ("cache stampede", "words"), ("sqlite wal", "words"), ("web fonts", "words"),
    ("incident review", "words"), ("p99 latency", "words"), ("rollback migration", "words"),
    ("Liang Shuwen", "words"), ("line breaking", "words"), ("jittered TTLs", "words"),
    ("shard retry timeout", "words"),
    # Chinese, 2 to 4 characters
    ("大厂", "zh"), ("人才流失", "zh"), ("缓存", "zh"), ("数据库", "zh"), ("排版", "zh"),
    ("字体", "zh"), ("标点", "zh"), ("断行", "zh"), ("浏览器", "zh"), ("汉字", "zh"),
    ("网页字体", "zh"), ("避头尾", "zh"), ("子集化", "zh"),
    # Chinese and English together
    ("CSS 排版", "mixed"),
    # nothing to find
    ("kubernetes", "none"), ("区块链", "none"), ("xylophone quartz", "none"), ("量子纠缠", "none"),
    ("zzqx", "none"),
]
SEARCH_P99_MS = 20
SEARCH_ROUNDS = 5  # each query this many times, one at a time, for the per-query timings
# The soak rows: many connections for a minute of mixed traffic, on SQLite and PostgreSQL.
SOAK_CONNECTIONS = 256
SOAK_DURATION_S = 60
SOAK_READERS = 64  # signed-in readers, each signed in once before the run
SOAK_BIG_THREAD = 5_000  # comments of the generator's big thread in the soak databases
# Shares of the soak's requests (per cent). Anonymous: article pages, the home page and the
# comment listing; signed in: article pages and the home page with a reader's session; writes:
# likes, ratings and comments by those readers.
SOAK_MIX = {"anonymous": 70, "signed_in": 20, "writes": 10}
# The page cache's own bound on what it keeps (src/page_cache.rs MAX_BYTES), in MiB: the
# server's memory may grow by that much while pages are kept, and no more.
PAGE_CACHE_BOUND_MIB = 256
# The PostgreSQL server the soak creates its database on (and drops it from afterwards).
SOAK_ROWS = ("soak_sqlite", "soak_postgres")
SOAK_PG_URL = (os.environ.get("BENCH_PG_URL") or os.environ.get("BESTHUB_TEST_PG_URL")
               or "postgres://postgres@127.0.0.1:5432/test")
# The live-site rows (issue 11). --only live runs them all.
LIVE_ROWS = ("live_junk", "live_comments", "live_small", "live_fanout", "live_fresh")
# Rows that start servers of their own instead of the main one.
OWN_SERVER_ROWS = (*SOAK_ROWS, "live_fresh")
# Generated articles (without comments) the live rows use, apart from the 50-comment one.
LIVE_ARTICLES = {"other": "bench-article-4", "small": "bench-article-3",
                 "fanout": "bench-article-5"}
JUNK_CONNECTIONS = 4  # junk POSTs: unknown path, cross-site, wrong password
COMMENT_CONNECTIONS = 2  # comments posted while the article page is measured
# The pause before each request of a background-load connection in the rows with a goal
# (4 junk connections: up to 200 POSTs/s, 2 comment connections: up to 100 comments/s): a
# steady stream of writes, each of which emptied the old page cache, whose own CPU stays
# small. Their information rows send as fast as the server answers, which mostly measures
# how the two cores are shared between the page, the load and wrk.
LOAD_DELAY_MS = 20
JUNK_FULL_ROW = "  the same, junk POSTs as fast as answered"
COMMENTS_FULL_ROW = "  the same, comments on another article as fast as answered"
COMMENTS_SAME_ROW = "  the same, comments on the same article, one per 20 ms each"
SMALL_COMMENTS = 3  # comments of the small article page
FANOUT_STREAMS = 5_000
FANOUT_P99_MS = 250
FANOUT_KB = 20
FRESH_POSTS = 200
FRESH_P99_MS = 100
FRESH_TIMEOUT_S = 2.0  # a post not on replica B by then counts as missed
FRESH_MAX_MISSED = 5  # the freshness row stops after this many missed posts
ACCEPT_ENCODING = "br, gzip"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "/var/tmp/besthub/target"))
STATE = Path(os.environ.get("BENCH_STATE_DIR", "/var/tmp/besthub/bench"))


class BenchError(Exception):
    """A measurement could not be made; the message says why."""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- Processes ------------------------------------------------------------------------------


class Processes:
    """Background servers, each in its own process group, all killed by stop_all()."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, argv: list[str], log_path: Path, env=None, cwd=None):
        log(f"starting {name}: {' '.join(map(str, argv))}")
        out = open(log_path, "ab")
        try:
            proc = subprocess.Popen(
                [str(a) for a in argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        finally:
            out.close()
        self.running.append((name, proc, log_path))
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        """Stops one process started here (and forgets it)."""
        for entry in list(self.running):
            if entry[1] is proc:
                self.running.remove(entry)
                if proc.poll() is None:
                    kill_group(proc, entry[0])

    def check(self, proc: subprocess.Popen) -> None:
        for name, p, log_path in self.running:
            if p is proc and p.poll() is not None:
                raise BenchError(f"{name} exited with status {p.returncode}:\n{tail(log_path)}")

    def stop_all(self) -> None:
        while self.running:
            name, proc, _ = self.running.pop()
            if proc.poll() is None:
                kill_group(proc, name)
        kill_marked()


# Every Chromium the bench starts (through Lighthouse or Playwright, which start it in a
# process group of its own) carries this flag, so that none outlives the bench.
CHROME_MARKER = f"--besthub-bench-run={os.getpid()}"


def kill_marked() -> None:
    """Kills the processes whose command line holds CHROME_MARKER (ours only)."""
    marker = CHROME_MARKER.encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker in cmdline.read_bytes().split(b"\0"):
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def kill_group(proc: subprocess.Popen, name: str = "") -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            log(f"{name or proc.pid} did not stop on {sig.name}")


def run(argv: list, timeout: float, env=None, cwd=None, check=True) -> subprocess.CompletedProcess:
    """Runs a command in its own process group, killing the whole group on timeout or error."""
    argv = [str(a) for a in argv]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise BenchError(f"timed out after {timeout:.0f} s: {' '.join(argv)}")
    except BaseException:
        kill_group(proc)
        raise
    finally:
        # A command's own children die with it, and so does any Chromium it started.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        kill_marked()
    result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise BenchError(
            f"{Path(argv[0]).name} exited with status {proc.returncode}:\n"
            + (err.decode(errors="replace") or out.decode(errors="replace"))[-3000:]
        )
    return result


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in AVOID_PORTS:
            return port


# --- HTTP -----------------------------------------------------------------------------------


def request(port: int, method: str, path: str, headers=None, body=None, timeout=30):
    """One HTTP/1.1 request to 127.0.0.1:port, no redirects followed and no decompression."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def header(headers, name: str) -> str | None:
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def wait_http(port: int, path: str, proc: subprocess.Popen, procs: Processes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        procs.check(proc)
        try:
            status, _, _ = request(port, "GET", path, timeout=5)
            if status == 200:
                return
            last = f"status {status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    raise BenchError(f"http://127.0.0.1:{port}{path} not ready after {timeout:.0f} s ({last})")


def session_token(port: int, path: str, body: str, who: str) -> str:
    """Posts a sign-in (or sign-up) form and returns the session cookie's value it sets."""
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Origin": f"http://127.0.0.1:{port}"}
    status, resp_headers, resp_body = request(port, "POST", path, headers, body)
    for k, v in resp_headers:
        if k.lower() == "set-cookie" and v.startswith(SESSION_COOKIE + "="):
            value = v.split(";", 1)[0].split("=", 1)[1]
            if value:
                return value
    raise BenchError(f"POST {path} as {who} gave status {status} and no {SESSION_COOKIE} "
                     f"cookie: {resp_body[:300]!r}")


def rss_mib(pid: int) -> float:
    """Resident memory of process `pid` (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


def form(template: str, **values: str) -> str:
    return template.format(**{k: urllib.parse.quote_plus(v) for k, v in values.items()})


# --- Tools ----------------------------------------------------------------------------------


def wrk(url: str, *, connections: int, duration: int, work: Path, method="GET", headers=(),
        body=None, threads=WRK_THREADS, warmup=WARMUP_S, mix: Path | None = None,
        paths: Path | None = None, settle=True) -> dict:
    """Runs wrk with bench/wrk.lua (after an unmeasured warm-up run) and returns its summary.
    With `mix`, the requests are drawn from that file (see bench/wrk.lua) instead; with
    `paths`, the paths listed in that file are sent in turn. With `settle=False` it does not
    wait for the servers to be idle first (a background load runs)."""
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    out = Path(tempfile.mktemp(prefix="wrk-", suffix=".json", dir=work))
    env = dict(os.environ, WRK_METHOD=method, WRK_PATH=path, WRK_HEADERS="\n".join(headers),
               WRK_JSON_OUT=str(out), WRK_MIX=str(mix or ""), WRK_PATHS=str(paths or ""))
    if body is not None:
        env["WRK_BODY"] = body
    threads = max(1, min(threads, connections))
    base = ["wrk", f"-t{threads}", f"-c{connections}", "--timeout", "30s", "-s", BENCH / "wrk.lua"]
    if warmup:
        if settle:
            quiesce()
        run(base + [f"-d{warmup}s", url], timeout=warmup + 60, env=dict(env, WRK_JSON_OUT=""))
    if settle:
        quiesce()
    run(base + [f"-d{duration}s", url], timeout=duration + 60, env=env)
    summary = json.loads(out.read_text())
    out.unlink()
    secs = summary["duration_us"] / 1e6
    errors = summary["errors"]
    failed = sum(errors.values())
    summary["rps"] = summary["requests"] / secs if secs else 0.0
    summary["p50_ms"] = summary["latency_us"]["p50"] / 1000
    summary["p99_ms"] = summary["latency_us"]["p99"] / 1000
    summary["connections"] = connections
    if summary["requests"] == 0:
        raise BenchError(f"wrk made no request to {url}: {errors}")
    if failed > summary["requests"] * 0.01:
        raise BenchError(f"{failed} of {summary['requests']} requests to {url} failed: {errors} "
                         "(status counts answers of 400 and above)")
    return summary


def raise_nofile(want: int = 65536) -> None:
    """Raises this process's open-file limit, and so its children's (servers and clients
    holding thousands of streams), to `want`: the hard limit too when allowed (root)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def probe_stream(port: int, slug: str) -> None:
    """Opens the article's live stream once and checks that it answers 200 text/event-stream."""
    path = f"/articles/{slug}/events"
    head = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      "Accept: text/event-stream\r\n\r\n".encode())
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
    except OSError as e:
        raise BenchError(f"GET {path}: {e}")
    lines = head.split(b"\r\n\r\n", 1)[0].decode(errors="replace").lower().splitlines()
    status = lines[0].split()[1] if lines and len(lines[0].split()) > 1 else "none"
    if status != "200" or not any(l.startswith("content-type: text/event-stream") for l in lines):
        raise BenchError(f"GET {path} answered {status} ({'; '.join(lines[1:4])}): no live "
                         "event stream in this build")


def quiesce(timeout: float = 30) -> None:
    """Waits until the servers this script started are idle, so that requests a slow server
    still works on after wrk stopped (Isso takes seconds) do not eat into the next run."""
    groups = {proc.pid for _, proc, _ in PROCS.running}
    if not groups:
        return

    def cpu_ticks() -> int:
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in groups:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    deadline = time.monotonic() + timeout
    last = cpu_ticks()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_ticks()
        if now - last <= 2:  # at most 20 ms of CPU in 250 ms
            return
        last = now
    log(f"servers still busy after {timeout:.0f} s; measuring anyway")


class Load:
    """wrk sending requests in the background (bench/wrk.lua, in a process group of its own)
    until stop(): the load another measure runs under. Its answers are not checked (junk
    answers 4xx by design); its summary says how many it sent."""

    def __init__(self, name: str, url: str, *, connections: int, work: Path, method="GET",
                 headers=(), body=None, mix: Path | None = None, delay_ms: float = 0) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.out = Path(tempfile.mktemp(prefix=f"{name}-", suffix=".json", dir=work))
        self.log = work / f"{name}.log"
        env = dict(os.environ, WRK_METHOD=method,
                   WRK_PATH=parsed.path + (f"?{parsed.query}" if parsed.query else ""),
                   WRK_HEADERS="\n".join(headers), WRK_JSON_OUT=str(self.out),
                   WRK_MIX=str(mix or ""), WRK_DELAY_MS=str(delay_ms))
        if body is not None:
            env["WRK_BODY"] = body
        self.proc = PROCS.start(name, ["wrk", "-t1", f"-c{connections}", "--timeout", "30s",
                                       "-s", BENCH / "wrk.lua", "-d3600s", url],
                                self.log, env=env)

    def stop(self) -> dict:
        """Ends the load (on SIGINT wrk stops and writes its summary) and returns the summary."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        PROCS.stop(self.proc)
        try:
            summary = json.loads(self.out.read_text())
        except (OSError, ValueError):
            raise BenchError(f"the background wrk wrote no summary:\n{tail(self.log)}")
        self.out.unlink()
        secs = summary["duration_us"] / 1e6
        summary["rps"] = summary["requests"] / secs if secs else 0.0
        return summary


def throughput_figure(s: dict) -> str:
    return f"{s['rps']:,.0f} req/s (p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms)"


def brief(s: dict) -> dict:
    keys = ("rps", "p50_ms", "p99_ms", "requests", "connections", "errors", "bytes")
    return {k: s[k] for k in keys} | {"latency_us": s["latency_us"]}


PROCS = Processes()


# --- Servers --------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.procs = PROCS
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.stamp = stamp
        STATE.mkdir(parents=True, exist_ok=True)
        for old in STATE.glob("run-*"):  # keep only this run's files
            shutil.rmtree(old, ignore_errors=True)
        self.work = STATE / f"run-{stamp}"
        self.work.mkdir()
        os.chmod(self.work, 0o755)  # nginx workers (user nobody) read the HTML files here
        self.seed: dict = {}
        self.port = 0
        self.cookie = ""
        self.nginx_port = 0
        self.isso_port = 0
        self.rows: list[dict] = []
        self.anon_html = b""

    # BestHub

    def make_database(self) -> str:
        db = self.work / "besthub.db"
        url = f"sqlite://{db}"
        if self.args.demo:
            log("--demo: no generator; the server imports its demo content into an empty database")
            return url
        t0 = time.monotonic()
        self.seed = self.generate(url)
        self.seed_seconds = time.monotonic() - t0
        log(f"database generated in {self.seed_seconds:.0f} s")
        return url

    def generate(self, url: str, *extra: str) -> dict:
        """Fills the database at `url` with the generator and returns what it printed."""
        seed = self.args.seed or str(TARGET / "release/examples/bench_seed")
        if not Path(seed).exists():
            raise BenchError(f"database generator {seed} is missing (make bench builds it; "
                             "--demo runs without it)")
        log(f"generating a benchmark database with {seed} {' '.join(extra)}")
        out = run([seed, "--database-url", url, *extra], timeout=self.args.seed_timeout,
                  cwd=self.work)
        try:
            summary = json.loads(out.stdout)
        except json.JSONDecodeError as e:
            raise BenchError(f"generator printed no JSON ({e}): {out.stdout[:500]!r}")
        for key in ("article_50", "article_100k", "article_200", "reader_email", "reader_password",
                    "comments_200", "slugs", "readers"):
            if key not in summary:
                raise BenchError(f"generator output lacks {key!r}")
        return summary

    def launch(self, db_url: str, name: str, **extra_env: str) -> tuple[subprocess.Popen, int]:
        """Starts BestHub on `db_url` and a free port; returns the process and the port.
        `extra_env` adds configuration (e.g. BESTHUB_PAGE_CACHE_SECONDS="0")."""
        binary = Path(self.args.binary)
        site = Path(self.args.site_root)
        if not binary.exists():
            raise BenchError(f"{binary} is missing: run `make build` first")
        if not (site / "pkg").is_dir():
            raise BenchError(f"{site}/pkg is missing: run `make build` first")
        port = free_port()
        env = self.server_env(db_url, port, **extra_env)
        proc = self.procs.start(name, [binary, "serve"], self.work / f"{name}.log", env=env,
                                cwd=self.work)
        wait_http(port, "/healthz", proc, self.procs, timeout=120)
        log(f"{name} ready on port {port}")
        return proc, port

    def server_env(self, db_url: str, port: int, **extra_env: str) -> dict:
        """The environment the server binary runs with on `db_url` and `port`."""
        env = dict(
            os.environ,
            LEPTOS_SITE_ROOT=str(Path(self.args.site_root)),
            LEPTOS_SITE_PKG_DIR="pkg",
            LEPTOS_OUTPUT_NAME="besthub",
            LEPTOS_ENV="PROD",
            BESTHUB_LISTEN=f"127.0.0.1:{port}",
            BESTHUB_DATABASE_URL=db_url,
            BESTHUB_PUBLIC_URL=f"http://127.0.0.1:{port}",
            BESTHUB_COMMENTS_PER_MINUTE="1000000000",
            BESTHUB_SIGNUPS_PER_HOUR="1000000",
            **extra_env,
        )
        if self.args.config:
            env["BESTHUB_CONFIG"] = str(self.args.config)
        return env

    def start_besthub(self, db_url: str) -> None:
        _, self.port = self.launch(db_url, "besthub")
        if self.args.demo:
            status, _, body = request(self.port, "GET", "/")
            slugs = re.findall(rb'href="/articles/([^"/?#]+)"', body)
            if not slugs:
                raise BenchError("--demo: no article link on the home page")
            slug = slugs[0].decode()
            self.seed = {"article_50": slug, "article_200": slug, "comments_200": fake_comments(200)}

    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, path: str, method: str = "POST", port: int | None = None) -> str:
        """The server function's real URL. A `#[server]` without `endpoint = "..."` is mounted at
        its name plus a hash of the crate's folder and module (`/api/get_comments1234...`),
        so when `path` answers 404 this finds `path` + digits in the server binary and keeps
        the candidate the server answers (any status but 404) to an empty request."""
        cache = self.__dict__.setdefault("_endpoints", {})
        if path in cache:
            return cache[path]
        port = port or self.port

        def answers(p: str) -> bool:
            status, _, _ = request(port, method, p, {
                "Origin": f"http://127.0.0.1:{port}",
                "Content-Type": "application/x-www-form-urlencoded"},
                "" if method != "GET" else None)
            return status != 404

        if answers(path):
            cache[path] = path
            return path
        binary = Path(self.args.binary).read_bytes()
        candidates = []
        for m in re.finditer(re.escape(path.encode()) + rb"(\d{1,20})", binary):
            digits = m.group(1).decode()
            for k in range(len(digits), 0, -1):  # the next string may start with digits
                if path + digits[:k] not in candidates:
                    candidates.append(path + digits[:k])
        for c in candidates:
            if answers(c):
                log(f"{path} is mounted at {c}")
                cache[path] = c
                return c
        raise BenchError(f"no server function at {path} (404), nor at {len(candidates)} hashed "
                         f"variants found in {self.args.binary}; set BENCH_*_PATH in bench/run.py")

    def sign_in(self) -> None:
        if self.args.demo:
            email = f"bench-{self.stamp.lower()}@example.com"
            password = "bench-password-1234"
            body = form("name={name}&email={email}&password={password}&next=%2F",
                        name="Bench Reader", email=email, password=password)
            path = self.endpoint(SIGN_UP_PATH)
        else:
            email, password = self.seed["reader_email"], self.seed["reader_password"]
            body = form("email={email}&password={password}&next=%2F", email=email, password=password)
            path = self.endpoint(SIGN_IN_PATH)
        self.cookie = f"{SESSION_COOKIE}={session_token(self.port, path, body, email)}"
        log(f"signed in as {email}")

    def page(self, slug: str, signed_in=False) -> bytes:
        headers = {"Cookie": self.cookie} if signed_in else {}
        status, _, body = request(self.port, "GET", ARTICLE_PATH.format(slug=slug), headers)
        if status != 200:
            raise BenchError(f"GET {ARTICLE_PATH.format(slug=slug)} answered {status}")
        return body

    # nginx

    def start_nginx(self, files: dict[str, bytes],
                    headers: dict[str, list[tuple[str, str]]] | None = None) -> None:
        """nginx serving each given body from a file at the same path, uncompressed, as
        text/html or with the headers `headers` gives for its path (its Content-Type too)."""
        root = self.work / "nginx"
        (root / "html").mkdir(parents=True, exist_ok=True)
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (root / d).mkdir(exist_ok=True)
        locations = []
        for i, (path, body) in enumerate(files.items()):
            f = root / "html" / f"page{i}.html"
            f.write_bytes(body)
            os.chmod(f, 0o644)
            extra = ""
            for name, value in (headers or {}).get(path, []):
                if name.lower() == "content-type":
                    extra += f' default_type "{value}";'
                else:
                    extra += f' add_header {name} "{value}";'
            locations.append(f"    location = {path} {{ alias {f};{extra} }}")
        os.chmod(root, 0o755)
        os.chmod(root / "html", 0o755)
        self.nginx_port = free_port()
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = root / "nginx.conf"
        conf.write_text(f"""{user}worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  gzip off;
  default_type "text/html; charset=utf-8";
  types {{ }}
  client_body_temp_path {root}/client_body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  server {{
    listen 127.0.0.1:{self.nginx_port};
{chr(10).join(locations)}
  }}
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        proc = self.procs.start("nginx", [nginx, "-p", root, "-c", conf, "-g", "daemon off;"],
                                self.work / "nginx.log")
        path0, body0 = next(iter(files.items()))
        wait_http(self.nginx_port, path0, proc, self.procs, timeout=30)
        for path, body in files.items():
            status, _, served = request(self.nginx_port, "GET", path)
            if status != 200 or served != body:
                raise BenchError(f"nginx does not serve the same bytes at {path} (status {status})")
        log(f"nginx ready on port {self.nginx_port}")

    # Isso

    def start_isso(self) -> None:
        isso = Path(self.args.venv) / "bin/isso"
        if not isso.exists():
            raise BenchError(f"{isso} is missing (make bench installs Isso into {self.args.venv})")
        root = self.work / "isso"
        root.mkdir()
        self.isso_port = free_port()
        conf = root / "isso.cfg"
        conf.write_text(f"""[general]
dbpath = {root}/comments.db
host = http://127.0.0.1:{self.port or self.isso_port}/
notify = stdout
[server]
listen = http://127.0.0.1:{self.isso_port}/
[moderation]
enabled = false
[guard]
enabled = false
""")
        proc = self.procs.start("isso", [isso, "-c", conf, "run"], self.work / "isso.log")
        wait_http(self.isso_port, "/info", proc, self.procs, timeout=60)
        log(f"isso ready on port {self.isso_port}; seeding {len(self.seed['comments_200'])} comments")
        uri = ARTICLE_PATH.format(slug=self.seed["article_200"])
        ids: list[int] = []
        created: list[tuple[float, int]] = []
        for i, c in enumerate(self.seed["comments_200"]):
            text = str(c.get("text") or c.get("body") or "")
            if len(text) < 3:
                text = (text + " ...")[:3] if text else "..."
            data = {"text": text, "author": c.get("author"), "title": "Benchmark thread"}
            parent = c.get("parent")
            if isinstance(parent, int) and 0 <= parent < i:
                data["parent"] = ids[parent]
            status, _, body = request(
                self.isso_port, "POST", f"/new?uri={urllib.parse.quote(uri, safe='')}",
                {"Content-Type": "application/json"}, json.dumps(data))
            if status != 201:
                raise BenchError(f"seeding Isso: POST /new answered {status}: {body[:300]!r}")
            ids.append(json.loads(body)["id"])
            ts = to_unix_seconds(c.get("created_at"))
            if ts is not None:
                created.append((ts, ids[-1]))
        if created:  # the comments keep the generator's dates, as in BestHub
            with sqlite3.connect(root / "comments.db") as db:
                db.executemany("UPDATE comments SET created = ? WHERE id = ?", created)
        status, _, body = request(self.isso_port, "GET",
                                  f"/?uri={urllib.parse.quote(uri, safe='')}")
        count = lambda node: sum(1 + count(r) for r in node.get("replies", []))
        total = count(json.loads(body))  # Isso nests replies one level deep
        if status != 200 or total != len(self.seed["comments_200"]):
            raise BenchError(f"Isso lists {total} comments after seeding (status {status})")

    # --- Rows -----------------------------------------------------------------------------

    def add(self, key: str, name: str, figure=None, baseline=None, ratio=None, goal="",
            met=None, details=None, error=None) -> None:
        self.rows.append({
            "key": key, "row": name, "besthub": figure, "baseline": baseline,
            "ratio": ratio, "goal": goal, "met": met, "details": details or {}, "error": error,
        })

    def attempt(self, key: str, name: str, goal: str, fn) -> None:
        if self.args.only and key not in self.args.only:
            return
        log(f"row {key}: {name}")
        try:
            fn(key, name, goal)
        except BenchError as e:
            log(f"row {key} failed: {e}")
            self.add(key, name, goal=goal, error=str(e))
        except Exception as e:  # keep measuring the other rows
            log(f"row {key} failed:\n{traceback.format_exc()}")
            self.add(key, name, goal=goal, error=f"{type(e).__name__}: {e}")

    def row_pages(self, key, name, goal, signed_in: bool, target: float) -> None:
        if signed_in and not self.cookie:
            self.sign_in()
        slug = self.seed["article_50"]
        path = ARTICLE_PATH.format(slug=slug)
        html = self.page(slug, signed_in)
        if not signed_in:
            self.anon_html = html
        headers = [f"Cookie: {self.cookie}"] if signed_in else []
        nginx_path = "/signed-in" + path if signed_in else path
        bh = wrk(f"http://127.0.0.1:{self.port}{path}", connections=self.args.connections,
                 duration=self.args.duration, work=self.work, headers=headers)
        ng = wrk(f"http://127.0.0.1:{self.nginx_port}{nginx_path}",
                 connections=self.args.connections, duration=self.args.duration, work=self.work)
        ratio = bh["rps"] / ng["rps"]
        details = {"path": path, "html_bytes": len(html), "besthub": brief(bh), "nginx": brief(ng)}
        if signed_in:
            details["differs_from_anonymous_page"] = html != self.anon_html if self.anon_html else None
        self.add(key, name, throughput_figure(bh), "nginx " + throughput_figure(ng),
                 ratio, goal, ratio >= target, details)

    def row_uncached(self, key, name, goal, target: float) -> None:
        """The anonymous article page rendered on every request: a second server on the same
        database with the page cache off, against nginx serving the bytes of one render."""
        slug = self.seed["article_50"]
        path = ARTICLE_PATH.format(slug=slug)
        proc, port = self.launch(self.db_url, "besthub-uncached", BESTHUB_PAGE_CACHE_SECONDS="0")
        try:
            status, _, html = request(port, "GET", path)
            if status != 200:
                raise BenchError(f"GET {path} (page cache off) answered {status}")
            bh = wrk(f"http://127.0.0.1:{port}{path}", connections=self.args.connections,
                     duration=self.args.duration, work=self.work)
            self.procs.check(proc)
        finally:
            self.procs.stop(proc)
        ng = wrk(f"http://127.0.0.1:{self.nginx_port}{path}",
                 connections=self.args.connections, duration=self.args.duration, work=self.work)
        ratio = bh["rps"] / ng["rps"]
        self.add(key, name, throughput_figure(bh), "nginx " + throughput_figure(ng), ratio, goal,
                 ratio >= target, {"path": path, "html_bytes": len(html),
                                   "page_cache_seconds": 0, "besthub": brief(bh),
                                   "nginx": brief(ng)})

    def row_deep(self, key, name, goal) -> None:
        if self.args.demo:
            raise BenchError("needs the generated database (not --demo)")
        runs = {}
        for which in ("article_100k", "article_50"):
            slug = self.seed[which]
            self.page(slug)  # also checks for 200
            runs[which] = wrk(f"http://127.0.0.1:{self.port}{ARTICLE_PATH.format(slug=slug)}",
                              connections=1, threads=1, duration=self.args.duration, work=self.work)
        big, small = runs["article_100k"], runs["article_50"]
        ratio = big["p50_ms"] / small["p50_ms"]
        fig = lambda s: f"{s['p50_ms']:.2f} ms p50 (p99 {s['p99_ms']:.2f} ms)"
        self.add(key, name, fig(big), "50 comments " + fig(small), ratio, goal, ratio <= 1.2,
                 {"measure": "one connection, one request at a time", "100k": brief(big),
                  "50": brief(small)})

    # --- Search and feeds (issue 15) --------------------------------------------------------

    def search_database(self) -> tuple[str, list[str]]:
        """A copy of the benchmark database with the demo articles imported too (the generated
        articles are English only; the demo has the Chinese ones): the search row's own, so
        the other rows keep measuring the database they always did. Returns its URL and the
        folded text of every published article (title, summary, tags, author, body)."""
        src = Path(self.db_url.removeprefix("sqlite://"))
        dst = self.work / "search.db"
        for old in (dst, Path(f"{dst}-wal"), Path(f"{dst}-shm")):
            old.unlink(missing_ok=True)
        # SQLite's online backup: a consistent copy while the main server keeps it open.
        source, copy = sqlite3.connect(src), sqlite3.connect(dst)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        url = f"sqlite://{dst}"
        if not self.args.demo:
            out = run([self.args.binary, "import", REPO / "demo"], timeout=120,
                      env=self.server_env(url, free_port()), cwd=self.work)
            log(f"demo articles imported into the search database: "
                f"{out.stdout.decode(errors='replace').strip().splitlines()[-1:]}")
        db = sqlite3.connect(dst)
        try:
            texts = [" ".join(row).lower() for row in db.execute(
                "SELECT a.title, a.summary, a.body_markdown, au.name, "
                "COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at "
                "JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '') "
                "FROM articles a JOIN authors au ON au.id = a.author_id "
                "WHERE a.removed_at IS NULL")]
        finally:
            db.close()
        return url, texts

    def row_search(self, key, name, goal) -> None:
        """SEARCH_QUERIES in turn on a server of its own with the page cache off: first each
        query SEARCH_ROUNDS times from here (status, articles listed, time per query), then
        wrk on one connection (the goal), then wrk at the usual connections (information)."""
        url, texts = self.search_database()
        paths = [SEARCH_PATH.replace("{q}", urllib.parse.quote_plus(q)) for q, _ in SEARCH_QUERIES]
        paths_file = self.work / "search.paths"
        paths_file.write_text("\n".join(paths) + "\n")
        proc, port = self.launch(url, "besthub-search", BESTHUB_PAGE_CACHE_SECONDS="0")
        try:
            queries = self.search_queries(port, paths, texts)
            one = wrk(f"http://127.0.0.1:{port}{paths[0]}", connections=1, threads=1,
                      duration=self.args.duration, work=self.work, paths=paths_file)
            many = wrk(f"http://127.0.0.1:{port}{paths[0]}", connections=self.args.connections,
                       duration=self.args.duration, work=self.work, paths=paths_file)
            self.procs.check(proc)
        finally:
            self.procs.stop(proc)
            for f in ("search.db", "search.db-wal", "search.db-shm"):
                (self.work / f).unlink(missing_ok=True)
        finding = sum(1 for q in queries if q["listed"])
        missing = [q["q"] for q in queries if q["expected"] and not q["listed"]]
        unexpected = [q["q"] for q in queries if q["listed"] and not q["expected"]]
        slowest = sorted(queries, key=lambda q: q["median_ms"], reverse=True)
        p50, p99 = one["p50_ms"], one["p99_ms"]
        figure = (f"p99 {p99:.1f} ms, p50 {p50:.1f} ms over {one['requests']:,} searches; "
                  f"{finding} of {len(queries)} queries list articles; slowest "
                  f"{slowest[0]['q']!r} {slowest[0]['median_ms']:.1f} ms")
        if missing:
            figure += f"; NOT FOUND though in the text: {', '.join(missing)}"
        if unexpected:
            figure += f"; listed though not in the text: {', '.join(unexpected)}"
        details = {"path": SEARCH_PATH, "page_cache_seconds": 0, "demo_imported": not self.args.demo,
                   "articles": len(texts), "one_connection": brief(one),
                   "slowest": [{k: q[k] for k in ("q", "median_ms", "max_ms")}
                               for q in slowest[:5]],
                   "expected_but_not_listed": missing, "listed_but_not_expected": unexpected,
                   "queries": queries}
        self.add(key, name, figure, f"budget {SEARCH_P99_MS} ms", p99 / SEARCH_P99_MS, goal,
                 p99 <= SEARCH_P99_MS, details)
        self.add(f"{key}_load", f"  the same at {many['connections']} connections",
                 throughput_figure(many), goal="(information)",
                 details={"wrk": brief(many)})

    def search_queries(self, port: int, paths: list[str], texts: list[str]) -> list[dict]:
        """Each query SEARCH_ROUNDS times in turn on one kept-alive connection: its status
        (200 or the row fails), the articles its page lists, the articles whose text holds
        every one of its words (what it should find), and its median and slowest time."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        article = re.compile(rb'href="/articles/([^"/?#]+)"')

        def get(path: str) -> tuple[float, bytes]:
            t0 = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if resp.status != 200:
                raise BenchError(f"GET {urllib.parse.unquote_plus(path)} answered {resp.status}: "
                                 f"{body[:200]!r}")
            return elapsed, body

        try:
            # The links every search page has whatever it finds (a query that finds nothing).
            nothing = SEARCH_PATH.replace("{q}", "zq" * 20 + "x")
            chrome = set(article.findall(get(nothing)[1]))
            listed = {p: set(article.findall(get(p)[1])) - chrome for p in paths}
            quiesce()
            times: dict[str, list[float]] = {p: [] for p in paths}
            for _ in range(SEARCH_ROUNDS):
                for p in paths:
                    times[p].append(get(p)[0])
        finally:
            conn.close()
        out = []
        for (q, kind), p in zip(SEARCH_QUERIES, paths):
            words = q.lower().split()
            expected = sum(1 for t in texts if all(w in t for w in words))
            out.append({"q": q, "kind": kind, "expected": expected, "listed": len(listed[p]),
                        "median_ms": round(statistics.median(times[p]), 2),
                        "max_ms": round(max(times[p]), 2)})
        return out

    def feed_bytes(self, path: str) -> tuple[bytes, list[tuple[str, str]]]:
        """The app's answer at `path` and the headers nginx is to send with it: the app's own,
        but those every server sets itself (date, length, connection) or nginx cannot hold."""
        status, headers, body = request(self.port, "GET", path)
        if status != 200:
            raise BenchError(f"GET {path} answered {status}: {body[:200]!r}")
        own = {"date", "content-length", "connection", "keep-alive", "transfer-encoding",
               "server"}
        copied = [(k, v) for k, v in headers if k.lower() not in own
                  and not any(c in v for c in '"\\$\r\n')]
        return body, copied

    def row_feeds(self, key, name, goal, served: dict[str, tuple[bytes, list]]) -> None:
        """The site's Atom feed and sitemap from the app, against nginx serving the bytes
        captured before the rows: as kept in the page cache (until a write changes them), then
        made on every request by a second server on the same database with the cache off."""
        nginx = {}
        for path in FEED_PATHS:
            nginx[path] = wrk(f"http://127.0.0.1:{self.nginx_port}{path}",
                              connections=self.args.connections, duration=self.args.duration,
                              work=self.work)
        proc, uncached_port = self.launch(self.db_url, "besthub-feeds-uncached",
                                          BESTHUB_PAGE_CACHE_SECONDS="0")
        try:
            for cache, port in (("kept", self.port), ("uncached", uncached_port)):
                for path in FEED_PATHS:
                    body, headers = served[path]
                    status, _, now = request(port, "GET", path)
                    if status != 200:
                        raise BenchError(f"GET {path} ({cache}) answered {status}")
                    bh = wrk(f"http://127.0.0.1:{port}{path}", connections=self.args.connections,
                             duration=self.args.duration, work=self.work)
                    ng = nginx[path]
                    what = "feed" if path == FEED_PATHS[0] else "sitemap"
                    row_key = {("kept", "feed"): key, ("kept", "sitemap"): f"{key}_sitemap",
                               ("uncached", "feed"): f"{key}_uncached",
                               ("uncached", "sitemap"): f"{key}_sitemap_uncached"}[cache, what]
                    row_name = name if row_key == key else (
                        f"  {path} ({kb(len(body))})"
                        + (", page cache off" if cache == "uncached" else ", same measure"))
                    self.add(row_key, row_name, throughput_figure(bh),
                             "nginx " + throughput_figure(ng), bh["rps"] / ng["rps"], goal, None,
                             {"path": path, "bytes": len(body), "headers": headers,
                              "page_cache": cache, "app_answer_unchanged": now == body,
                              "besthub": brief(bh), "nginx": brief(ng)})
            self.procs.check(proc)
        finally:
            self.procs.stop(proc)

    def row_isso(self, key, name, goal, posting: bool, target: float) -> None:
        if not self.isso_port:
            self.start_isso()
        slug = self.seed["article_200"]
        uri = urllib.parse.quote(ARTICLE_PATH.format(slug=slug), safe="")
        isso_base = f"http://127.0.0.1:{self.isso_port}"
        form_type = "Content-Type: application/x-www-form-urlencoded"
        if posting:
            if not self.cookie:
                self.sign_in()
            body = POST_FORM.replace("{slug}", urllib.parse.quote_plus(slug))
            bh_req = dict(method="POST", body=body,
                          headers=[form_type, f"Cookie: {self.cookie}", f"Origin: {self.origin()}"])
            bh_url = self.origin() + self.endpoint(POST_PATH)
            isso_url = f"{isso_base}/new?uri={uri}"
            isso_req = dict(method="POST", headers=["Content-Type: application/json"],
                            body='{"text":"Benchmark comment {n} posted by wrk.","author":"Bench"}')
        else:
            body = form(LIST_FORM, slug=slug)
            list_path = self.endpoint(LIST_PATH, LIST_METHOD)
            if LIST_METHOD == "GET":
                bh_url, bh_req = f"{self.origin()}{list_path}?{body}", dict(method="GET")
            else:
                bh_url = self.origin() + list_path
                bh_req = dict(method=LIST_METHOD, body=body,
                              headers=[form_type, f"Origin: {self.origin()}"])
            isso_url, isso_req = f"{isso_base}/?uri={uri}", dict(method="GET")
        # One request each first, to fail clearly and to record what one answer weighs.
        probe = {}
        for who, url, req in (("besthub", bh_url, bh_req), ("isso", isso_url, isso_req)):
            parts = urllib.parse.urlsplit(url)
            hdrs = dict(h.split(": ", 1) for h in req.get("headers", []))
            b = req.get("body")
            if b is not None:
                b = b.replace("{n}", "probe")
            status, _, answer = request(parts.port, req["method"],
                                        parts.path + (f"?{parts.query}" if parts.query else ""),
                                        hdrs, b)
            if status >= 400:
                raise BenchError(f"{who}: {req['method']} {url} answered {status}: {answer[:300]!r}")
            probe[who] = {"status": status, "bytes": len(answer)}
        bh = wrk(bh_url, connections=self.args.connections, duration=self.args.duration,
                 work=self.work, **bh_req)
        # Isso serves one request at a time under Python's GIL (~0.1 s each for a listing), so
        # at 64 connections its answers take seconds and a 10 s run counts few of them: it is
        # also measured at ISSO_FEW_CONNECTIONS, and its better throughput is the baseline.
        tries = []
        for conns in sorted({self.args.connections, ISSO_FEW_CONNECTIONS}, reverse=True):
            tries.append(wrk(isso_url, connections=conns, duration=self.args.duration,
                             work=self.work, **isso_req))
        iss = max(tries, key=lambda t: t["rps"])
        ratio = bh["rps"] / iss["rps"]
        self.add(key, name, throughput_figure(bh),
                 f"Isso {throughput_figure(iss)} at {iss['connections']} conn.", ratio, goal,
                 ratio >= target,
                 {"besthub": brief(bh) | {"url": bh_url, "one_answer": probe["besthub"]},
                  "isso": brief(iss) | {"url": isso_url, "one_answer": probe["isso"]},
                  "isso_runs": [brief(t) for t in tries]})

    def soak_database(self, backend: str) -> tuple[str, list[str]]:
        """A fresh database for a soak row: its URL, and the psql command that drops it."""
        if backend == "sqlite":
            return f"sqlite://{self.work}/soak.db", []
        name = f"besthub_soak_{self.stamp.lower()}"
        admin = SOAK_PG_URL
        psql = ["psql", admin, "-v", "ON_ERROR_STOP=1", "-qc"]
        run(psql + [f'DROP DATABASE IF EXISTS "{name}"'], timeout=60)
        run(psql + [f'CREATE DATABASE "{name}"'], timeout=60)
        url = urllib.parse.urlsplit(admin)._replace(path=f"/{name}", query="").geturl()
        return url, psql + [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']

    def soak_mix(self, port: int, seed: dict, cookies: list[str]) -> Path:
        """The soak's request shapes for bench/wrk.lua, weighted by SOAK_MIX."""
        origin = f"http://127.0.0.1:{port}"
        session = f"header Cookie: {SESSION_COOKIE}={{session}}"
        write = ["header Content-Type: application/x-www-form-urlencoded",
                 "header Accept: application/json", f"header Origin: {origin}", session]
        anon, signed, writes = (SOAK_MIX[k] for k in ("anonymous", "signed_in", "writes"))
        lines = [
            "list article " + " ".join(urllib.parse.quote(s) for s in seed["slugs"]),
            "list session " + " ".join(cookies),
            "list liked true false",
            "list stars 1 2 3 4 5",
            f"request {anon * 0.8} GET {ARTICLE_PATH.format(slug='{article}')}",
            f"request {anon * 0.1} GET /",
            f"request {anon * 0.1} GET {self.endpoint(LIST_PATH, 'GET', port)}?"
            + LIST_FORM.format(slug="{article}"),
            f"request {signed * 0.8} GET {ARTICLE_PATH.format(slug='{article}')}",
            session,
            f"request {signed * 0.2} GET /",
            session,
            f"request {writes * 0.4} POST {self.endpoint(LIKE_PATH, port=port)}",
            *write,
            "body slug={article}&liked={liked}",
            f"request {writes * 0.3} POST {self.endpoint(RATE_PATH, port=port)}",
            *write,
            "body slug={article}&stars={stars}",
            f"request {writes * 0.3} POST {self.endpoint(POST_PATH, port=port)}",
            *write,
            "body " + POST_FORM.replace("{slug}", "{article}").replace("wrk", "the+soak"),
        ]
        mix = self.work / f"soak-{port}.mix"
        mix.write_text("\n".join(lines) + "\n")
        return mix

    def row_soak(self, key, name, goal, backend: str) -> None:
        """SOAK_CONNECTIONS connections of mixed traffic for SOAK_DURATION_S on a server of
        its own: errors, throughput, p99, and the server's memory before, during and after."""
        if self.args.demo:
            raise BenchError("needs the generated database (not --demo)")
        db_url, drop = self.soak_database(backend)
        proc = None
        try:
            t0 = time.monotonic()
            seed = self.generate(db_url, "--comments-100k", str(SOAK_BIG_THREAD))
            seeded_s = time.monotonic() - t0
            proc, port = self.launch(db_url, f"besthub-{key}")
            sign_in = self.endpoint(SIGN_IN_PATH, port=port)
            readers = min(SOAK_READERS, int(seed["readers"]))
            cookies = []
            for i in range(readers):
                email = seed["reader_email_pattern"].replace("{i}", str(i))
                body = form("email={email}&password={password}&next=%2F", email=email,
                            password=seed["reader_password"])
                cookies.append(session_token(port, sign_in, body, email))
            log(f"{key}: {readers} readers signed in")
            mix = self.soak_mix(port, seed, cookies)
            quiesce()
            before = rss_mib(proc.pid)
            samples: list[float] = []
            done = threading.Event()

            def sample() -> None:
                while not done.wait(1.0):
                    try:
                        samples.append(rss_mib(proc.pid))
                    except (OSError, BenchError):
                        return

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                s = wrk(f"http://127.0.0.1:{port}/", connections=self.args.soak_connections,
                        duration=self.args.soak_duration, work=self.work, mix=mix, warmup=0)
            finally:
                done.set()
                sampler.join()
            self.procs.check(proc)
            quiesce()
            after = rss_mib(proc.pid)
        finally:
            if proc is not None:
                self.procs.stop(proc)
            if drop:
                run(drop, timeout=60, check=False)
        failed = sum(s["errors"].values())
        peak = max(samples + [before, after])
        growth = after - before
        figure = (f"{s['rps']:,.0f} req/s, p99 {s['p99_ms']:.1f} ms, {failed} errors; "
                  f"RSS {before:.0f} -> {after:.0f} MB (peak {peak:.0f})")
        mix_text = "/".join(str(v) for v in SOAK_MIX.values())
        self.add(key, name, figure, f"mix {mix_text} % anon./signed-in/writes", None, goal,
                 failed == 0 and growth <= PAGE_CACHE_BOUND_MIB,
                 {"backend": backend, "wrk": brief(s), "rss_mib": {
                     "before": round(before, 1), "after": round(after, 1), "peak": round(peak, 1),
                     "every_second": [round(x, 1) for x in samples]},
                  "signed_in_readers": readers, "mix_percent": SOAK_MIX,
                  "database": {"big_thread_comments": SOAK_BIG_THREAD,
                               "articles": len(seed["slugs"]), "generated_s": round(seeded_s, 1)}})

    # --- Live site (issue 11) ---------------------------------------------------------------

    def need_generated(self) -> None:
        if self.args.demo:
            raise BenchError("needs the generated database (not --demo)")

    def live_slug(self, which: str) -> str:
        """A generated article the live rows use (LIVE_ARTICLES), one without comments."""
        self.need_generated()
        slug = LIVE_ARTICLES[which]
        if slug not in self.seed["slugs"]:
            raise BenchError(f"the generated database has no article {slug!r}")
        return slug

    def quiet_page(self) -> dict:
        """The anonymous 50-comment article page with nothing else running: the baseline of
        the rows measured under a load (measured once a run, when the first of them needs it)."""
        if "quiet" not in self.__dict__:
            path = ARTICLE_PATH.format(slug=self.seed["article_50"])
            self.page(self.seed["article_50"])
            self.quiet = wrk(f"{self.origin()}{path}", connections=self.args.connections,
                             duration=self.args.duration, work=self.work)
        return self.quiet

    def page_under(self, load_name: str, load_url: str, **load) -> tuple[dict, dict]:
        """The anonymous 50-comment article page measured like quiet_page() while a background
        wrk sends `load` (Load's arguments); returns both summaries."""
        path = ARTICLE_PATH.format(slug=self.seed["article_50"])
        quiesce()
        bg = Load(load_name, load_url, work=self.work, **load)
        try:
            time.sleep(0.5)
            self.procs.check(bg.proc)
            page = wrk(f"{self.origin()}{path}", connections=self.args.connections,
                       duration=self.args.duration, work=self.work, settle=False)
        finally:
            sent = bg.stop()
        return page, sent

    def junk_mix(self) -> tuple[Path, dict]:
        """The junk POSTs for bench/wrk.lua (one shape drawn at random per request) and the
        status each shape answers to one probe first (none may succeed)."""
        form_type = "Content-Type: application/x-www-form-urlencoded"
        like = self.endpoint(LIKE_PATH)
        sign_in = self.endpoint(SIGN_IN_PATH)
        if self.args.demo:
            victim = "nobody@bench.example"
        else:  # a generated reader no other row signs in as (this one gets locked out)
            victim = self.seed["reader_email_pattern"].replace(
                "{i}", str(int(self.seed["readers"]) - 1))
        slug = urllib.parse.quote_plus(self.seed["article_50"])
        shapes = {
            "unknown_path": ("/api/no_such_function_{n}", [form_type, f"Origin: {self.origin()}"],
                             "slug=x"),
            "cross_site": (like, [form_type, "Origin: http://evil.example",
                                  "Sec-Fetch-Site: cross-site", f"Cookie: {self.cookie}"],
                           f"slug={slug}&liked=true"),
            "wrong_password": (sign_in, [form_type, f"Origin: {self.origin()}"],
                               form("email={email}&password={password}&next=%2F", email=victim,
                                    password="not-the-password-N").replace("N&", "{n}&")),
        }
        lines, probes = [], {}
        for what, (path, headers, body) in shapes.items():
            status, _, answer = request(self.port, "POST", path.replace("{n}", "probe"),
                                        dict(h.split(": ", 1) for h in headers),
                                        body.replace("{n}", "probe"))
            if status < 400:
                raise BenchError(f"junk POST {what} to {path} answered {status}: {answer[:200]!r}")
            probes[what] = {"path": path, "status": status}
            lines += [f"request 1 POST {path}", *(f"header {h}" for h in headers), f"body {body}"]
        mix = self.work / "junk.mix"
        mix.write_text("\n".join(lines) + "\n")
        return mix, probes

    def row_junk(self, key, name, goal, target: float) -> None:
        """The anonymous page while junk POSTs arrive, paced (the goal: none of them may drop
        cached pages), then as fast as they are answered (information: the cores shared)."""
        if not self.cookie:
            self.sign_in()
        quiet = self.quiet_page()
        mix, probes = self.junk_mix()
        path = ARTICLE_PATH.format(slug=self.seed["article_50"])
        for row_key, row_name, delay in ((key, name, LOAD_DELAY_MS),
                                         (f"{key}_full", JUNK_FULL_ROW, 0)):
            page, junk = self.page_under(f"junk-load-{delay}ms", f"{self.origin()}/", mix=mix,
                                         connections=JUNK_CONNECTIONS, delay_ms=delay)
            ratio = page["rps"] / quiet["rps"]
            paced = row_key == key
            self.add(row_key, row_name,
                     f"{throughput_figure(page)}, {junk['rps']:,.0f} junk POSTs/s",
                     "quiet " + throughput_figure(quiet), ratio,
                     goal if paced else "(information)", ratio >= target if paced else None,
                     {"path": path, "quiet": brief(quiet), "under_junk": brief(page),
                      "junk": {"connections": JUNK_CONNECTIONS, "delay_ms": delay,
                               "rps": round(junk["rps"], 1), "requests": junk["requests"],
                               "errors": junk["errors"], "one_of_each": probes}})

    def row_comments(self, key, name, goal, target: float) -> None:
        """The anonymous page while comments are posted, paced, on another article (the goal),
        on the same article, and on another article as fast as they are answered (both for
        information)."""
        if not self.cookie:
            self.sign_in()
        quiet = self.quiet_page()
        post = self.endpoint(POST_PATH)
        headers = ["Content-Type: application/x-www-form-urlencoded", f"Cookie: {self.cookie}",
                   f"Origin: {self.origin()}"]
        other, same = self.live_slug("other"), self.seed["article_50"]
        # The same article last: its comments change the page measured.
        for row_key, row_name, slug, delay in (
                (key, name, other, LOAD_DELAY_MS),
                (f"{key}_full", COMMENTS_FULL_ROW, other, 0),
                (f"{key}_same", COMMENTS_SAME_ROW, same, LOAD_DELAY_MS)):
            body = POST_FORM.replace("{slug}", urllib.parse.quote_plus(slug)).replace(
                "wrk", "the+live+bench")
            status, _, answer = request(self.port, "POST", post,
                                        dict(h.split(": ", 1) for h in headers),
                                        body.replace("{n}", "probe"))
            if status >= 400:
                raise BenchError(f"POST {post} on {slug} answered {status}: {answer[:200]!r}")
            page, posts = self.page_under(f"comments-{row_key}", f"{self.origin()}{post}",
                                          method="POST", body=body, headers=headers,
                                          connections=COMMENT_CONNECTIONS, delay_ms=delay)
            failed = sum(posts["errors"].values())
            if failed > posts["requests"] * 0.01:
                raise BenchError(f"{failed} of {posts['requests']} comment posts on {slug} failed: "
                                 f"{posts['errors']}")
            ratio = page["rps"] / quiet["rps"]
            counted = row_key == key
            self.add(row_key, row_name,
                     f"{throughput_figure(page)}, {posts['rps']:,.0f} comments/s",
                     "quiet " + throughput_figure(quiet), ratio,
                     goal if counted else "(information)", ratio >= target if counted else None,
                     {"path": ARTICLE_PATH.format(slug=same), "comments_on": slug,
                      "quiet": brief(quiet), "while_posting": brief(page),
                      "posts": {"connections": COMMENT_CONNECTIONS, "delay_ms": delay,
                                "rps": round(posts["rps"], 1), "requests": posts["requests"],
                                "errors": posts["errors"]}})

    def small_page(self) -> bytes:
        """The small article page: an article of the generated database with SMALL_COMMENTS
        comments posted by the signed-in reader (before nginx serves its bytes)."""
        slug = self.live_slug("small")
        if not self.cookie:
            self.sign_in()
        post = self.endpoint(POST_PATH)
        for i in range(SMALL_COMMENTS):
            status, _, answer = request(self.port, "POST", post, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie,
                "Origin": self.origin()},
                form("slug={slug}&body={body}", slug=slug,
                     body=f"A short remark number {i + 1} on this article."))
            if status >= 400:
                raise BenchError(f"POST {post} on {slug} answered {status}: {answer[:200]!r}")
        return self.page(slug)

    def row_small(self, key, name, goal, target: float) -> None:
        slug = self.live_slug("small")
        path = ARTICLE_PATH.format(slug=slug)
        html = self.page(slug)
        bh = wrk(f"{self.origin()}{path}", connections=self.args.connections,
                 duration=self.args.duration, work=self.work)
        ng = wrk(f"http://127.0.0.1:{self.nginx_port}{path}",
                 connections=self.args.connections, duration=self.args.duration, work=self.work)
        ratio = bh["rps"] / ng["rps"]
        self.add(key, name, throughput_figure(bh), "nginx " + throughput_figure(ng), ratio, goal,
                 ratio >= target, {"path": path, "html_bytes": len(html),
                                   "comments": SMALL_COMMENTS, "besthub": brief(bh),
                                   "nginx": brief(ng)})

    def row_fanout(self, key, name, goal) -> None:
        """FANOUT_STREAMS event streams on one article of a server of its own (on the
        benchmark database), one comment posted: benches/fanout.rs measures the rest."""
        fanout = Path(self.args.fanout)
        if not fanout.exists():
            raise BenchError(f"{fanout} is missing (make bench builds it: make bench-fanout)")
        slug = self.live_slug("fanout")
        if not self.cookie:
            self.sign_in()
        post = self.endpoint(POST_PATH)
        raise_nofile()  # the server and the client each hold a socket per stream
        limit = max(10_000, 2 * self.args.fanout_streams)
        proc, port = self.launch(self.db_url, "besthub-fanout",
                                 BESTHUB_LIVE_STREAMS_PER_CLIENT=str(limit),
                                 BESTHUB_LIVE_STREAMS_TOTAL=str(2 * limit))
        try:
            probe_stream(port, slug)
            quiesce()
            out = run([fanout, "--addr", f"127.0.0.1:{port}", "--slug", slug,
                       "--cookie", self.cookie, "--post-path", post,
                       "--streams", self.args.fanout_streams, "--rss-pid", proc.pid,
                       "--timeout-secs", 30], timeout=240)
            self.procs.check(proc)
        finally:
            self.procs.stop(proc)
        try:
            result = json.loads(out.stdout)
        except json.JSONDecodeError as e:
            raise BenchError(f"fanout printed no JSON ({e}): {out.stdout[:300]!r} "
                             f"{out.stderr[-500:]!r}")
        streams = result["streams"]
        if result["post"]["status"] is None or result["post"]["status"] >= 400:
            raise BenchError(f"fanout's comment was refused: {result['post']}")
        if not result["opened"]:
            raise BenchError(f"no stream opened: {result['open_failed']}")
        p50, p99, kb_each = result["p50_ms"], result["p99_ms"], result["kb_per_stream"]
        got = result["received"]
        figure = (f"p99 {p99 if p99 is not None else '-'} ms, p50 "
                  f"{p50 if p50 is not None else '-'} ms; {got:,} of {streams:,} streams got it; "
                  + (f"{kb_each:.1f} KB per stream" if kb_each is not None else "RSS unknown"))
        met = (result["opened"] == streams and got == streams and p99 is not None
               and p99 <= FANOUT_P99_MS and kb_each is not None and kb_each <= FANOUT_KB)
        self.add(key, name, figure, f"budget {FANOUT_P99_MS} ms, {FANOUT_KB} KB", None, goal,
                 met, {"slug": slug, "fanout": result})

    def row_fresh(self, key, name, goal) -> None:
        """Two replicas on one fresh PostgreSQL schema: a comment posted on A, B's anonymous
        article page polled until it shows it; FRESH_POSTS times."""
        schema = f"besthub_bench_fresh_{self.stamp.lower()}"
        psql = ["psql", SOAK_PG_URL, "-X", "-v", "ON_ERROR_STOP=1", "-qc"]
        run(psql + [f"CREATE SCHEMA {schema}"], timeout=60)
        sep = "&" if "?" in SOAK_PG_URL else "?"
        url = f"{SOAK_PG_URL}{sep}options=-c%20search_path%3D{schema}"
        procs = []
        try:
            # A first: it migrates the empty schema and imports the demo articles alone.
            a, port_a = self.launch(url, "besthub-fresh-a")
            procs.append(a)
            b, port_b = self.launch(url, "besthub-fresh-b")
            procs.append(b)
            origin = f"http://127.0.0.1:{port_a}"
            email = f"fresh-{self.stamp.lower()}@bench.example"
            cookie = SESSION_COOKIE + "=" + session_token(
                port_a, self.endpoint(SIGN_UP_PATH, port=port_a),
                form("name={name}&email={email}&password={password}&next=%2F",
                     name="Freshness Reader", email=email, password="bench-password-1234"),
                email)
            _, _, home = request(port_b, "GET", "/")
            slugs = re.findall(rb'href="/articles/([^"/?#]+)"', home)
            if not slugs:
                raise BenchError("no article link on replica B's home page")
            slug = slugs[0].decode()
            post = self.endpoint(POST_PATH, port=port_a)
            page = ARTICLE_PATH.format(slug=slug) + "?sort=newest"
            poll = http.client.HTTPConnection("127.0.0.1", port_b, timeout=10)
            delays, polls, missed, post_ms = [], [], [], []
            tag = self.stamp.lower()
            for i in range(self.args.fresh_posts):
                marker = f"Freshness probe {tag} number {i}"
                self.get_page(poll, page)  # B has the page cached before the post
                t0 = time.monotonic()
                status, _, answer = request(port_a, "POST", post, {
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                    "Origin": origin}, form("slug={slug}&body={body}", slug=slug, body=marker))
                post_ms.append((time.monotonic() - t0) * 1000)
                if status >= 400:
                    raise BenchError(f"POST {post} on replica A answered {status}: "
                                     f"{answer[:200]!r}")
                n = 0
                while True:
                    n += 1
                    if marker.encode() in self.get_page(poll, page):
                        delays.append((time.monotonic() - t0) * 1000)
                        polls.append(n)
                        break
                    if time.monotonic() - t0 > FRESH_TIMEOUT_S:
                        missed.append(i)
                        break
                if len(missed) >= FRESH_MAX_MISSED:
                    break
            poll.close()
            for p in procs:
                self.procs.check(p)
        finally:
            for p in procs:
                self.procs.stop(p)
            run(psql + [f"DROP SCHEMA IF EXISTS {schema} CASCADE"], timeout=60, check=False)
        tried = len(delays) + len(missed)
        ordered = sorted(delays)
        pct = lambda p: ordered[max(0, -(-len(ordered) * p // 100) - 1)] if ordered else None
        ms = lambda v: round(v, 2) if v is not None else None
        details = {"slug": slug, "page": page, "posts": tried, "seen": len(delays),
                   "missed": len(missed), "timeout_s": FRESH_TIMEOUT_S,
                   "p50_ms": ms(pct(50)), "p99_ms": ms(pct(99)),
                   "max_ms": ms(max(delays, default=None)),
                   "post_p50_ms": ms(statistics.median(post_ms) if post_ms else None),
                   "polls_median": statistics.median(polls) if polls else None,
                   "database": "PostgreSQL, a fresh schema on BENCH_PG_URL"}
        if missed:
            figure = (f"{len(missed)} of {tried} posts not on B within {FRESH_TIMEOUT_S:.0f} s "
                      f"(p50 of the others {pct(50) or 0:.0f} ms)")
            self.add(key, name, figure, "budget 100 ms", None, goal, False, details)
            return
        self.add(key, name, f"p99 {pct(99):.1f} ms, p50 {pct(50):.1f} ms over {tried} posts",
                 f"budget {FRESH_P99_MS} ms", pct(99) / FRESH_P99_MS, goal,
                 pct(99) <= FRESH_P99_MS, details)

    @staticmethod
    def get_page(conn: http.client.HTTPConnection, path: str) -> bytes:
        """GET on a kept-alive connection (reconnecting once if the server closed it)."""
        for attempt in (1, 2):
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise BenchError(f"GET {path} on replica B answered {resp.status}")
                return body
            except (http.client.HTTPException, OSError):
                conn.close()
                if attempt == 2:
                    raise
        return b""

    def row_bytes(self, key, name, goal, resources: list[dict] | None) -> None:
        slug = self.seed["article_50"]
        path = ARTICLE_PATH.format(slug=slug)
        urls = [path]
        source = "HTML"
        if resources:
            source = "browser"
            for r in resources:
                u = urllib.parse.urlsplit(r["url"])
                if u.port == self.port and u.path not in urls:
                    urls.append(u.path + (f"?{u.query}" if u.query else ""))
        else:  # no browser run: the assets the HTML names
            html = self.page(slug).decode(errors="replace")
            for m in re.finditer(r'(?:href|src)="(/[^"]+\.(?:css|js|wasm)(?:\?[^"]*)?)"', html):
                if m.group(1) not in urls:
                    urls.append(m.group(1))
            for m in re.finditer(r"['\"](/[^'\"]+\.(?:js|wasm))['\"]", html):
                if m.group(1) not in urls:
                    urls.append(m.group(1))
        kinds: dict[str, dict] = {}
        files = []
        skipped: list[dict] = []
        for u in urls:
            s_raw, h_raw, raw = request(self.port, "GET", u)
            s_enc, h_enc, enc = request(self.port, "GET", u, {"Accept-Encoding": ACCEPT_ENCODING})
            if s_raw != 200 or s_enc != 200:
                if u == path:
                    raise BenchError(f"GET {u} answered {s_raw}/{s_enc}")
                skipped.append({"url": u, "status": s_raw})  # e.g. a missing favicon
                continue
            ctype = (header(h_raw, "content-type") or "").split(";")[0]
            kind = kind_of(u, ctype)
            encoding = header(h_enc, "content-encoding") or "identity"
            files.append({"url": u, "kind": kind, "content_type": ctype, "raw": len(raw),
                          "compressed": len(enc), "encoding": encoding})
            k = kinds.setdefault(kind, {"raw": 0, "compressed": 0, "files": 0})
            k["raw"] += len(raw)
            k["compressed"] += len(enc)
            k["files"] += 1
        code = [kinds.get(k, {"raw": 0, "compressed": 0}) for k in ("js", "wasm")]
        compressed = sum(c["compressed"] for c in code)
        raw = sum(c["raw"] for c in code)
        limit = 150 * 1024
        details = {"counted_from": source, "by_kind": kinds, "files": files, "not_200": skipped,
                   "accept_encoding": ACCEPT_ENCODING, "kb": 1024}
        if not any(k in kinds for k in ("js", "wasm")):
            raise BenchError(f"no JS or WASM found for {path}: {files}")
        self.add(key, name, f"{kb(compressed)} compressed ({kb(raw)} raw)", "budget 150 KB",
                 compressed / limit, goal, compressed <= limit, details)
        for kind in ("html", "css", "js", "wasm", "other"):
            if kind in kinds:
                k = kinds[kind]
                self.add(f"{key}_{kind}", f"  {kind.upper() if kind != 'other' else 'other'} "
                         f"({k['files']} file{'s' if k['files'] != 1 else ''})",
                         f"{kb(k['compressed'])} compressed ({kb(k['raw'])} raw)",
                         goal="(information)")

    def hydration(self) -> dict:
        url = f"{self.origin()}{ARTICLE_PATH.format(slug=self.seed['article_50'])}"
        out = self.work / "hydration.json"
        env = dict(os.environ, CHROME_PATH=CHROMIUM, BENCH_CHROME_MARKER=CHROME_MARKER)
        run(["node", BENCH / "hydration.mjs", url, self.args.hydration_runs, out],
            timeout=60 + 15 * self.args.hydration_runs, env=env, cwd=BENCH)
        return json.loads(out.read_text())

    def row_hydration(self, key, name, goal, result: dict) -> None:
        cold = [r["hydrated_ms"] for r in result["cold"]]
        warm = [r["hydrated_ms"] for r in result["warm"]]
        median = statistics.median(cold)
        details = {
            "runs": len(cold), "cold_ms": cold, "warm_ms": warm,
            "warm_median_ms": statistics.median(warm),
            "response_end_median_ms": statistics.median(r["response_end_ms"] for r in result["cold"]),
            "dom_content_loaded_median_ms": statistics.median(
                r["dom_content_loaded_ms"] for r in result["cold"]),
            "page_errors": result["errors"][:10],
        }
        self.add(key, name, f"{median:.0f} ms (warm cache {details['warm_median_ms']:.0f} ms)",
                 "budget 100 ms", median / 100, goal, median <= 100, details)

    def row_lighthouse(self, key, name, goal, mobile: bool) -> None:
        """Lighthouse 12's desktop preset, or its default mobile settings (a mid-range phone:
        4x CPU slowdown, slow 4G), on the 50-comment article page."""
        url = f"{self.origin()}{ARTICLE_PATH.format(slug=self.seed['article_50'])}"
        lighthouse = BENCH / "node_modules/.bin/lighthouse"
        if not lighthouse.exists():
            raise BenchError(f"{lighthouse} is missing (make bench runs npm ci in bench/)")
        scores: dict[str, list[float]] = {}
        metrics: dict[str, list[float]] = {}
        failing: dict[str, str] = {}
        form = "mobile" if mobile else "desktop"
        for i in range(self.args.lighthouse_runs):
            out = self.work / f"lighthouse-{form}-{i}.json"
            preset = [] if mobile else ["--preset=desktop"]
            run([lighthouse, url, *preset,
                 "--only-categories=performance,accessibility,best-practices,seo",
                 "--output=json", f"--output-path={out}", "--quiet",
                 f"--chrome-flags={' '.join(CHROME_FLAGS + [CHROME_MARKER])}"],
                timeout=180, env=dict(os.environ, CHROME_PATH=CHROMIUM), cwd=self.work)
            report = json.loads(out.read_text())
            if report.get("runtimeError"):
                raise BenchError(f"Lighthouse: {report['runtimeError']}")
            for audit in ("largest-contentful-paint", "total-blocking-time", "interactive",
                          "first-contentful-paint"):
                value = report["audits"].get(audit, {}).get("numericValue")
                if value is not None:
                    metrics.setdefault(audit, []).append(value)
            for cid, cat in report["categories"].items():
                if cat.get("score") is None:
                    raise BenchError(f"Lighthouse gave no {cid} score")
                scores.setdefault(cid, []).append(cat["score"] * 100)
                for ref in cat["auditRefs"]:
                    audit = report["audits"].get(ref["id"], {})
                    if ref.get("weight", 0) > 0 and audit.get("score") is not None \
                            and audit["score"] < 1:
                        items = (audit.get("details") or {}).get("items") or []
                        what = "; ".join(str(it.get("description") or it.get("url")
                                             or it.get("node", {}).get("snippet") or "")[:120]
                                         for it in items[:3] if isinstance(it, dict))
                        failing[ref["id"]] = (f"{cid}: {audit.get('title')} (score "
                                              f"{audit['score']:.2f}"
                                              f"{', ' + audit['displayValue'] if audit.get('displayValue') else ''})"
                                              + (f": {what}" if what else ""))
        for cid, label in (("performance", "performance"), ("accessibility", "accessibility"),
                           ("best-practices", "best practices"), ("seo", "SEO")):
            values = scores.get(cid, [])
            median = statistics.median(values)
            want = 95 if (mobile and cid == "performance") else 100
            figure = f"{median:.0f}"
            details = {"runs": values, "audits_below_full_score": {
                k: v for k, v in failing.items() if v.startswith(cid + ":")}}
            if cid == "performance":
                medians = {k: statistics.median(v) for k, v in metrics.items()}
                details["metrics_median_ms"] = medians
                figure += (f" (LCP {medians.get('largest-contentful-paint', 0) / 1000:.1f} s, "
                           f"TBT {medians.get('total-blocking-time', 0):.0f} ms)")
            self.add(f"{key}_{cid}", f"{name}: {label}", figure, None, None, f">= {want}",
                     median >= want, details)

    # --- The whole run ----------------------------------------------------------------------

    def main(self) -> int:
        started = time.monotonic()
        c = self.args.connections
        sc, sd = self.args.soak_connections, self.args.soak_duration
        soak_goal = f"0 errors; RSS growth <= {PAGE_CACHE_BOUND_MIB} MB (page-cache bound)"
        names = {
            "anon": (f"anonymous article page (50 comments), {c} connections", ">= 0.5x nginx req/s"),
            "signed": (f"signed-in article page (50 comments), {c} connections",
                       ">= 0.33x nginx req/s"),
            "uncached": (f"anonymous article page (50 comments), page cache off, {c} connections",
                         ">= 0.1x nginx req/s"),
            "deep": ("first comment page of the 100,000-comment thread",
                     "<= 1.2x the 50-comment page"),
            "search": (f"search: {len(SEARCH_QUERIES)} English and Chinese queries in turn, "
                       "page cache off, one connection", f"p99 <= {SEARCH_P99_MS} ms"),
            "feeds": (f"Atom feed /feed.xml, kept in the page cache, {c} connections",
                      "(information)"),
            "list": (f"list a 200-comment thread, {c} connections", ">= 10x Isso req/s"),
            "post": (f"post a comment, {c} connections", ">= 5x Isso req/s"),
            "bytes": ("article page download: WASM + JS", "<= 150 KB compressed"),
            "hydration": (f"navigation to hydrated, median of {self.args.hydration_runs} "
                          "(cold cache)", "<= 100 ms"),
            "lighthouse": ("Lighthouse desktop", "100"),
            "lighthouse_mobile": ("Lighthouse mobile", "performance >= 95, the rest 100"),
            "live_junk": (f"anonymous article page (50 comments), {c} connections, while junk POSTs "
                          f"arrive at {JUNK_CONNECTIONS} connections, one per {LOAD_DELAY_MS} ms "
                          "each (unknown path, cross-site, wrong password)",
                          ">= 0.9x the quiet page"),
            "live_comments": (f"the same while comments are posted on another article at "
                              f"{COMMENT_CONNECTIONS} connections, one per {LOAD_DELAY_MS} ms each",
                              ">= 0.9x the quiet page"),
            "live_small": (f"cached anonymous hit, small article page ({SMALL_COMMENTS} comments), "
                           f"{c} connections", ">= 0.5x nginx req/s"),
            "live_fanout": (f"fan-out: {self.args.fanout_streams:,} open event streams on one "
                            "article, one comment posted: time until each has it",
                            f"p99 <= {FANOUT_P99_MS} ms, <= {FANOUT_KB} KB per stream"),
            "live_fresh": (f"cross-replica freshness on PostgreSQL: post on A, poll B's page, "
                           f"{self.args.fresh_posts} posts", f"p99 <= {FRESH_P99_MS} ms"),
            "soak_sqlite": (f"soak on SQLite: {sc} connections, {sd} s of mixed traffic",
                            soak_goal),
            "soak_postgres": (f"soak on PostgreSQL: {sc} connections, {sd} s of mixed traffic",
                              soak_goal),
        }
        wants = lambda k: not self.args.only or k in self.args.only
        do = lambda key, fn: self.attempt(key, *names[key], fn)
        if any(wants(k) for k in names if k not in OWN_SERVER_ROWS):
            self.db_url = self.make_database()
            self.start_besthub(self.db_url)
            self.main_rows(wants, do)
        do("live_fresh", self.row_fresh)
        do("soak_sqlite", lambda k, n, g: self.row_soak(k, n, g, "sqlite"))
        do("soak_postgres", lambda k, n, g: self.row_soak(k, n, g, "postgres"))
        self.elapsed = time.monotonic() - started
        return self.report()

    def main_rows(self, wants, do) -> None:
        """The rows measured on the benchmark database's server, against their baselines."""
        # nginx serves the very bytes BestHub answers, captured before the measures.
        slug50 = self.seed["article_50"]
        path50 = ARTICLE_PATH.format(slug=slug50)
        files, failed = {}, {}
        for key, signed_in, path in (("anon", False, path50), ("signed", True, "/signed-in" + path50)):
            if wants(key) or (key == "anon" and wants("uncached")):
                try:
                    if signed_in:
                        self.sign_in()
                    files[path] = self.page(slug50, signed_in)
                except BenchError as e:
                    failed[key] = str(e)
        if wants("live_small"):
            try:
                files[ARTICLE_PATH.format(slug=LIVE_ARTICLES["small"])] = self.small_page()
            except BenchError as e:
                failed["live_small"] = str(e)
        feeds: dict[str, tuple[bytes, list]] = {}
        if wants("feeds"):
            try:
                feeds = {path: self.feed_bytes(path) for path in FEED_PATHS}
                files |= {path: body for path, (body, _) in feeds.items()}
            except BenchError as e:
                failed["feeds"] = str(e)
        if files:
            try:
                self.start_nginx(files, {path: hdrs for path, (_, hdrs) in feeds.items()})
            except BenchError as e:
                failed = {k: str(e) for k in ("anon", "signed", "live_small", "feeds")} | failed

        def pages(signed_in: bool, target: float):
            def fn(key, name, goal):
                if key in failed:
                    raise BenchError(failed[key])
                self.row_pages(key, name, goal, signed_in=signed_in, target=target)
            return fn

        do("anon", pages(False, 0.5))
        do("signed", pages(True, 1 / 3))

        def uncached(key, name, goal):
            if "anon" in failed or not self.nginx_port:
                raise BenchError(failed.get("anon", "nginx is not serving the anonymous page"))
            self.row_uncached(key, name, goal, target=0.1)

        do("uncached", uncached)
        do("deep", self.row_deep)
        do("search", self.row_search)

        def feed_rows(key, name, goal):
            if key in failed or not self.nginx_port:
                raise BenchError(failed.get(key, "nginx is not serving the feeds"))
            self.row_feeds(key, name, goal, feeds)

        do("feeds", feed_rows)
        do("list", lambda k, n, g: self.row_isso(k, n, g, posting=False, target=10))
        do("post", lambda k, n, g: self.row_isso(k, n, g, posting=True, target=5))
        hydration: dict | BenchError | None = None
        if wants("hydration") or wants("bytes"):
            try:
                log("timing hydration in headless Chromium")
                hydration = self.hydration()
            except BenchError as e:
                hydration = e

        def hydration_row(key, name, goal):
            if isinstance(hydration, BenchError):
                raise hydration
            self.row_hydration(key, name, goal, hydration)

        resources = hydration["resources"] if isinstance(hydration, dict) else None
        do("bytes", lambda k, n, g: self.row_bytes(k, n, g, resources))
        do("hydration", hydration_row)
        do("lighthouse", lambda k, n, g: self.row_lighthouse(k, n, g, mobile=False))
        do("lighthouse_mobile", lambda k, n, g: self.row_lighthouse(k, n, g, mobile=True))

        # The live-site rows last: the comments they post change the pages measured above.
        def small(key, name, goal):
            if key in failed or not self.nginx_port:
                raise BenchError(failed.get(key, "nginx is not serving the small page"))
            self.row_small(key, name, goal, target=0.5)

        do("live_junk", lambda k, n, g: self.row_junk(k, n, g, target=0.9))
        do("live_small", small)
        do("live_fanout", self.row_fanout)
        do("live_comments", lambda k, n, g: self.row_comments(k, n, g, target=0.9))

    def report(self) -> int:
        print_table(self.rows)
        result = {
            "timestamp": self.stamp,
            "commit": git_commit(),
            "mode": "demo" if self.args.demo else "generated",
            "elapsed_s": round(self.elapsed, 1),
            "seed_s": round(getattr(self, "seed_seconds", 0), 1),
            "settings": {"connections": self.args.connections, "duration_s": self.args.duration,
                         "warmup_s": WARMUP_S, "wrk_threads": WRK_THREADS,
                         "hydration_runs": self.args.hydration_runs,
                         "lighthouse_runs": self.args.lighthouse_runs,
                         "list": f"{LIST_METHOD} {LIST_PATH} {LIST_FORM}",
                         "post": f"POST {POST_PATH} {POST_FORM}",
                         "soak": {"connections": self.args.soak_connections,
                                  "duration_s": self.args.soak_duration,
                                  "mix_percent": SOAK_MIX, "signed_in_readers": SOAK_READERS},
                         "live": {"articles": LIVE_ARTICLES,
                                  "junk_connections": JUNK_CONNECTIONS,
                                  "load_delay_ms": LOAD_DELAY_MS,
                                  "comment_connections": COMMENT_CONNECTIONS,
                                  "fanout_streams": self.args.fanout_streams,
                                  "fresh_posts": self.args.fresh_posts},
                         "search": {"path": SEARCH_PATH, "rounds_per_query": SEARCH_ROUNDS,
                                    "queries": [q for q, _ in SEARCH_QUERIES]},
                         "endpoints": self.__dict__.get("_endpoints", {})},
            "machine": {"cpus": os.cpu_count(), "versions": tool_versions(self.args.venv)},
            "seed": {k: v for k, v in self.seed.items() if k != "comments_200"
                     and "password" not in k},
            "rows": self.rows,
        }
        out_dir = Path(self.args.results)
        out_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result, indent=1, default=str) + "\n"
        tmp = out_dir / f"{self.stamp}.json.tmp"
        tmp.write_text(text)
        tmp.replace(out_dir / f"{self.stamp}.json")
        (out_dir / "latest.json").write_text(text)
        log(f"wrote {out_dir / (self.stamp + '.json')} and latest.json "
            f"({self.elapsed:.0f} s; logs in {self.work})")
        errors = [r for r in self.rows if r["error"]]
        for r in errors:
            print(f"error in {r['key']}: {r['error']}", file=sys.stderr)
        if self.args.strict and any(r["met"] is False for r in self.rows):
            return 1
        return 1 if errors else 0


# --- Helpers --------------------------------------------------------------------------------


def kind_of(url: str, ctype: str) -> str:
    path = urllib.parse.urlsplit(url).path
    if path.endswith(".wasm") or ctype == "application/wasm":
        return "wasm"
    if path.endswith((".js", ".mjs")) or "javascript" in ctype:
        return "js"
    if path.endswith(".css") or ctype == "text/css":
        return "css"
    if ctype == "text/html":
        return "html"
    return "other"


def kb(n: int) -> str:
    return f"{n / 1024:,.1f} KB"


def to_unix_seconds(value) -> float | None:
    if isinstance(value, (int, float)):
        return value / 1000 if value > 1e11 else float(value)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def fake_comments(n: int) -> list[dict]:
    now = time.time()
    return [{"author": f"Reader {i % 37}", "created_at": now - (n - i) * 600,
             "text": f"Comment {i}: a thoughtful remark about the article, long enough to look "
                     f"like a real one, with a second sentence for good measure."}
            for i in range(n)]


def print_table(rows: list[dict]) -> None:
    def cell(v, kind=""):
        if v is None:
            return "-"
        if kind == "ratio":
            return f"{v:.2f}x"
        if kind == "met":
            return "yes" if v else "no"
        return str(v)

    header = ["row", "BestHub", "baseline", "ratio", "goal", "met"]
    body = []
    for r in rows:
        if r["error"]:
            body.append([r["row"], "error: " + r["error"].splitlines()[0][:60], "-", "-",
                         r["goal"], "error"])
        else:
            body.append([r["row"], cell(r["besthub"]), cell(r["baseline"]),
                         cell(r["ratio"], "ratio"), r["goal"] or "-",
                         "-" if r["met"] is None else cell(r["met"], "met")])
    widths = [max(len(x[i]) for x in [header] + body) for i in range(len(header))]
    line = lambda cols: "| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for b in body:
        print(line(b))
    sys.stdout.flush()


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def tool_versions(venv: str) -> dict:
    def first_line(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return None

    pkg = lambda name: read_json(BENCH / f"node_modules/{name}/package.json").get("version")
    return {
        "nginx": first_line([shutil.which("nginx") or "/usr/sbin/nginx", "-v"]),
        "wrk": first_line(["wrk", "--version"]),
        "isso": first_line([f"{venv}/bin/isso", "--version"]),
        "chromium": first_line([CHROMIUM, "--version"]),
        "lighthouse": pkg("lighthouse"),
        "playwright-core": pkg("playwright-core"),
        "node": first_line(["node", "--version"]),
    }


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def parse_args() -> argparse.Namespace:
    rows = ["anon", "signed", "uncached", "deep", "search", "feeds", "list", "post", "bytes",
            "hydration", "lighthouse", "lighthouse_mobile", *LIVE_ROWS, *SOAK_ROWS]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=str(TARGET / "release/besthub"), help="server binary")
    p.add_argument("--site-root", default=str(REPO / "target/site"), help="built site (pkg/ etc.)")
    p.add_argument("--config", default=str(REPO / "Leptos.toml"), help="BESTHUB_CONFIG file")
    p.add_argument("--seed", help="database generator (default $CARGO_TARGET_DIR/release/examples/"
                   "bench_seed)")
    p.add_argument("--seed-timeout", type=float, default=600)
    p.add_argument("--demo", action="store_true",
                   help="no generator: demo content, a signed-up reader, synthetic Isso comments; "
                        "the 100,000-comment row is skipped")
    p.add_argument("--only", type=lambda s: s.split(","),
                   help=f"comma-separated rows: {','.join(rows)} (soak: both soak rows; "
                        "live: the live_* rows)")
    p.add_argument("--connections", type=int, default=CONNECTIONS)
    p.add_argument("--duration", type=int, default=DURATION_S, help="seconds per wrk run")
    p.add_argument("--hydration-runs", type=int, default=HYDRATION_RUNS)
    p.add_argument("--lighthouse-runs", type=int, default=LIGHTHOUSE_RUNS)
    p.add_argument("--soak-connections", type=int, default=SOAK_CONNECTIONS)
    p.add_argument("--soak-duration", type=int, default=SOAK_DURATION_S, help="seconds")
    p.add_argument("--fanout", default=str(TARGET / "release/examples/fanout"),
                   help="the fan-out client (benches/fanout.rs)")
    p.add_argument("--fanout-streams", type=int, default=FANOUT_STREAMS)
    p.add_argument("--fresh-posts", type=int, default=FRESH_POSTS)
    p.add_argument("--venv", default=str(STATE / "venv"), help="Isso's venv")
    p.add_argument("--results", default=str(BENCH / "results"))
    p.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    args = p.parse_args()
    if args.only and "soak" in args.only:
        args.only = [r for r in args.only if r != "soak"] + list(SOAK_ROWS)
    if args.only and "live" in args.only:
        args.only = [r for r in args.only if r != "live"] + list(LIVE_ROWS)
    for r in args.only or []:
        if r not in rows:
            p.error(f"unknown row {r!r} (rows: {', '.join(rows)})")
    return args


def main() -> int:
    args = parse_args()
    for tool in ("wrk", "node"):
        if not shutil.which(tool):
            print(f"bench: {tool} is not on PATH (make bench installs it)", file=sys.stderr)
            return 2

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    bench = Bench(args)
    try:
        return bench.main()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        bench.procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())
