#!/usr/bin/env python3
"""Bode's fault suite (issue 8, "Faults"): drives N notifications through
real processes while they are killed, and checks that nothing accepted is
lost. Standard library only; `scripts/chaos` runs it.

Processes, all private to the run: redis-server (AOF, appendfsync `always`
by default; `--fsync everysec` measures the loss window instead), one
`bode api`, `--workers` `bode worker`s, and tests/chaos/stub.py as the
provider (Bode's `http` provider points at it).

Faults, on a timeline relative to the send phase of --duration seconds:
  - a random worker is killed with SIGKILL every 1.5-2.5 s and restarted
    at once, from the start of sending until --fault-tail s after it;
  - the provider answers 30 % 5xx, 5 % timeouts, 3 % 429 + Retry-After,
    and is down (connections refused) for --down-for s from 25 %;
  - redis-server is killed with SIGKILL at 50 % and restarted from its AOF;
  - the API is killed with SIGKILL at 70 % and restarted; clients retry
    every failed or unanswered request with the same Idempotency-Key.

Then it waits (bounded) until every accepted notification is final and
writes a JSON report (--out) and a summary. Exit status 0 when the
promises hold: lost == 0 (strict mode), no unexplained duplicate, no
notification Bode holds that no client was given, every idempotent retry
answered with the id first given.
"""
import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import BODE, TEST_SECRET_KEY, free_port, wait_until  # noqa
from test_api_v2 import token  # noqa: E402

FINAL = {"delivered", "sent", "permanent-failure", "temporary-failure",
         "technical-failure", "cancelled", "validation-failed"}


