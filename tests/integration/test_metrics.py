"""GET /metrics on the API and on a worker's own listener, end to end:
bode api and bode worker against a real redis-server with the sandbox
provider; sends notifications (and one over the rate limit), seeds queue
levels Redis-side, scrapes both endpoints and checks series and values."""
import http.client
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     free_port, request, wait_until)
from test_api_v2 import token  # noqa: E402
from test_delivery import CallbackReceiver  # noqa: E402

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Prometheus text format into {(name, ((label, value), ...)): value},
    checking that every sample's family has HELP and TYPE first."""
    samples, typed = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            typed[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"bad sample line: {line!r}"
        name, labels, value = m.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or base in typed, f"no TYPE for {name}"
        key = (name, tuple(sorted(LABEL.findall(labels or ""))))
        samples[key] = float(value)
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def total(samples, name, **labels):
    """Sum over the series of name whose labels include labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items()
               if n == name and want <= set(ls))


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.rx = CallbackReceiver(self.redis.dir, failures=1)
        self.outbox = os.path.join(self.redis.dir, "outbox.jsonl")
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Metrics",
                            "--rate-limit", "6", "--callback-url",
                            self.rx.url, "--callback-token",
                            "a-callback-token-of-some-length")
        self.live = self.cli("key", "create", self.sid, "--type", "live")
        self.test = self.cli("key", "create", self.sid, "--type", "test")
        self.email_t = self.cli("template", "create", self.sid, "--type",
                                "email", "--name", "E", "--subject", "Hi",
                                "--body", "Hello ((name))")
        self.sms_t = self.cli("template", "create", self.sid, "--type",
                              "sms", "--name", "S", "--body", "Code ((c))")
        # Queue levels seeded before the worker starts: one entry pending
        # with a consumer that is not running (queued 1 s past the epoch),
        # two retries and one dead letter.
        lane = f"bode:{{s:{self.sid}}}:q:sms:bulk"
        self.redis.cli("XADD", lane, "1000-1", "n", "ghost")
        self.redis.cli("XGROUP", "CREATE", lane, "workers", "0")
        self.redis.cli("XREADGROUP", "GROUP", "workers", "ghost", "COUNT",
                       "1", "STREAMS", lane, ">")
        due = "4102444800000000"  # 2100, so the worker does not promote
        self.redis.cli("ZADD", f"bode:{{s:{self.sid}}}:retry", due, "a", due,
                       "b")
        self.redis.cli("XADD", f"bode:{{s:{self.sid}}}:dead", "*", "n", "x")

        self.api = Bode(["api"], env={"BODE_REDIS_URL": self.redis.url})
        self.api.wait_http()
        self.worker = None

    def start_worker(self):
        self.wport = free_port()
        self.worker = Bode(["worker"], env={
            "BODE_REDIS_URL": self.redis.url,
            "BODE_SANDBOX_OUTBOX": self.outbox,
            "BODE_CALLBACK_CA_FILE": self.rx.cert,
            "BODE_VISIBILITY_TIMEOUT_MS": "3600000",
            "BODE_WORKER_METRICS_PORT": str(self.wport)})

    def tearDown(self):
        if self.worker:
            self.worker.stop()
            self.worker.cleanup()
        self.api.stop()
        self.api.cleanup()
        self.rx.stop()
        self.redis.stop()

    def cli(self, *args):
        out = subprocess.run([BODE, *args], env=self.env, capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def send(self, key, kind, to, pers):
        field = "email_address" if kind == "email" else "phone_number"
        tid = self.email_t if kind == "email" else self.sms_t
        body = json.dumps({field: to, "template_id": tid,
                           "personalisation": pers}).encode()
        return request(self.api.port, "POST", f"/v2/notifications/{kind}",
                       body, {"Authorization": "Bearer " +
                              token(self.sid, key[-36:])})

    def scrape(self, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            text = resp.read().decode()
            status = resp.status
            headers = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        self.assertEqual(status, 200, text)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4")
        return text, parse(text)

    def test_unread_backlog_without_workers(self):
        # The email lane has its consumer group (Redis knows the lag); the
        # SMS lane has none yet (every entry is unread).
        self.redis.cli("XGROUP", "CREATE",
                       f"bode:{{s:{self.sid}}}:q:email:normal", "workers",
                       "$", "MKSTREAM")
        for kind, to, pers in (("email", "one@example.com", {"name": "A"}),
                               ("sms", "07700900123", {"c": "1"})):
            status, _, data = self.send(self.live, kind, to, pers)
            self.assertEqual(status, 201, data)
        time.sleep(0.3)
        _, a = self.scrape(self.api.port)
        self.assertEqual(value(a, "bode_queue_unread", lane="normal"), 2)
        self.assertEqual(value(a, "bode_queue_depth", lane="normal"), 2)
        age = value(a, "bode_queue_oldest_unread_age_seconds", lane="normal")
        self.assertGreaterEqual(age, 0.3)
        self.assertLess(age, 60)
        self.assertEqual(value(a, "bode_queue_pending", lane="normal"), 0)
        # The seeded pending entry of setUp is read: not unread.
        self.assertEqual(value(a, "bode_queue_unread", lane="bulk"), 0)
        self.assertEqual(value(a, "bode_queue_pending", lane="bulk"), 1)

    def test_api_and_worker_metrics(self):
        self.start_worker()
        # Rate 6 a minute: a bucket of ceil(6 / 3) + 1 = 3 sends.
        # Rate 6 a minute: a bucket of ceil(6 / 3) + 1 = 3 sends.
        ids = []
        for kind, to, pers in (("email", "one@example.com", {"name": "A"}),
                               ("sms", "07700900123", {"c": "1"}),
                               ("email", "two@example.com", {"name": "B"})):
            status, _, data = self.send(self.live, kind, to, pers)
            self.assertEqual(status, 201, data)
            ids.append(data["id"])
        status, _, _ = self.send(self.live, "sms", "07700900123", {"c": "2"})
        self.assertEqual(status, 429)
        status, _, _ = self.send(self.test, "email", "t@example.com",
                                 {"name": "T"})
        self.assertEqual(status, 201)

        # Worker side: three hand-overs to the sandbox, and the callbacks
        # (the receiver fails the first with 503: one retry).
        wait_until(lambda: len(self.rx.calls) >= 4, 30,
                   what="callbacks for every notification")

        def worker_metrics():
            return self.scrape(self.wport)[1]

        wait_until(lambda: total(worker_metrics(),
                                 "bode_worker_outcomes_total") == 3,
                   20, what="three provider outcomes")
        wait_until(lambda: value(worker_metrics(),
                                 "bode_worker_callbacks_total",
                                 result="sent") == 3,
                   20, what="three callbacks counted as sent")
        w = worker_metrics()
        self.assertEqual(value(w, "bode_worker_outcomes_total",
                               channel="email", provider="sandbox",
                               outcome="delivered"), 2)
        self.assertEqual(value(w, "bode_worker_outcomes_total",
                               channel="sms", provider="sandbox",
                               outcome="delivered"), 1)
        self.assertEqual(value(w, "bode_worker_provider_request_duration"
                               "_seconds_count", provider="sandbox"), 3)
        self.assertEqual(value(w, "bode_worker_handover_seconds_count",
                               lane="normal"), 3)
        self.assertEqual(value(w, "bode_worker_handover_seconds_bucket",
                               lane="normal", le="+Inf"), 3)
        self.assertGreater(value(w, "bode_worker_handover_seconds_sum",
                                 lane="normal"), 0)
        self.assertEqual(value(w, "bode_worker_circuit_breaker_state",
                               channel="email", provider="sandbox"), 0)
        self.assertEqual(value(w, "bode_worker_circuit_breaker_state",
                               channel="sms", provider="sandbox"), 0)
        self.assertEqual(value(w, "bode_worker_callbacks_total",
                               result="retry"), 1)
        self.assertEqual(value(w, "bode_worker_callbacks_total",
                               result="sent"), 3)
        # The worker's listener serves nothing of the API.
        self.assertNotIn(("bode_queue_depth", (("lane", "normal"),)), w)
        status, _, _ = request(self.wport, "GET", "/_status/live")
        self.assertEqual(status, 200)
        status, _, _ = request(self.wport, "GET", "/v2/notifications")
        self.assertEqual(status, 404)

        text, a = self.scrape(self.api.port)
        for family in ("bode_http_requests_total",
                       "bode_http_request_duration_seconds",
                       "bode_notifications_accepted_total",
                       "bode_rate_limit_rejections_total",
                       "bode_queue_depth", "bode_queue_pending",
                       "bode_queue_oldest_pending_age_seconds",
                       "bode_queue_retry_scheduled",
                       "bode_queue_dead_letters"):
            self.assertIn(f"# HELP {family} ", text)
            self.assertIn(f"# TYPE {family} ", text)
        self.assertEqual(value(a, "bode_notifications_accepted_total",
                               channel="email", key_type="normal"), 2)
        self.assertEqual(value(a, "bode_notifications_accepted_total",
                               channel="sms", key_type="normal"), 1)
        self.assertEqual(value(a, "bode_notifications_accepted_total",
                               channel="email", key_type="test"), 1)
        self.assertEqual(value(a, "bode_rate_limit_rejections_total",
                               limit="rate"), 1)
        self.assertEqual(value(a, "bode_http_requests_total", method="POST",
                               route="/v2/notifications/email",
                               status="201"), 3)
        self.assertEqual(value(a, "bode_http_requests_total", method="POST",
                               route="/v2/notifications/sms",
                               status="429"), 1)
        self.assertGreaterEqual(
            value(a, "bode_http_request_duration_seconds_count",
                  route="/v2/notifications/email"), 3)
        # Routes are patterns: no notification id ever becomes a label.
        for nid in ids:
            self.assertNotIn(nid, text)
        # Queue levels: the seeded pending entry, retries, dead letter;
        # the four accepted entries are all in the normal lanes.
        self.assertEqual(value(a, "bode_queue_levels_up"), 1)
        self.assertEqual(value(a, "bode_queue_pending", lane="bulk"), 1)
        self.assertGreater(value(a, "bode_queue_oldest_pending_age_seconds",
                                 lane="bulk"), 1e9)
        self.assertEqual(value(a, "bode_queue_pending", lane="normal"), 0)
        self.assertEqual(value(a, "bode_queue_depth", lane="normal"), 4)
        self.assertEqual(value(a, "bode_queue_depth", lane="bulk"), 1)
        self.assertEqual(value(a, "bode_queue_depth", lane="priority"), 0)
        self.assertEqual(value(a, "bode_queue_unread", lane="normal"), 0)
        self.assertEqual(value(a, "bode_queue_oldest_unread_age_seconds",
                               lane="normal"), 0)
        self.assertEqual(value(a, "bode_queue_unread", lane="bulk"), 0)
        self.assertEqual(value(a, "bode_queue_retry_scheduled"), 2)
        self.assertEqual(value(a, "bode_queue_dead_letters"), 1)


if __name__ == "__main__":
    unittest.main()
