"""Delivery end to end with real parts: bode api and bode worker against a
real redis-server, the sandbox provider, and a fake JSON gateway (Bode's
generic http provider) that can be down, slow or fine. Covers delivered
statuses, test keys' simulated outcomes, failover, retries, a worker killed
mid-batch, and logs that never carry recipients or content."""
import hashlib
import hmac
import http.server
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request, wait_until)
from test_api_v2 import token  # noqa: E402


class Gateway:
    """A JSON gateway: mode "ok" answers 200 {"id": ...}, "down" 503,
    "slow" 200 after `delay` seconds. Records the ids it was sent."""

    def __init__(self):
        self.mode = "ok"
        self.delay = 1.5
        self.seen = []
        self.lock = threading.Lock()
        gw = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def handle(self):
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker was killed mid-request, on purpose

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with gw.lock:
                    gw.seen.append(json.loads(body)["id"])
                    n = len(gw.seen)
                if gw.mode == "down":
                    self.send_response(503)
                    self.end_headers()
                    return
                if gw.mode == "slow":
                    time.sleep(gw.delay)
                out = json.dumps({"id": f"gw-{n}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def count(self, nid):
        with self.lock:
            return self.seen.count(nid)

    def stop(self):
        self.server.shutdown()


class CallbackReceiver:
    """An HTTPS endpoint with a self-signed certificate that records the
    callbacks it gets; fails with 503 the first `failures` times."""

    def __init__(self, directory, failures=0):
        self.cert = os.path.join(directory, "cb.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", self.cert, "-out", self.cert, "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=60)
        self.calls = []
        self.failures = failures
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                rx.calls.append((dict(self.headers), body))
                status = 503 if rx.failures > 0 else 200
                rx.failures -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert)
        self.server.socket = ctx.wrap_socket(self.server.socket,
                                             server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/cb"
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()


class DeliveryTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.gw = Gateway()
        self.outbox = os.path.join(self.redis.dir, "outbox.jsonl")
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Delivery")
        self.live = self.cli("key", "create", self.sid, "--type", "live")
        self.test = self.cli("key", "create", self.sid, "--type", "test")
        self.email_t = self.cli(
            "template", "create", self.sid, "--type", "email", "--name", "E",
            "--subject", "Hello ((name))", "--body",
            "# Heading\n\nDear ((name)), see https://example.org")
        self.sms_t = self.cli("template", "create", self.sid, "--type",
                              "sms", "--name", "S", "--body",
                              "Code ((code))")
        self.api = Bode(["api"], env={"BODE_REDIS_URL": self.redis.url})
        self.api.wait_http()
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.cleanup()
        self.api.stop()
        self.api.cleanup()
        self.gw.stop()
        self.redis.stop()

    def cli(self, *args):
        out = subprocess.run([BODE, *args], env=self.env, capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def worker(self, **env):
        base = {"BODE_REDIS_URL": self.redis.url,
                "BODE_SANDBOX_OUTBOX": self.outbox,
                "BODE_HTTP_URL": self.gw.url,
                "BODE_HTTP_BODY_TEMPLATE": '{"id": "${id}", "to": "${to}"}',
                "BODE_HTTP_ACCEPTED_STATUS": "delivered",
                "BODE_RETRY_BASE_S": "1",
                "BODE_PROVIDER_TIMEOUT_MS": "5000"}
        base.update(env)
        w = Bode(["worker"], env=base)
        self.workers.append(w)
        return w

    def send(self, key, kind, to, personalisation):
        field = "email_address" if kind == "email" else "phone_number"
        tid = self.email_t if kind == "email" else self.sms_t
        body = json.dumps({field: to, "template_id": tid,
                           "personalisation": personalisation}).encode()
        status, _, data = request(
            self.api.port, "POST", f"/v2/notifications/{kind}", body,
            {"Authorization": "Bearer " + token(self.sid, key[-36:])})
        self.assertEqual(status, 201, data)
        return data["id"]

    def status(self, key, nid):
        _, _, data = request(
            self.api.port, "GET", f"/v2/notifications/{nid}", None,
            {"Authorization": "Bearer " + token(self.sid, key[-36:])})
        return data["status"]

    def wait_status(self, key, nid, want, timeout=20):
        wait_until(lambda: self.status(key, nid) == want, timeout,
                   what=f"{nid} to be {want} (is {self.status(key, nid)})")

    def outbox_lines(self):
        if not os.path.exists(self.outbox):
            return []
        with open(self.outbox) as f:
            return [json.loads(line) for line in f]

    def test_sandbox_delivers_email_and_sms(self):
        self.worker()
        e = self.send(self.live, "email", "someone@example.com",
                      {"name": "Ada Secretname"})
        s = self.send(self.live, "sms", "07700900123", {"code": "918273"})
        self.wait_status(self.live, e, "delivered")
        self.wait_status(self.live, s, "delivered")
        by_id = {m["id"]: m for m in self.outbox_lines()}
        self.assertIn("Hello Ada Secretname", json.dumps(by_id[e]))
        self.assertIn("918273", json.dumps(by_id[s]))
        # Nothing personal in any log line, from the API or the worker.
        logs = self.api.output() + self.workers[0].output()
        for secret in ("Secretname", "someone@example.com", "918273",
                       "447700900123", self.live[-36:]):
            self.assertNotIn(secret, logs)
        # The request id follows the notification into the worker's log.
        accepted = [l for l in self.api.log_lines()
                    if l["msg"] == "notification accepted"
                    and l["notification_id"] == e][0]
        handed = [l for l in self.workers[0].log_lines()
                  if l.get("notification_id") == e
                  and l["msg"] == "handed to provider"][0]
        self.assertEqual(accepted["request_id"], handed["request_id"])

    def test_lanes_priority_first_bulk_not_starved(self):
        lanes = {}
        for lane in ("priority", "bulk"):
            lanes[lane] = self.cli("template", "create", self.sid, "--type",
                                   "sms", "--name", lane, "--lane", lane,
                                   "--body", lane + " ((code))")
        lanes["normal"] = self.sms_t

        def send(lane, i):
            body = json.dumps({"phone_number": "07700900123",
                               "template_id": lanes[lane],
                               "personalisation": {"code": str(i)}}).encode()
            status, _, data = request(
                self.api.port, "POST", "/v2/notifications/sms", body,
                {"Authorization": "Bearer " + token(self.sid,
                                                    self.live[-36:])})
            self.assertEqual(status, 201, data)
            return data["id"]

        # Queued before any worker runs: bulk first, priority last.
        ids = {"bulk": [send("bulk", i) for i in range(12)],
               "normal": [send("normal", i) for i in range(12)],
               "priority": [send("priority", i) for i in range(2)]}
        self.worker(BODE_WORKER_BATCH="4")
        wait_until(lambda: len(self.outbox_lines()) == 26, 30,
                   what="all 26 delivered")
        order = [m["id"] for m in self.outbox_lines()]
        lane_of = {nid: lane for lane, group in ids.items() for nid in group}
        seq = [lane_of[nid] for nid in order]
        self.assertEqual(seq[:2], ["priority", "priority"])
        last_normal = max(i for i, l in enumerate(seq) if l == "normal")
        first_bulk = seq.index("bulk")
        # Normal is favoured, but bulk moves from the first rounds on.
        self.assertLess(first_bulk, last_normal)
        self.assertEqual(seq[-1], "bulk")

    def test_test_key_outcomes_are_simulated(self):
        self.worker()
        cases = {
            self.send(self.test, "email", "someone@example.com",
                      {"name": "x"}): "delivered",
            self.send(self.test, "email", "temp-fail@simulator.notify",
                      {"name": "x"}): "temporary-failure",
            self.send(self.test, "email", "perm-fail@simulator.notify",
                      {"name": "x"}): "permanent-failure",
            self.send(self.test, "sms", "07700900003",
                      {"code": "1"}): "temporary-failure",
            self.send(self.test, "sms", "07700900002",
                      {"code": "1"}): "permanent-failure",
        }
        for nid, want in cases.items():
            self.wait_status(self.test, nid, want)
        self.assertEqual(self.outbox_lines(), [])
        self.assertEqual(self.gw.seen, [])

    def test_failover_to_the_next_provider(self):
        self.gw.mode = "down"
        self.worker(BODE_SMS_PROVIDERS="http,sandbox")
        nid = self.send(self.live, "sms", "07700900123", {"code": "5150"})
        self.wait_status(self.live, nid, "delivered")
        self.assertEqual(self.gw.count(nid), 1)
        self.assertEqual([m["id"] for m in self.outbox_lines()], [nid])
        # The worker drops its rendered copy once a provider holds one; the
        # next provider must still get the whole message.
        self.assertIn("5150", self.outbox_lines()[0]["sms_text"])

    def test_temporary_errors_are_retried(self):
        self.gw.mode = "down"
        self.worker(BODE_SMS_PROVIDERS="http")
        nid = self.send(self.live, "sms", "07700900123", {"code": "1"})
        wait_until(lambda: self.gw.count(nid) >= 2, 20,
                   what="a retry to reach the gateway")
        self.assertEqual(self.status(self.live, nid), "created")
        self.gw.mode = "ok"
        self.wait_status(self.live, nid, "delivered", timeout=30)

    def test_killed_worker_loses_nothing(self):
        self.gw.mode = "slow"
        first = self.worker(BODE_SMS_PROVIDERS="http",
                            BODE_VISIBILITY_TIMEOUT_MS="2000")
        ids = [self.send(self.live, "sms", "07700900123", {"code": str(i)})
               for i in range(20)]
        wait_until(lambda: len(self.gw.seen) >= 5, 20,
                   what="requests in flight")
        first.proc.kill()
        first.proc.wait()
        # Let the gateway finish reading what was already on the wire.
        time.sleep(0.5)
        with self.gw.lock:
            at_gateway = set(self.gw.seen)
        self.gw.mode = "ok"
        self.worker(BODE_SMS_PROVIDERS="http",
                    BODE_VISIBILITY_TIMEOUT_MS="2000")
        for nid in ids:
            self.wait_status(self.live, nid, "delivered", timeout=40)
        for nid in ids:
            # Only a request that was already at the gateway when the
            # worker died may be sent again.
            self.assertLessEqual(self.gw.count(nid), 2)
        twice = {n for n in ids if self.gw.count(n) == 2}
        self.assertLessEqual(twice, at_gateway)

    def test_reads_no_more_than_it_can_start(self):
        # Regression (found by scripts/chaos): XREADGROUP's COUNT is per
        # stream, and a worker used to read a whole batch from every
        # stream into its pending list while it had room for fewer; the
        # rest sat unstarted until a take-over after the visibility
        # timeout (30 s here), each take-over counting towards the
        # dead-letter limit.
        self.gw.mode = "slow"
        self.gw.delay = 0.2
        ids = [self.send(self.live, "sms", "07700900123", {"code": str(i)})
               for i in range(8)]
        ids += [self.send(self.live, "email", "someone@example.com",
                          {"name": str(i)}) for i in range(8)]
        self.worker(BODE_SMS_PROVIDERS="http", BODE_EMAIL_PROVIDERS="http",
                    BODE_WORKER_CONCURRENCY="3")
        for nid in ids:
            self.wait_status(self.live, nid, "delivered", timeout=15)
        self.assertEqual(sorted(set(self.gw.seen)), sorted(ids))

    def test_takeover_waits_out_a_dead_workers_lease(self):
        # Regression (found by scripts/chaos): a take-over that found the
        # lease of a worker that had just died still running acknowledged
        # the queue entry, leaving the notification "created" with no
        # entry: never delivered, never final.
        nid = self.send(self.live, "sms", "07700900123", {"code": "1"})
        stream = "bode:{s:%s}:q:sms:normal" % self.sid
        record = "bode:{s:%s}:n:%s" % (self.sid, nid)
        # A worker read the entry, claimed the notification, then died.
        self.redis.cli("XGROUP", "CREATE", stream, "workers", "0",
                       "MKSTREAM")
        self.redis.cli("XREADGROUP", "GROUP", "workers", "dead:1", "COUNT",
                       "1", "STREAMS", stream, ">")
        until = int((time.time() + 2.5) * 1e6)
        self.redis.cli("HSET", record, "lease_until", str(until),
                       "lease_owner", "dead:1", "attempts", "1")
        self.worker(BODE_SMS_PROVIDERS="http",
                    BODE_VISIBILITY_TIMEOUT_MS="1000")
        self.wait_status(self.live, nid, "delivered", timeout=15)
        self.assertEqual(self.gw.count(nid), 1)

    def test_receipts_move_status_forward_only(self):
        self.api.cleanup()
        self.api = Bode(["api"], env={
            "BODE_REDIS_URL": self.redis.url, "BODE_SMS_PROVIDERS": "http",
            "BODE_HTTP_URL": self.gw.url,
            "BODE_HTTP_RECEIPT_SECRET": "receipt-secret-123"})
        self.api.wait_http()
        self.worker(BODE_SMS_PROVIDERS="http",
                    BODE_HTTP_ACCEPTED_STATUS="sending",
                    BODE_HTTP_RECEIPT_SECRET="receipt-secret-123")
        nid = self.send(self.live, "sms", "07700900123", {"code": "1"})
        self.wait_status(self.live, nid, "sending")
        ref = "gw-%d" % len(self.gw.seen)

        def receipt(status, secret="receipt-secret-123"):
            body = json.dumps({"reference": ref, "status": status}).encode()
            return request(self.api.port, "POST",
                           "/notifications/receipts/http", body,
                           {"X-Bode-Receipt-Secret": secret})

        self.assertEqual(receipt("delivered", secret="wrong")[0], 403)
        self.assertEqual(self.status(self.live, nid), "sending")
        code, _, body = receipt("delivered")
        self.assertEqual((code, body["applied"]), (200, 1))
        self.assertEqual(self.status(self.live, nid), "delivered")
        # A late "sending" never moves it back (alphagov#2916).
        code, _, body = receipt("sending")
        self.assertEqual((code, body["applied"]), (200, 0))
        self.assertEqual(self.status(self.live, nid), "delivered")
        self.assertEqual(request(self.api.port, "POST",
                                 "/notifications/receipts/nope", b"{}")[0],
                         404)

    def test_delivery_status_callback(self):
        rx = CallbackReceiver(self.redis.dir)
        try:
            token_ = "callback-token-0123456789"
            self.cli("service", "update", self.sid, "--callback-url", rx.url,
                     "--callback-token", token_)
            self.worker(BODE_CALLBACK_CA_FILE=rx.cert)
            nid = self.send(self.live, "sms", "07700900123", {"code": "1"})
            self.wait_status(self.live, nid, "delivered")
            wait_until(lambda: rx.calls, 20, what="the callback")
            headers, body = rx.calls[0]
            data = json.loads(body)
            self.assertEqual(headers["Authorization"], "Bearer " + token_)
            expected = hmac.new(token_.encode(), body,
                                hashlib.sha256).hexdigest()
            self.assertEqual(headers["X-Bode-Signature"], "sha256=" + expected)
            self.assertEqual(data["id"], nid)
            self.assertEqual(data["status"], "delivered")
            self.assertEqual(data["to"], "447700900123")
            self.assertEqual(data["notification_type"], "sms")
            self.assertEqual(data["template_id"], self.sms_t)
            self.assertEqual(data["template_version"], 1)
            for key in ("reference", "created_at", "completed_at", "sent_at"):
                self.assertIn(key, data)
        finally:
            rx.stop()

    def test_callbacks_are_retried(self):
        rx = CallbackReceiver(self.redis.dir, failures=2)
        try:
            self.cli("service", "update", self.sid, "--callback-url", rx.url,
                     "--callback-token", "callback-token-0123456789")
            self.worker(BODE_CALLBACK_CA_FILE=rx.cert,
                        BODE_CALLBACK_RETRY_S="1")
            nid = self.send(self.live, "sms", "07700900123", {"code": "1"})
            wait_until(lambda: len(rx.calls) >= 3, 30,
                       what="two failed attempts and a good one")
            time.sleep(2.5)
            self.assertEqual(len(rx.calls), 3)
            self.assertTrue(all(json.loads(b)["id"] == nid
                                for _, b in rx.calls))
        finally:
            rx.stop()

    def test_sigterm_drains_and_exits_zero(self):
        self.gw.mode = "slow"
        self.gw.delay = 0.5
        w = self.worker(BODE_SMS_PROVIDERS="http")
        nid = self.send(self.live, "sms", "07700900123", {"code": "1"})
        wait_until(lambda: self.gw.count(nid) == 1, 20, what="in flight")
        w.proc.send_signal(signal.SIGTERM)
        self.assertEqual(w.proc.wait(timeout=20), 0)
        self.wait_status(self.live, nid, "delivered")


if __name__ == "__main__":
    unittest.main(verbosity=2)