def log(msg):
    print("[chaos %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---- a minimal RESP client (redis-cli per call would be too slow) ----

class RespError(Exception):
    pass


def _read(f):
    line = f.readline()
    if not line:
        raise OSError("redis closed the connection")
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        raise RespError(rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        return f.read(n + 2)[:-2].decode("utf-8", "replace")
    if t == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [_read(f) for _ in range(n)]
    raise OSError("bad RESP reply")


def redis_cmd(sock_path, *args, timeout=2.0):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(out)
        with s.makefile("rb") as f:
            return _read(f)


# ---- processes ----

class Procs:
    def __init__(self, args, workdir):
        self.args = args
        self.dir = workdir
        self.redis_dir = os.path.join(workdir, "redis")
        os.makedirs(self.redis_dir)
        self.sock = os.path.join(self.redis_dir, "redis.sock")
        self.redis = None
        self.api = None
        self.api_port = free_port()
        self.stub_port = free_port()
        self.stub = None
        self.stub_log = os.path.join(workdir, "stub.jsonl")
        self.workers = [None] * args.workers
        self.worker_gen = [0] * args.workers
        self.lock = threading.Lock()
        self.host = socket.gethostname()
        self.base_env = dict(os.environ, BODE_SECRET_KEY=TEST_SECRET_KEY,
                             BODE_REDIS_URL="unix://" + self.sock,
                             BODE_LOG_LEVEL="warn")

    def logfile(self, name):
        return open(os.path.join(self.dir, name + ".log"), "ab")

    def start_redis(self):
        self.redis = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock,
             "--unixsocketperm", "700", "--dir", self.redis_dir,
             "--save", "", "--appendonly", "yes",
             "--appendfsync", self.args.fsync,
             "--maxmemory-policy", "noeviction", "--loglevel", "warning"],
            stdout=self.logfile("redis"), stderr=subprocess.STDOUT)

        def up():
            if self.redis.poll() is not None:
                raise AssertionError("redis-server exited at start")
            try:
                # A restart answers LOADING until the AOF is read.
                return redis_cmd(self.sock, "PING") == "PONG"
            except (OSError, RespError):
                return False
        wait_until(up, 60, what="redis-server")

    def bode(self, *argv):
        out = subprocess.run([BODE, *argv], env=self.base_env,
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("bode %s: %s" % (argv, out.stderr))
        return out.stdout.strip()

    def start_api(self):
        env = dict(self.base_env, BODE_PORT=str(self.api_port),
                   BODE_LISTEN_ADDR="127.0.0.1", BODE_REDIS_TIMEOUT_MS="1000",
                   BODE_PER_IP_LIMIT="0")
        self.api = subprocess.Popen([BODE, "api"], env=env,
                                    stdout=self.logfile("api"),
                                    stderr=subprocess.STDOUT)

        def up():
            if self.api.poll() is not None:
                raise AssertionError("bode api exited at start")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.api_port,
                                               timeout=2)
                c.request("GET", "/_status?simple=1")
                return c.getresponse().status == 200
            except OSError:
                return False
        wait_until(up, 30, what="bode api")

    def start_stub(self):
        a = self.args
        self.stub = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "stub.py"),
             "--port", str(self.stub_port), "--log", self.stub_log,
             "--p5xx", str(a.p5xx), "--ptimeout", str(a.ptimeout),
             "--p429", str(a.p429), "--retry-after", "2",
             "--hold", str(a.provider_timeout_ms / 1000 + 1.0),
             "--down-for", str(a.down_for), "--seed", str(a.seed)],
            stdout=self.logfile("stub"), stderr=subprocess.STDOUT)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.stub_port),
                                         0.5).close()
                return True
            except OSError:
                return False
        wait_until(up, 15, what="provider stub")

    def worker_env(self, name):
        a = self.args
        return dict(
            self.base_env,
            BODE_EMAIL_PROVIDERS="http", BODE_SMS_PROVIDERS="http",
            BODE_HTTP_URL="http://127.0.0.1:%d/send" % self.stub_port,
            BODE_HTTP_BODY_TEMPLATE='{"id": "${id}", "to": "${to}"}',
            BODE_HTTP_ACCEPTED_STATUS="delivered",
            BODE_HTTP_HEADER_1="X-Chaos-Worker: " + name,
            BODE_VISIBILITY_TIMEOUT_MS=str(a.visibility_ms),
            BODE_PROVIDER_TIMEOUT_MS=str(a.provider_timeout_ms),
            BODE_REDIS_TIMEOUT_MS="1000", BODE_LOG_LEVEL="info",
            BODE_RETRY_BASE_S="1", BODE_RETRY_BASE_PRIORITY_S="1",
            BODE_RETRY_WINDOW_S=str(a.retry_window),
            BODE_WORKER_CONCURRENCY=str(a.concurrency))

    def start_worker(self, slot):
        """Starts worker `slot`; returns (incarnation name, consumer)."""
        with self.lock:
            self.worker_gen[slot] += 1
            name = "w%d.%d" % (slot, self.worker_gen[slot])
            p = subprocess.Popen([BODE, "worker"], env=self.worker_env(name),
                                 stdout=self.logfile("worker%d" % slot),
                                 stderr=subprocess.STDOUT)
            self.workers[slot] = (p, name)
        return name, "%s:%d" % (self.host, p.pid)

    def kill_worker(self, slot):
        with self.lock:
            p, name = self.workers[slot]
            p.kill()
        p.wait()
        return name, "%s:%d" % (self.host, p.pid)

    def stop_all(self):
        procs = [w[0] for w in self.workers if w] + [self.api, self.stub]
        for p in procs:
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            if p:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.redis and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGTERM)
            self.redis.wait(timeout=30)


# ---- the run ----

