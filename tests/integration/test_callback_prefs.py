"""Delivery preferences for callbacks, end to end with a real worker and an
HTTPS receiver: only the statuses a service asked for are reported; an
endpoint that keeps failing is paused with its callbacks kept (not
dropped), probed, and resumed by a good probe or by an operator."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request, wait_until)
from test_api_v2 import token  # noqa: E402
from test_delivery import CallbackReceiver  # noqa: E402

DELIVERED = "07700900123"
PERMANENT = "07700900002"  # Notify's test-key permanent-failure number


class CallbackPrefsTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.rx = CallbackReceiver(self.redis.dir)
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Callbacks",
                            "--callback-url", self.rx.url, "--callback-token",
                            "callback-token-0123456789")
        self.key = self.cli("key", "create", self.sid, "--type", "test")
        self.tpl = self.cli("template", "create", self.sid, "--type", "sms",
                            "--name", "S", "--body", "Code 1")
        self.api = Bode(["api"], env={"BODE_REDIS_URL": self.redis.url})
        self.api.wait_http()
        self.worker = None

    def tearDown(self):
        if self.worker:
            self.worker.cleanup()
        self.api.stop()
        self.api.cleanup()
        self.rx.stop()
        self.redis.stop()

    def run_cli(self, *args):
        return subprocess.run([BODE, *args], env=self.env,
                              capture_output=True, text=True, timeout=30)

    def cli(self, *args):
        out = self.run_cli(*args)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def state(self):
        return json.loads(self.cli("service", "callbacks", self.sid,
                                   "--json"))

    def start_worker(self, **env):
        base = {"BODE_REDIS_URL": self.redis.url,
                "BODE_CALLBACK_CA_FILE": self.rx.cert,
                "BODE_CALLBACK_RETRY_S": "1"}
        base.update(env)
        self.worker = Bode(["worker"], env=base)

    def send(self, to):
        body = json.dumps({"phone_number": to,
                           "template_id": self.tpl}).encode()
        status, _, data = request(
            self.api.port, "POST", "/v2/notifications/sms", body,
            {"Authorization": "Bearer " + token(self.sid, self.key[-36:])})
        self.assertEqual(status, 201, data)
        return data["id"]

    def reported(self):
        return [(json.loads(b)["id"], json.loads(b)["status"])
                for _, b in list(self.rx.calls)]

    def test_only_chosen_statuses_are_reported(self):
        self.assertEqual(self.state()["statuses"],
                         ["sent", "delivered", "permanent-failure",
                          "temporary-failure", "technical-failure",
                          "cancelled", "validation-failed"])
        self.cli("service", "callbacks", self.sid, "--statuses",
                 "permanent-failure,technical-failure")
        shown = json.loads(self.cli("service", "show", self.sid))
        self.assertEqual(shown["callback_statuses"],
                         ["permanent-failure", "technical-failure"])
        bad = self.run_cli("service", "callbacks", self.sid, "--statuses",
                           "created")
        self.assertEqual(bad.returncode, 2)
        self.start_worker()
        ok = self.send(DELIVERED)
        failed = self.send(PERMANENT)
        wait_until(lambda: len(self.rx.calls) >= 1, 20,
                   what="the permanent-failure callback")
        time.sleep(2)  # the delivered one would have come by now
        self.assertEqual(self.reported(), [(failed, "permanent-failure")])
        self.assertNotIn(ok, [i for i, _ in self.reported()])
        # "all" goes back to every final status.
        self.cli("service", "callbacks", self.sid, "--statuses", "all")
        time.sleep(5.5)  # the worker's service cache
        again = self.send(DELIVERED)
        wait_until(lambda: (again, "delivered") in self.reported(), 20,
                   what="the delivered callback")

    def test_failing_endpoint_is_paused_kept_and_resumed_by_a_probe(self):
        self.rx.failures = 10 ** 6
        self.start_worker(BODE_CALLBACK_PAUSE_AFTER="3",
                          BODE_CALLBACK_PROBE_S="2")
        ids = [self.send(DELIVERED) for _ in range(3)]
        wait_until(lambda: self.state()["paused"], 30, what="a pause")
        # Paused: nothing is dropped, every callback is kept.
        wait_until(lambda: self.state()["kept"] == 3, 30,
                   what=f"all three kept (state {self.state()})")
        self.assertEqual(self.state()["failures_in_a_row"] >= 3, True)
        shown = json.loads(self.cli("service", "show", self.sid))
        self.assertTrue(shown["callback_paused"])
        # Probes keep failing: one attempt per probe interval, no more.
        before = len(self.rx.calls)
        time.sleep(4.5)
        self.assertLessEqual(len(self.rx.calls) - before, 3)
        self.assertEqual(self.state()["kept"], 3)
        # The endpoint recovers: the next probe resumes the rest.
        healthy_from = len(self.rx.calls)
        self.rx.failures = 0
        wait_until(lambda: {i for i, _ in self.reported()[healthy_from:]}
                   >= set(ids), 30, what="every kept callback delivered")
        state = self.state()
        self.assertEqual((state["paused"], state["kept"],
                          state["failures_in_a_row"]), (False, 0, 0))
        log = self.worker.output()
        self.assertIn("callback endpoint paused", log)
        self.assertIn("callback endpoint healthy again", log)

    def test_operator_pause_and_resume(self):
        self.start_worker(BODE_CALLBACK_PROBE_S="3600")
        self.assertTrue(json.loads(self.cli("service", "callbacks", self.sid,
                                            "--pause"))["paused"])
        time.sleep(5.5)  # the worker's service cache
        nid = self.send(DELIVERED)
        wait_until(lambda: self.state()["kept"] == 1, 20, what="kept")
        self.assertEqual(self.rx.calls, [])
        out = self.run_cli("service", "callbacks", self.sid)
        self.assertIn("kept (parked)      1", out.stdout)
        self.assertFalse(json.loads(self.cli("service", "callbacks",
                                             self.sid, "--resume"))["paused"])
        wait_until(lambda: (nid, "delivered") in self.reported(), 20,
                   what="the kept callback after resume")


if __name__ == "__main__":
    unittest.main(verbosity=2)
