"""Operator commands end to end: bode api and bode worker (sandbox provider)
against a real redis-server, then `bode notification show|list`, `bode
queue stats`, `bode stats`, the dead-letter commands and `bode janitor
run`, in table and JSON form."""
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


class OpsTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.outbox = os.path.join(self.redis.dir, "outbox.jsonl")
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Ops")
        self.live = self.cli("key", "create", self.sid, "--type", "live")
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
        self.redis.stop()

    def run_cli(self, *args):
        return subprocess.run([BODE, *args], env=self.env,
                              capture_output=True, text=True, timeout=30)

    def cli(self, *args):
        out = self.run_cli(*args)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json"))

    def worker(self, **env):
        base = {"BODE_REDIS_URL": self.redis.url,
                "BODE_SANDBOX_OUTBOX": self.outbox}
        base.update(env)
        w = Bode(["worker"], env=base)
        self.workers.append(w)
        return w

    def send(self, code):
        body = json.dumps({"phone_number": "07700900123",
                           "template_id": self.sms_t,
                           "personalisation": {"code": code}}).encode()
        status, _, data = request(
            self.api.port, "POST", "/v2/notifications/sms", body,
            {"Authorization": "Bearer " + token(self.sid, self.live[-36:])})
        self.assertEqual(status, 201, data)
        return data["id"]

    def status(self, nid):
        return self.cli_json("notification", "show", nid)["record"]["status"]

    def test_show_list_stats_and_janitor(self):
        self.worker()
        ids = [self.send("secret-%d" % i) for i in range(3)]
        for nid in ids:
            wait_until(lambda: self.status(nid) == "delivered", 20,
                       what=f"{nid} delivered")

        shown = self.cli_json("notification", "show", ids[0])
        self.assertEqual(shown["service_id"], self.sid)
        self.assertIn("secret-0", shown["record"]["personalisation"])
        steps = [h["status"] for h in shown["history"]]
        self.assertEqual(steps[-1], "delivered")
        table = self.cli("notification", "show", ids[0], "--service",
                         self.sid)
        self.assertIn("delivered", table)
        self.assertIn("history:", table)
        self.assertNotIn("secret-0", table)  # personal data only in JSON

        listed = self.cli_json("notification", "list", self.sid)
        self.assertEqual([n["id"] for n in listed], list(reversed(ids)))
        self.assertEqual(self.cli_json("notification", "list", self.sid,
                                       "--limit", "2")[0]["id"], ids[2])
        self.assertEqual(len(self.cli_json("notification", "list", self.sid,
                                           "--status", "created")), 0)
        self.assertEqual(len(self.cli_json("notification", "list", self.sid,
                                           "--since", "1h")), 3)
        self.assertEqual(len(self.cli_json(
            "notification", "list", self.sid, "--since",
            "2099-01-01T00:00:00Z")), 0)
        self.assertIn(ids[1], self.cli("notification", "list", self.sid))

        missing = self.run_cli("notification", "show",
                               "00000000-0000-4000-8000-000000000000")
        self.assertEqual(missing.returncode, 2)
        self.assertIn("not found", missing.stderr)

        stats = self.cli_json("stats", self.sid)
        self.assertEqual(stats["channels"]["sms"]["delivered"], 3)
        self.assertEqual(stats["channels"]["email"]["delivered"], 0)
        self.assertIn("sms", self.cli("stats", self.sid))
        old = self.cli_json("stats", self.sid, "--day", "2001-01-01")
        self.assertEqual(old["channels"]["sms"]["delivered"], 0)

        q = self.cli_json("queue", "stats")
        self.assertEqual(q["lanes"]["normal"]["pending"], 0)
        self.assertEqual(q["dead"], 0)
        self.assertIn("normal", self.cli("queue", "stats"))

        jan = self.cli_json("janitor", "run")
        self.assertEqual(jan["index_entries"], 0)  # nothing old yet
        self.assertIn("removed", self.cli("janitor", "run"))

        bad = self.run_cli("stats", self.sid, "--day", "yesterday")
        self.assertEqual(bad.returncode, 2)

    def test_dead_letters_list_retry_drop(self):
        # Three notifications handed to a consumer that died: with one
        # delivery allowed, the worker's take-over dead-letters them.
        ids = [self.send(str(i)) for i in range(3)]
        lane = f"bode:{{s:{self.sid}}}:q:sms:normal"
        self.redis.cli("XGROUP", "CREATE", lane, "workers", "0")
        self.redis.cli("XREADGROUP", "GROUP", "workers", "ghost", "COUNT",
                       "10", "STREAMS", lane, ">")
        w = self.worker(BODE_VISIBILITY_TIMEOUT_MS="1000",
                        BODE_MAX_DELIVERIES="1")
        wait_until(lambda: len(self.cli_json("queue", "dead", "list")) == 3,
                   20, what="three dead letters")
        for nid in ids:
            self.assertEqual(self.status(nid), "technical-failure")
        q = self.cli_json("queue", "stats")
        self.assertEqual(q["dead"], 3)
        dead = self.cli_json("queue", "dead", "list", self.sid)
        self.assertEqual(sorted(d["notification_id"] for d in dead),
                         sorted(ids))
        self.assertIn(ids[0], self.cli("queue", "dead", "list"))

        # One retried by id, one dropped by id, then --all for the rest.
        by_n = {d["notification_id"]: d["entry_id"] for d in dead}
        w.stop()
        self.cli("queue", "dead", "retry", self.sid, by_n[ids[0]])
        self.cli("queue", "dead", "drop", self.sid, by_n[ids[1]])
        gone = self.run_cli("queue", "dead", "drop", self.sid, by_n[ids[1]])
        self.assertEqual(gone.returncode, 2)
        bulk = self.run_cli("queue", "dead", "retry", self.sid, "--all")
        self.assertEqual(bulk.returncode, 0, bulk.stderr)
        self.assertIn("1 requeued", bulk.stdout)
        self.assertIn("requeued", bulk.stderr)  # progress
        self.assertEqual(self.cli_json("queue", "dead", "list"), [])

        self.worker()
        for nid in (ids[0], ids[2]):
            wait_until(lambda: self.status(nid) == "delivered", 20,
                       what=f"{nid} delivered after retry")
        self.assertEqual(self.status(ids[1]), "technical-failure")
        steps = [h["detail"] for h in self.cli_json(
            "notification", "show", ids[0])["history"]]
        self.assertTrue(any("dead letter" in s for s in steps), steps)
        stats = self.cli_json("stats", self.sid)["channels"]["sms"]
        self.assertEqual(stats["delivered"], 2)
        self.assertEqual(stats["failed"], 3)


if __name__ == "__main__":
    unittest.main()