def stamp(s):
    """Notify's timestamp text to epoch seconds."""
    return datetime.datetime.strptime(
        s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class Run:
    def __init__(self, args, procs):
        self.a = args
        self.p = procs
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.accepted = {}       # idempotency key -> (id, first 201 time)
        self.idem_mismatch = []  # keys answered with two different ids
        self.retried_accepts = 0  # 201s that answered a retried request
        self.client_retries = 0
        self.rejected = []       # unexpected 4xx
        self.gave_up = 0
        self.detail = {}         # id -> how its 201 came
        self.events = []         # (time, kind, detail)
        self.kills = []          # worker kill records
        self.redis_down = None   # (killed at, back at)
        self.sending_done = threading.Event()
        self.faults_done = threading.Event()

    def event(self, kind, **detail):
        with self.lock:
            self.events.append(dict(t=time.time(), kind=kind, **detail))

    # -- setup --

    def setup(self):
        p = self.p
        self.sid = p.bode("service", "create", "--name", "Chaos",
                          "--rate-limit", "1000000", "--sms-limit", "1000000",
                          "--email-limit", "1000000")
        key = p.bode("key", "create", self.sid, "--type", "live")
        self.secret = key[-36:]
        self.sms_t = p.bode("template", "create", self.sid, "--type", "sms",
                            "--name", "S", "--body", "Code ((code))")
        self.email_t = p.bode("template", "create", self.sid, "--type",
                              "email", "--name", "E", "--subject",
                              "Hello ((code))", "--body", "Your code ((code))")
        self.streams = ["bode:{s:%s}:q:%s:normal" % (self.sid, ch)
                        for ch in ("sms", "email")]

    def headers(self, key=None):
        h = {"Authorization": "Bearer " + token(self.sid, self.secret),
             "Content-Type": "application/json"}
        if key:
            h["Idempotency-Key"] = key
        return h

    # -- clients --

    def send_one(self, i):
        if i % 2:
            # 07700 900000/111/222 are Notify's smoke-test numbers, which
            # get a 201 with nothing stored: stay clear of them.
            kind, body = "sms", {"phone_number": "07700900%03d" %
                                 (300 + i % 700),
                                 "template_id": self.sms_t}
        else:
            kind, body = "email", {"email_address": "c%d@example.com" % i,
                                   "template_id": self.email_t}
        body["personalisation"] = {"code": str(i)}
        raw = json.dumps(body).encode()
        key = str(uuid.uuid4())
        deadline = time.monotonic() + 120
        tries = 0
        while time.monotonic() < deadline:
            tries += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.p.api_port,
                                               timeout=5)
                c.request("POST", "/v2/notifications/" + kind, raw,
                          self.headers(key))
                r = c.getresponse()
                data = r.read()
                c.close()
            except (OSError, http.client.HTTPException):
                status = None
            else:
                status = r.status
            if status == 201:
                nid = json.loads(data)["id"]
                with self.lock:
                    if key in self.accepted and self.accepted[key][0] != nid:
                        self.idem_mismatch.append(key)
                    self.accepted.setdefault(key, (nid, time.time()))
                    self.detail[nid] = dict(
                        t=time.time(), tries=tries,
                        replayed=r.getheader("Idempotent-Replayed") == "true")
                    if tries > 1:
                        self.retried_accepts += 1
                    self.client_retries += tries - 1
                return
            if status is not None and 400 <= status < 500 and status != 429:
                with self.lock:
                    self.rejected.append((status, data[:200].decode(
                        "utf-8", "replace")))
                return
            time.sleep(0.2)
        with self.lock:
            self.gave_up += 1

    def clients(self):
        n, threads = self.a.n, self.a.clients
        rate = n / self.a.duration
        start = time.monotonic()
        nxt = [0]
        lock = threading.Lock()

        def loop():
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= n:
                    return
                # Paced so the faults land while requests arrive.
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.send_one(i)

        ts = [threading.Thread(target=loop) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.sending_done.set()
        log("sending done: %d accepted, %d client retries, %d gave up"
            % (len(self.accepted), self.client_retries, self.gave_up))

    # -- faults --

    def pending_of(self, consumer):
        """Stream entries (stream, entry id) the consumer holds."""
        out = []
        for s in self.streams:
            try:
                rows = redis_cmd(self.p.sock, "XPENDING", s, "workers", "-",
                                 "+", "100000", consumer)
            except RespError:
                continue  # stream or group not there (yet)
            out += [(s, r[0]) for r in rows or []]
        return out

    def watch_recovery(self, rec):
        """Polls until the dead consumer holds nothing; that is when every
        entry it had was taken over (or acknowledged)."""
        first = None
        while True:
            try:
                held = self.pending_of(rec["consumer"])
            except OSError:
                time.sleep(0.1)  # redis down: keep waiting
                continue
            if first is None:
                first = held
                ids = []
                for s, e in held:
                    try:
                        r = redis_cmd(self.p.sock, "XRANGE", s, e, e)
                        f = r[0][1] if r else []
                        ids.append(dict(zip(f[::2], f[1::2])).get("n"))
                    except (OSError, RespError):
                        pass
                rec["pending_ids"] = [x for x in ids if x]
                rec["pending"] = len(held)
            if not held:
                rec["recovered_s"] = round(time.time() - rec["t"], 3)
                return
            if time.time() - rec["t"] > 300:
                rec["recovered_s"] = None
                return
            time.sleep(0.1)

    def nemesis_workers(self):
        t0 = time.time()
        end_after = None
        while True:
            if self.sending_done.is_set() and end_after is None:
                end_after = time.time() + self.a.fault_tail
            if end_after is not None and time.time() >= end_after:
                break
            time.sleep(self.rng.uniform(1.5, 2.5))
            slot = self.rng.randrange(self.a.workers)
            name, consumer = self.p.kill_worker(slot)
            rec = dict(t=time.time(), worker=name, consumer=consumer)
            self.kills.append(rec)
            self.event("worker-kill", worker=name)
            threading.Thread(target=self.watch_recovery, args=(rec,),
                             daemon=True).start()
            self.p.start_worker(slot)
        self.faults_done.set()
        log("worker kills done: %d in %.0f s" % (len(self.kills),
                                                  time.time() - t0))

    def nemesis_timeline(self):
        d = self.a.duration
        t0 = time.time()

        def at(frac):
            delay = t0 + frac * d - time.time()
            if delay > 0:
                time.sleep(delay)

        at(0.25)
        self.p.stub.send_signal(signal.SIGUSR1)
        self.event("provider-down", seconds=self.a.down_for)
        log("provider down for %d s" % self.a.down_for)
        at(0.5)
        self.p.redis.kill()
        self.p.redis.wait()
        killed = time.time()
        self.event("redis-kill")
        log("redis-server killed")
        time.sleep(1.0)
        self.p.start_redis()
        self.redis_down = (killed, time.time())
        self.event("redis-restart", down_s=round(time.time() - killed, 3))
        log("redis-server back after %.1f s" % (time.time() - killed))
        at(0.7)
        self.p.api.kill()
        self.p.api.wait()
        self.event("api-kill")
        log("api killed")
        time.sleep(0.5)
        self.p.start_api()
        self.event("api-restart")

    # -- checking --

    def listing(self):
        """Every notification Bode holds for the service: id -> record."""
        out = {}
        older = None
        while True:
            path = "/v2/notifications"
            if older:
                path += "?older_than=" + older
            c = http.client.HTTPConnection("127.0.0.1", self.p.api_port,
                                           timeout=30)
            c.request("GET", path, headers=self.headers())
            r = c.getresponse()
            data = json.loads(r.read())
            c.close()
            if r.status != 200:
                raise AssertionError("listing: %s %s" % (r.status, data))
            page = data["notifications"]
            for n in page:
                out[n["id"]] = n
            if not page:
                return out
            older = page[-1]["id"]

    def wait_final(self):
        ids = {v[0] for v in self.accepted.values()}
        deadline = time.time() + self.a.retry_window + 60
        while True:
            held = self.listing()
            open_ = [i for i in ids if i in held
                     and held[i]["status"] not in FINAL]
            if not open_ or time.time() > deadline:
                return held
            log("%d of %d accepted not final yet" % (len(open_), len(ids)))
            time.sleep(2)

    def ambiguous_failures(self):
        """id -> times a worker logged a failure after its request went
        out (curl timeouts, receive errors, empty replies)."""
        out = {}
        codes = ("curl 28:", "curl 56:", "curl 52:", "curl 18:", "curl 16:",
                 "curl 92:")
        for slot in range(self.a.workers):
            path = os.path.join(self.p.dir, "worker%d.log" % slot)
            with open(path, "rb") as f:
                for raw in f:
                    if not raw.startswith(b"{"):
                        continue
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        continue  # cut short by SIGKILL
                    if line.get("msg") != "delivery will be retried" or \
                            not line.get("detail", "").startswith(codes):
                        continue
                    out.setdefault(line["notification_id"], []).append(
                        stamp(line["ts"][:-1] + "000Z"))
        return out

    def report(self, held, wall):
        ids = {v[0]: v[1] for v in self.accepted.values()}
        statuses = {}
        lost, stuck = [], []
        longest = 0.0
        for nid in ids:
            n = held.get(nid)
            if n is None:
                lost.append(nid)
                continue
            statuses[n["status"]] = statuses.get(n["status"], 0) + 1
            if n["status"] not in FINAL:
                stuck.append(nid)
                continue
            longest = max(longest, stamp(n["completed_at"]) -
                          stamp(n["created_at"]))
        orphans = [i for i in held if i not in ids]

        deliveries = []
        with open(self.p.stub_log) as f:
            for line in f:
                deliveries.append(json.loads(line))
        by_id = {}
        answers = {}
        for d in deliveries:
            if not d["id"]:
                continue
            answers[str(d["a"])] = answers.get(str(d["a"]), 0) + 1
            by_id.setdefault(d["id"], []).append(d)
        ambiguous = self.ambiguous_failures()
        kills_by_worker = {}
        for k in self.kills:
            kills_by_worker[k["worker"]] = k["t"]
        rd = self.redis_down
        dups = []
        unexplained = []
        for nid, ds in by_id.items():
            acc = sorted((d for d in ds if d["a"] == 200),
                         key=lambda d: d["t"])
            for prev, again in zip(acc, acc[1:]):
                why = None
                kt = kills_by_worker.get(prev["w"])
                # The stub may read a request after its sender died (the
                # bytes were on the wire), so a kill counts from the
                # sender's death, not from the stub's clock.
                if kt is not None and kt <= again["t"]:
                    why = "worker-kill"
                elif rd and prev["t"] <= rd[1] and rd[0] <= again["t"]:
                    why = "redis-kill"
                elif any(prev["t"] <= ts <= again["t"]
                         for ts in ambiguous.get(nid, [])):
                    why = "ambiguous-timeout"
                dups.append(dict(id=nid, first=prev["w"], again=again["w"],
                                 why=why))
                if why is None:
                    unexplained.append(dict(id=nid, first=prev,
                                            again=again))
        # The bound: per kill, the notifications its worker held that the
        # provider had already accepted from it (sent twice at most once
        # each); for the redis kill, the acceptances in the second before
        # it and during the outage, whose outcomes could not be written.
        at_risk = 0
        kills_after_accept = 0
        for k in self.kills:
            n = 0
            for nid in k.get("pending_ids", []):
                if any(d["a"] == 200 and d["w"] == k["worker"]
                       for d in by_id.get(nid, [])):
                    n += 1
            k["accepted_unrecorded"] = n
            at_risk += n
            kills_after_accept += n > 0
        redis_at_risk = 0
        if rd:
            redis_at_risk = len({d["id"] for d in deliveries
                                 if d["a"] == 200 and
                                 rd[0] - 1.0 <= d["t"] <= rd[1]})
        # A timeout after the request went out is ambiguous: the worker
        # retries, and the provider may have taken the first one.
        timeout_s = self.a.provider_timeout_ms / 1000
        ambiguous_accepted = 0
        for nid, stamps in ambiguous.items():
            for ts in stamps:
                ambiguous_accepted += any(
                    d["a"] == 200 and ts - timeout_s - 2 <= d["t"] <= ts
                    for d in by_id.get(nid, []))
        recov = [k["recovered_s"] for k in self.kills
                 if k.get("recovered_s") is not None]
        unrecovered = sum(1 for k in self.kills
                          if k.get("recovered_s") is None)
        redeliveries = sum(k.get("pending", 0) for k in self.kills)
        provider_requests = sum(1 for d in deliveries if d["id"])
        rep = {
            "n": self.a.n,
            "mode": "quick" if self.a.quick else "full",
            "appendfsync": self.a.fsync,
            "workers": self.a.workers,
            "settings": {
                "visibility_timeout_ms": self.a.visibility_ms,
                "provider_timeout_ms": self.a.provider_timeout_ms,
                "retry_window_s": self.a.retry_window,
                "worker_concurrency": self.a.concurrency,
                "send_duration_s": self.a.duration,
                "provider": {"p5xx": self.a.p5xx,
                             "ptimeout": self.a.ptimeout,
                             "p429": self.a.p429,
                             "down_for_s": self.a.down_for},
                "seed": self.a.seed},
            "accepted": len(ids),
            "client_gave_up": self.gave_up,
            "client_rejected_4xx": len(self.rejected),
            "client_retries": self.client_retries,
            "retried_then_accepted": self.retried_accepts,
            "idempotent_replays": sum(1 for d in self.detail.values()
                                      if d["replayed"]),
            "idempotency_mismatches": len(self.idem_mismatch),
            "final": sum(v for k, v in statuses.items() if k in FINAL),
            "statuses": statuses,
            "lost": len(lost) + len(stuck),
            "lost_missing": len(lost),
            "lost_not_final": len(stuck),
            "orphans": len(orphans),
            "provider_requests": provider_requests,
            "provider_answers": answers,
            "duplicate_deliveries": len(dups),
            "duplicates_unexplained": len(unexplained),
            "duplicates_by_cause": {
                c: sum(1 for d in dups if d["why"] == c)
                for c in ("worker-kill", "redis-kill", "ambiguous-timeout")},
            "worker_kills": len(self.kills),
            "worker_kills_after_provider_accept": kills_after_accept,
            "accepted_unrecorded_at_worker_kills": at_risk,
            "accepted_around_redis_kill": redis_at_risk,
            "ambiguous_failures": sum(len(v) for v in ambiguous.values()),
            "accepted_then_ambiguous_failure": ambiguous_accepted,
            "duplicate_bound": at_risk + redis_at_risk + ambiguous_accepted,
            "redeliveries": redeliveries,
            "max_recovery_s": max(recov) if recov else 0.0,
            "kills_not_recovered": unrecovered,
            "longest_non_final_s": round(longest, 3),
            "redis_outage_s": round(rd[1] - rd[0], 3) if rd else None,
            "wall_s": round(wall, 1),
            "samples": {"lost": [dict(id=i, **self.detail.get(i, {}))
                                 for i in (lost + stuck)[:20]],
                        "unexplained_duplicates": unexplained[:20],
                        "orphans": orphans[:20],
                        "rejected": self.rejected[:5]},
            "events": self.events,
        }
        checks = {
            "lost == 0": rep["lost"] == 0 or self.a.fsync != "always",
            "no orphans": rep["orphans"] == 0 or self.a.fsync != "always",
            "no unexplained duplicates": rep["duplicates_unexplained"] == 0,
            "duplicates <= bound":
                rep["duplicate_deliveries"] <= rep["duplicate_bound"],
            "every kill recovered": unrecovered == 0,
            # Take-overs scan every half visibility timeout for entries
            # idle a whole one; 2 s is for the scheduling of a loaded box.
            "recovery <= 1.5 x visibility timeout":
                rep["max_recovery_s"] <= 1.5 * self.a.visibility_ms / 1000
                + 2.0,
            "idempotency held": not self.idem_mismatch,
            "no client gave up": self.gave_up == 0,
            "no unexpected 4xx": not self.rejected,
        }
        rep["checks"] = checks
        rep["ok"] = all(checks.values())
        return rep


def summary(rep):
    s = rep["settings"]
    lines = [
        "Bode chaos run (%s, N=%d, appendfsync %s, %d workers, "
        "visibility %d ms): %s" % (rep["mode"], rep["n"], rep["appendfsync"],
                                   rep["workers"], s["visibility_timeout_ms"],
                                   "PASS" if rep["ok"] else "FAIL"),
        "  accepted (201)            %d  (client retries %d; accepted after "
        "a retry %d, of which replayed by Idempotency-Key %d; mismatches "
        "%d)" % (rep["accepted"], rep["client_retries"],
                 rep["retried_then_accepted"], rep["idempotent_replays"],
                 rep["idempotency_mismatches"]),
        "  final                     %d  %s" % (
            rep["final"], json.dumps(rep["statuses"], sort_keys=True)),
        "  lost = accepted - final   %d  (missing %d, not final %d); "
        "orphans %d" % (rep["lost"], rep["lost_missing"],
                        rep["lost_not_final"], rep["orphans"]),
        "  provider requests         %d  %s" % (
            rep["provider_requests"],
            json.dumps(rep["provider_answers"], sort_keys=True)),
        "  duplicate deliveries      %d  %s; unexplained %d" % (
            rep["duplicate_deliveries"],
            json.dumps(rep["duplicates_by_cause"], sort_keys=True),
            rep["duplicates_unexplained"]),
        "  duplicate bound           %d  (%d accepted-unrecorded at %d of %d "
        "worker kills, %d around the redis kill, %d accepted then an "
        "ambiguous failure of %d)" % (
            rep["duplicate_bound"],
            rep["accepted_unrecorded_at_worker_kills"],
            rep["worker_kills_after_provider_accept"], rep["worker_kills"],
            rep["accepted_around_redis_kill"],
            rep["accepted_then_ambiguous_failure"],
            rep["ambiguous_failures"]),
        "  redeliveries              %d  (entries taken over from killed "
        "workers)" % rep["redeliveries"],
        "  max recovery after kill   %.2f s" % rep["max_recovery_s"],
        "  longest non-final         %.2f s" % rep["longest_non_final_s"],
        "  redis outage              %s s;  wall %.0f s" % (
            rep["redis_outage_s"], rep["wall_s"]),
    ]
    for k, v in rep["checks"].items():
        if not v:
            lines.append("  FAILED: " + k)
    return "\n".join(lines)


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="the reduced suite version (N=2000, shorter phases)")
    ap.add_argument("--n", type=int)
    ap.add_argument("--duration", type=float,
                    help="seconds over which the N requests are spread")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--fsync", choices=("always", "everysec"),
                    default="always")
    ap.add_argument("--visibility-ms", type=int, default=3000)
    ap.add_argument("--provider-timeout-ms", type=int, default=1500)
    ap.add_argument("--retry-window", type=int)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--p5xx", type=float, default=0.30)
    ap.add_argument("--ptimeout", type=float, default=0.05)
    ap.add_argument("--p429", type=float, default=0.03)
    ap.add_argument("--down-for", type=float, default=20.0)
    ap.add_argument("--fault-tail", type=float, default=5.0,
                    help="seconds worker kills go on after sending ends")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--out", help="JSON report file")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (logs, AOF, stub log)")
    a = ap.parse_args(argv)
    if a.n is None:
        a.n = 2000 if a.quick else 10000
    if a.duration is None:
        a.duration = 25.0 if a.quick else 100.0
    if a.retry_window is None:
        a.retry_window = 35 if a.quick else 90
    return a


def main(argv=None):
    a = parse(argv if argv is not None else sys.argv[1:])
    work = tempfile.mkdtemp(prefix="bode-chaos-")
    procs = Procs(a, work)
    started = time.time()
    rep = None
    try:
        procs.start_redis()
        run = Run(a, procs)
        run.setup()
        procs.start_stub()
        procs.start_api()
        for slot in range(a.workers):
            procs.start_worker(slot)
        log("N=%d over %.0f s, appendfsync %s, work dir %s"
            % (a.n, a.duration, a.fsync, work))
        threads = [threading.Thread(target=run.nemesis_workers),
                   threading.Thread(target=run.nemesis_timeline)]
        for t in threads:
            t.start()
        run.clients()
        for t in threads:
            t.join()
        held = run.wait_final()
        # The recovery watchers finish once takeovers are done.
        wait_until(lambda: all("recovered_s" in k for k in run.kills),
                   3 * a.visibility_ms / 1000 + 30, what="recovery watchers")
        time.sleep(1.0)  # let the stub log settle
        rep = run.report(held, time.time() - started)
        rep["work_dir"] = work if a.keep else None
    finally:
        procs.stop_all()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(rep, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(summary(rep), flush=True)
    return 0 if rep["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
