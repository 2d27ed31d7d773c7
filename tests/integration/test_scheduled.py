"""Scheduled sending end to end: bode api and bode worker with the sandbox
provider on a real redis-server. A notification with scheduled_for is
stored and counted at once but handed to the provider only once due;
cancelling one before it is due stops it for good; GC Notify's
validation texts for scheduled_for."""
import datetime
import http.client
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


def iso(seconds_ahead):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=seconds_ahead)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ScheduledTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.outbox = os.path.join(self.redis.dir, "outbox.jsonl")
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Scheduled",
                            "--email-limit", "3")
        self.key = self.cli("key", "create", self.sid, "--type", "live")
        self.tid = self.cli("template", "create", self.sid, "--type",
                            "email", "--name", "E", "--subject", "Hi",
                            "--body", "Hello ((name))")
        self.api = Bode(["api"], env={"BODE_REDIS_URL": self.redis.url})
        self.api.wait_http()
        self.worker = Bode(["worker"], env={
            "BODE_REDIS_URL": self.redis.url,
            "BODE_SANDBOX_OUTBOX": self.outbox})

    def tearDown(self):
        self.worker.stop()
        self.worker.cleanup()
        self.api.stop()
        self.api.cleanup()
        self.redis.stop()

    def cli(self, *args):
        out = subprocess.run([BODE, *args], env=self.env, capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def auth(self):
        return {"Authorization": "Bearer " + token(self.sid, self.key[-36:])}

    def post(self, path, body):
        return request(self.api.port, "POST", path,
                       json.dumps(body).encode(), self.auth())

    def send(self, scheduled_for, name="Ada"):
        return self.post("/v2/notifications/email", {
            "email_address": "someone@example.com", "template_id": self.tid,
            "personalisation": {"name": name},
            "scheduled_for": scheduled_for})

    def metric(self, name):
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port,
                                          timeout=10)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        self.fail(f"{name} not in /metrics")

    def get(self, nid):
        return request(self.api.port, "GET", f"/v2/notifications/{nid}",
                       None, self.auth())[2]

    def delivered_ids(self):
        if not os.path.exists(self.outbox):
            return []
        with open(self.outbox) as f:
            return [json.loads(line)["id"] for line in f]

    def test_sent_only_once_due(self):
        when = iso(4)
        status, _, data = self.send(when)
        self.assertEqual(status, 201, data)
        self.assertEqual(data["scheduled_for"], when)
        nid = data["id"]
        # Stored, listed and echoed at once; status created while waiting.
        got = self.get(nid)
        self.assertEqual(got["status"], "created")
        self.assertTrue(got["scheduled_for"].startswith(when[:19]))
        # Operators see it waiting, in the CLI and in the metrics.
        stats = json.loads(self.cli("queue", "stats", "--json"))
        self.assertEqual((stats["scheduled"], stats["scheduled_due"]), (1, 0))
        self.assertEqual(self.metric("bode_queue_scheduled"), 1)
        time.sleep(2)
        self.assertNotIn(nid, self.delivered_ids())
        self.assertEqual(self.get(nid)["status"], "created")
        wait_until(lambda: nid in self.delivered_ids(), 20,
                   what="the scheduled email to be delivered")
        sent_at = datetime.datetime.fromisoformat(
            self.get(nid)["sent_at"].replace("Z", "+00:00"))
        due = datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
        self.assertGreaterEqual(sent_at, due)
        wait_until(lambda: self.get(nid)["status"] == "delivered", 10,
                   what="delivered")
        stats = json.loads(self.cli("queue", "stats", "--json"))
        self.assertEqual(stats["scheduled"], 0)
        self.assertEqual(self.metric("bode_queue_scheduled"), 0)

    def test_cancel_before_due_stops_it(self):
        status, _, data = self.send(iso(3))
        self.assertEqual(status, 201, data)
        nid = data["id"]
        status, _, data = self.post(f"/v2/notifications/{nid}/cancel", {})
        self.assertEqual(status, 200, data)
        self.assertEqual(data["status"], "cancelled")
        self.assertIsNotNone(data["completed_at"])
        # A second cancel finds nothing waiting.
        status, _, data = self.post(f"/v2/notifications/{nid}/cancel", {})
        self.assertEqual(status, 400)
        self.assertEqual(data["errors"][0]["error"], "BadRequestError")
        self.assertIn("status cancelled", data["errors"][0]["message"])
        time.sleep(5)
        self.assertNotIn(nid, self.delivered_ids())
        self.assertEqual(self.get(nid)["status"], "cancelled")

    def test_cancel_refused_once_queued(self):
        status, _, data = self.send(None)
        self.assertEqual(status, 201, data)
        self.assertIsNone(data["scheduled_for"])
        nid = data["id"]
        status, _, data = self.post(f"/v2/notifications/{nid}/cancel", {})
        self.assertEqual(status, 400, data)
        self.assertTrue(data["errors"][0]["message"].startswith(
            "Notification cannot be cancelled"))
        wait_until(lambda: nid in self.delivered_ids(), 20, what="delivery")
        status, _, data = self.post(
            "/v2/notifications/8d3b6f0e-0000-4000-8000-000000000000/cancel",
            {})
        self.assertEqual(status, 404)
        status, _, data = self.post("/v2/notifications/nope/cancel", {})
        self.assertEqual(status, 400)
        self.assertEqual(data["errors"][0]["message"],
                         "notification_id is not a valid UUID")

    def test_daily_limit_counted_at_accept(self):
        for _ in range(3):
            status, _, data = self.send(iso(3600))
            self.assertEqual(status, 201, data)
        status, _, data = self.send(iso(3600))
        self.assertEqual(status, 429, data)
        self.assertEqual(data["errors"][0]["message"],
                         "Exceeded send limits (email: 3) for today")

    def test_validation_texts(self):
        cases = {
            "tomorrow-ish": "scheduled_for datetime format is invalid. It "
                            "must be a valid ISO8601 date time format, "
                            "https://en.wikipedia.org/wiki/ISO_8601",
            iso(-120): "scheduled_for datetime cannot be in the past",
            iso(97 * 3600): "scheduled_for datetime can only be up to 96 "
                            "hours in the future",
        }
        for value, message in cases.items():
            status, _, data = self.send(value)
            self.assertEqual(status, 400, data)
            self.assertEqual(data["errors"],
                             [{"error": "ValidationError",
                               "message": message}])
        status, _, data = self.send(iso(95 * 3600))
        self.assertEqual(status, 201, data)
        status, _, data = self.send(12)
        self.assertEqual(status, 400)
        self.assertEqual(data["errors"][0]["message"],
                         "scheduled_for 12 is not of type string, null")
        # An offset is applied: 2 hours ahead written in UTC-05:00.
        t = datetime.datetime.now(datetime.timezone(
            datetime.timedelta(hours=-5))) + datetime.timedelta(hours=2)
        status, _, data = self.send(t.isoformat(timespec="seconds"))
        self.assertEqual(status, 201, data)
        got = datetime.datetime.fromisoformat(
            self.get(data["id"])["scheduled_for"].replace("Z", "+00:00"))
        self.assertLess(abs((got - t).total_seconds()), 2)


if __name__ == "__main__":
    unittest.main()
