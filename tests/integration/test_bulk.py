"""Bulk sending end to end (GC Notify's POST /v2/notifications/bulk):
bode api and bode worker with the sandbox provider on a real
redis-server. A job is validated whole, refused whole over the daily
limit, written in chunks, queued on the bulk lane and delivered; its
progress is readable; a scheduled job can be cancelled before it is due."""
import csv
import datetime
import io
import json
import os
import subprocess
import sys
import threading
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


def to_csv(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


class BulkTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.outbox = os.path.join(self.redis.dir, "outbox.jsonl")
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Bulk",
                            "--email-limit", "200000", "--sms-limit", "10")
        self.key = self.cli("key", "create", self.sid, "--type", "live")
        self.tid = self.cli("template", "create", self.sid, "--type",
                            "email", "--name", "E", "--subject",
                            "Hi ((name))", "--body", "Hello ((name))")
        self.sms_t = self.cli("template", "create", self.sid, "--type",
                              "sms", "--name", "S", "--body", "Code ((code))")
        self.api = Bode(["api"], env={"BODE_REDIS_URL": self.redis.url})
        self.api.wait_http()
        self.worker = None

    def tearDown(self):
        if self.worker:
            self.worker.stop()
            self.worker.cleanup()
        self.api.stop()
        self.api.cleanup()
        self.redis.stop()

    def start_worker(self):
        self.worker = Bode(["worker"], env={
            "BODE_REDIS_URL": self.redis.url,
            "BODE_SANDBOX_OUTBOX": self.outbox})

    def cli(self, *args):
        out = subprocess.run([BODE, *args], env=self.env, capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def auth(self):
        return {"Authorization": "Bearer " + token(self.sid, self.key[-36:])}

    def post(self, path, body, timeout=10):
        return request(self.api.port, "POST", path,
                       json.dumps(body).encode(), self.auth(),
                       timeout=timeout)

    def get(self, path):
        return request(self.api.port, "GET", path, None, self.auth())

    def bulk(self, **body):
        body.setdefault("name", "job")
        body.setdefault("template_id", self.tid)
        return self.post("/v2/notifications/bulk", body, timeout=120)

    def delivered(self):
        if not os.path.exists(self.outbox):
            return []
        with open(self.outbox) as f:
            return [json.loads(line) for line in f]

    def error(self, data):
        self.assertEqual(len(data["errors"]), 1, data)
        return data["errors"][0]["error"], data["errors"][0]["message"]

    def test_thousand_rows_delivered_with_progress(self):
        rows = [["email address", "name"]] + [
            [f"person{i}@example.com", f"P{i}"] for i in range(1000)]
        status, _, data = self.bulk(rows=rows, reference="batch-1")
        self.assertEqual(status, 201, data)
        job = data["data"]
        self.assertEqual(job["notification_count"], 1000)
        self.assertEqual(job["job_status"], "pending")
        self.assertEqual(job["original_file_name"], "job")
        self.assertEqual(job["template"], self.tid)
        self.assertIsNone(job["scheduled_for"])
        self.assertEqual(job["api_key"]["key_type"], "normal")
        self.assertEqual(job["service"], self.sid)
        for k in ("created_at", "processing_started", "processing_finished",
                  "sender_id", "template_version", "service_name",
                  "archived", "updated_at", "created_by"):
            self.assertIn(k, job)
        # Nothing is listed before the job is processed; nothing sent.
        _, _, listing = self.get("/v2/notifications?include_jobs=true")
        self.assertEqual(listing["notifications"], [])
        self.start_worker()
        wait_until(lambda: len(self.delivered()) == 1000, 120,
                   what="1000 job rows delivered")
        sent = {m["id"] for m in self.delivered()}
        self.assertEqual(len(sent), 1000)

        def progress():
            _, _, d = self.get(f"/v2/notifications/bulk/{job['id']}")
            return d["data"]
        wait_until(lambda: progress()["statistics"] ==
                   [{"status": "delivered", "count": 1000}], 30,
                   what="statistics to show 1000 delivered")
        p = progress()
        self.assertEqual(p["job_status"], "finished")
        self.assertEqual(p["rows_inserted"], 1000)
        self.assertEqual(p["rows_queued"], 1000)
        self.assertIsNotNone(p["processing_finished"])
        # Job rows are left out of listings unless include_jobs=true.
        _, _, listing = self.get("/v2/notifications")
        self.assertEqual(listing["notifications"], [])
        _, _, listing = self.get("/v2/notifications?include_jobs=true")
        self.assertEqual(len(listing["notifications"]), 250)
        one = listing["notifications"][0]
        self.assertEqual(one["reference"], "batch-1")
        self.assertTrue(one["subject"].startswith("Hi P"))

    def test_reply_to_id_chooses_the_sender_of_every_row(self):
        """GC Notify's reply_to_id: the SMS sender (or email reply-to) of the
        template's type, checked against the service's list."""
        self.cli("service", "sms-sender", "add", self.sid, "DEFAULTS")
        sender = self.cli("service", "sms-sender", "add", self.sid,
                          "BULKSEND")
        sender = sender.split()[0]
        rows = [["phone number", "code"], ["07700900123", "1"],
                ["07700900456", "2"]]
        status, _, data = self.bulk(rows=rows, template_id=self.sms_t,
                                    reply_to_id=sender)
        self.assertEqual(status, 201, data)
        self.assertEqual(data["data"]["sender_id"], sender)
        self.start_worker()
        wait_until(lambda: len(self.delivered()) == 2, 60,
                   what="2 job rows delivered")
        self.assertEqual({m["sms_sender"] for m in self.delivered()},
                         {"BULKSEND"})
        other = "8a2c3dd2-7f39-4b5c-9b24-7e1c1f7a0d11"
        status, _, data = self.bulk(rows=rows, template_id=self.sms_t,
                                    reply_to_id=other)
        self.assertEqual(status, 400, data)
        self.assertEqual(self.error(data), (
            "BadRequestError", f"sms_sender_id {other} does not exist in "
            f"database for service id {self.sid}"))

    def test_row_errors_listed_together(self):
        rows = [["email address", "name"], ["foo@example.com", "Foo"],
                ["bar@example.com"], ["nope", "nope"],
                ["baz@example.com", ""], ["baz@example.com", " "]]
        for form in ({"rows": rows}, {"csv": to_csv(rows)}):
            status, _, data = self.bulk(**form)
            self.assertEqual(status, 400, data)
            self.assertEqual(self.error(data), (
                "BadRequestError",
                "Some rows have errors. Row 1 - `name`: Missing. Row 2 - "
                "`email address`: invalid recipient. Row 3 - `name`: "
                "Missing. Row 4 - `name`: Missing."))
        self.assertEqual(self.redis.cli("KEYS", "*job*"), "")
        # Headers match ignoring case, spaces, underscores and hyphens, as
        # in GC Notify; extra columns are allowed.
        status, _, data = self.bulk(rows=[
            ["Email_Address", "NAME", "unused"],
            ["foo@example.com", "Foo", ""]])
        self.assertEqual(status, 201, data)
        self.start_worker()
        wait_until(lambda: len(self.delivered()) == 1, 30, what="delivery")
        self.assertIn("Hello Foo", json.dumps(self.delivered()[0]))

    def test_many_row_errors_listed_up_to_a_cap(self):
        rows = [["email address", "name"]] + [
            [f"not-an-address-{i}", "x"] for i in range(5000)]
        status, _, data = self.bulk(rows=rows)
        self.assertEqual(status, 400)
        _, message = self.error(data)
        self.assertTrue(message.startswith(
            "Some rows have errors. Row 0 - `email address`: invalid "
            "recipient. Row 1 - "))
        listed = message.count(" Row ")
        self.assertLess(len(message), 70 * 1024)
        self.assertGreater(listed, 1000)
        self.assertTrue(message.endswith(
            f" {5000 - listed} more rows have errors."), message[-80:])

    def test_header_and_shape_errors(self):
        status, _, data = self.bulk(rows=[["foo"], ["bar"]])
        self.assertEqual(self.error(data), (
            "BadRequestError", "Missing column headers: email address, name"))
        status, _, data = self.bulk(
            rows=[["email address", "email_address", "name"], ["a", "b", "c"]])
        self.assertEqual(self.error(data), (
            "BadRequestError",
            "Duplicate column headers: email address, email_address"))
        status, _, data = self.bulk(rows=[["email address", "name"],
                                          ["a@example.com", "A"]],
                                    csv="email address,name\nb@b.com,B\n")
        self.assertEqual(self.error(data), (
            "BadRequestError", "You should specify either rows or csv"))
        status, _, data = self.bulk(csv='email address,name\n"a@b.com,A\n')
        self.assertEqual(self.error(data), (
            "BadRequestError",
            "Error converting to CSV: unexpected end of data"))
        status, _, data = self.post("/v2/notifications/bulk", {"rows": 1})
        self.assertEqual(status, 400)
        self.assertEqual(data["errors"], [
            {"error": "ValidationError",
             "message": "name is a required property"},
            {"error": "ValidationError",
             "message": "template_id is a required property"},
            {"error": "ValidationError",
             "message": "rows 1 is not of type array, null"}])
        status, _, data = self.bulk(
            template_id=self.sms_t,
            rows=[["phone number", "code"], ["07700900123", "1"]],
            scheduled_for=iso(-60))
        self.assertEqual(self.error(data), (
            "ValidationError", "scheduled_for datetime cannot be in the past"))

    def test_daily_limit_refused_whole_and_nothing_queued(self):
        rows = [["phone number", "code"]] + [
            ["07700900123", str(i)] for i in range(11)]
        status, _, data = self.bulk(template_id=self.sms_t, rows=rows)
        self.assertEqual(status, 400, data)
        self.assertEqual(self.error(data), (
            "BadRequestError",
            "You only have 10 remaining messages before you reach your "
            "daily limit. You've tried to send 11 messages."))
        self.assertEqual(self.redis.cli("KEYS", "*job*"), "")
        self.assertEqual(self.redis.cli("KEYS", "*:n:*"), "")
        # Ten fit; then the day is used up for single sends too.
        status, _, data = self.bulk(template_id=self.sms_t, rows=rows[:11])
        self.assertEqual(status, 201, data)
        status, _, data = self.post("/v2/notifications/sms", {
            "phone_number": "07700900123", "template_id": self.sms_t,
            "personalisation": {"code": "x"}})
        self.assertEqual(status, 429, data)

    def test_smoke_test_numbers_never_reach_a_provider(self):
        # Mixed with real numbers on a live key: refused, as GC Notify.
        rows = [["phone number", "code"], ["07700900000", "1"],
                ["07700900123", "2"]]
        status, _, data = self.bulk(template_id=self.sms_t, rows=rows)
        self.assertEqual(status, 400, data)
        self.assertEqual(self.error(data), (
            "BadRequestError",
            "Bulk sending to testing and non-testing numbers is not "
            "supported"))
        # Only smoke-test numbers, more than the daily limit of 10: taken,
        # not counted, and simulated as delivered without a provider.
        rows = [["phone number", "code"]] + [
            ["07700900000", str(i)] for i in range(12)]
        status, _, data = self.bulk(template_id=self.sms_t, rows=rows)
        self.assertEqual(status, 201, data)
        job = data["data"]["id"]
        self.start_worker()

        def stats():
            _, _, d = self.get(f"/v2/notifications/bulk/{job}")
            return d["data"]["statistics"]
        wait_until(lambda: stats() == [{"status": "delivered", "count": 12}],
                   30, what="12 simulated deliveries")
        self.assertEqual(self.delivered(), [])
        # The day's limit is untouched: ten real texts still fit.
        rows = [["phone number", "code"]] + [
            ["07700900123", str(i)] for i in range(10)]
        status, _, data = self.bulk(template_id=self.sms_t, rows=rows)
        self.assertEqual(status, 201, data)

    def test_scheduled_job_cancelled_before_due(self):
        rows = [["email address", "name"]] + [
            [f"p{i}@example.com", "P"] for i in range(20)]
        when = iso(4)
        status, _, data = self.bulk(rows=rows, scheduled_for=when)
        self.assertEqual(status, 201, data)
        job = data["data"]
        self.assertEqual(job["job_status"], "scheduled")
        self.assertTrue(job["scheduled_for"].startswith(when[:19]))
        self.start_worker()
        status, _, data = self.post(
            f"/v2/notifications/bulk/{job['id']}/cancel", {})
        self.assertEqual(status, 200, data)
        self.assertEqual(data["data"]["job_status"], "cancelled")
        status, _, data = self.post(
            f"/v2/notifications/bulk/{job['id']}/cancel", {})
        self.assertEqual(status, 400, data)
        time.sleep(6)
        self.assertEqual(self.delivered(), [])
        # A scheduled job left alone is sent once due.
        status, _, data = self.bulk(rows=rows, scheduled_for=iso(3))
        self.assertEqual(status, 201, data)
        time.sleep(1)
        self.assertEqual(self.delivered(), [])
        wait_until(lambda: len(self.delivered()) == 20, 30,
                   what="the scheduled job to be delivered")
        status, _, data = self.get(
            "/v2/notifications/bulk/00000000-0000-4000-8000-000000000000")
        self.assertEqual(status, 404)

    def test_fifty_thousand_rows_accepted(self):
        rows = [["email address", "name"]] + [
            [f"person{i}@example.com", f"Person {i}"] for i in range(50000)]
        result = {}

        def send():
            started = time.monotonic()
            result["answer"] = self.bulk(csv=to_csv(rows))
            result["took"] = time.monotonic() - started
        sender = threading.Thread(target=send)
        sender.start()
        # The API keeps answering other requests while the job is written.
        slowest = 0.0
        polls = 0
        while sender.is_alive():
            started = time.monotonic()
            status, _, _ = self.get("/v2/notifications")
            slowest = max(slowest, time.monotonic() - started)
            polls += 1
            self.assertEqual(status, 200)
            time.sleep(0.05)
        sender.join()
        status, _, data = result["answer"]
        self.assertEqual(status, 201, data)
        self.assertEqual(data["data"]["notification_count"], 50000)
        print(f"\n50,000-row job accepted in {result['took']:.2f}s; "
              f"{polls} listings meanwhile, slowest {slowest * 1000:.0f} ms",
              file=sys.stderr)
        # Listings kept completing while the job was written (a blocked
        # API would answer only after it); latency figures depend on the
        # machine's load, so they are printed rather than asserted.
        self.assertGreaterEqual(polls, 3)
        status, _, data = self.get(
            f"/v2/notifications/bulk/{data['data']['id']}")
        self.assertEqual(data["data"]["rows_inserted"], 50000)
        self.assertEqual(data["data"]["statistics"],
                         [{"status": "created", "count": 50000}])
        rows.append(["one-more@example.com", "x"])
        status, _, data = self.bulk(csv=to_csv(rows))
        self.assertEqual(self.error(data), (
            "BadRequestError",
            "Too many rows. Maximum number of rows allowed is 50000"))


if __name__ == "__main__":
    unittest.main()
