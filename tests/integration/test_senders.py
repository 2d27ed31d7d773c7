"""Email reply-to addresses and SMS senders per service, end to end: the
admin CLI manages them, email_reply_to_id / sms_sender_id choose one on
POST (Notify's error texts for ids of other services), the choice made at
accept time reaches the provider (a Reply-To header through the fake SMTP
server, the sender through the sandbox outbox) even when the list changes
before the worker runs."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request, wait_until)
from test_api_v2 import token  # noqa: E402
from test_providers import Fake  # noqa: E402


class SendersTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.smtp = Fake("smtp.py")
        self.outbox = os.path.join(self.redis.dir, "outbox.jsonl")
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Senders")
        self.other = self.cli("service", "create", "--name", "Other")
        self.key = self.cli("key", "create", self.sid, "--type", "live")
        self.email_t = self.cli("template", "create", self.sid, "--type",
                                "email", "--name", "E", "--subject", "Hi",
                                "--body", "Hello")
        self.sms_t = self.cli("template", "create", self.sid, "--type",
                              "sms", "--name", "S", "--body", "Code 1234")
        self.api = Bode(["api"], env={"BODE_REDIS_URL": self.redis.url,
                                      "BODE_AUTH_CACHE_MS": "0"})
        self.api.wait_http()
        self.worker = None

    def tearDown(self):
        if self.worker:
            self.worker.cleanup()
        self.api.stop()
        self.api.cleanup()
        self.smtp.stop()
        self.redis.stop()

    def run_cli(self, *args):
        return subprocess.run([BODE, *args], env=self.env,
                              capture_output=True, text=True, timeout=30)

    def cli(self, *args):
        out = self.run_cli(*args)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def start_worker(self):
        self.worker = Bode(["worker"], env={
            "BODE_REDIS_URL": self.redis.url,
            "BODE_EMAIL_PROVIDERS": "smtp",
            "BODE_SMTP_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "BODE_SMS_PROVIDERS": "sandbox",
            "BODE_SANDBOX_OUTBOX": self.outbox})

    def post(self, kind, extra):
        field = "email_address" if kind == "email" else "phone_number"
        body = {field: "someone@example.com" if kind == "email"
                else "07700900123",
                "template_id": self.email_t if kind == "email"
                else self.sms_t}
        body.update(extra)
        return request(self.api.port, "POST", f"/v2/notifications/{kind}",
                       json.dumps(body).encode(),
                       {"Authorization": "Bearer " +
                        token(self.sid, self.key[-36:])})

    def outbox_lines(self):
        if not os.path.exists(self.outbox):
            return []
        with open(self.outbox) as f:
            return [json.loads(line) for line in f]

    def test_cli_manages_lists_and_one_default(self):
        a = self.cli("service", "reply-to", "add", self.sid, "a@example.org")
        b = self.cli("service", "reply-to", "add", self.sid,
                     "b@example.org")
        listed = json.loads(self.cli("service", "reply-to", "list",
                                     self.sid, "--json"))
        self.assertEqual([(x["id"], x["email_address"], x["is_default"])
                          for x in listed],
                         [(a, "a@example.org", True),
                          (b, "b@example.org", False)])
        # The default cannot go while others remain (Notify's rule).
        out = self.run_cli("service", "reply-to", "remove", self.sid, a)
        self.assertEqual(out.returncode, 2)
        self.assertIn("default", out.stderr)
        self.cli("service", "reply-to", "default", self.sid, b)
        self.cli("service", "reply-to", "remove", self.sid, a)
        shown = json.loads(self.cli("service", "show", self.sid))
        self.assertEqual((shown["reply_to_id"], shown["reply_to"]),
                         (b, "b@example.org"))
        # Bad values and unknown ids are refused with a usage error.
        for args in (("reply-to", "add", self.sid, "not-an-address"),
                     ("sms-sender", "add", self.sid, "AB"),
                     ("sms-sender", "add", self.sid, "TOOLONGSENDER1"),
                     ("sms-sender", "remove", self.sid, a),
                     ("reply-to", "add", "0" * 8 + "-0000-4000-8000-" +
                      "0" * 12, "x@example.org")):
            self.assertEqual(self.run_cli("service", *args).returncode, 2,
                             args)
        s = self.cli("service", "sms-sender", "add", self.sid, "GOVUK")
        self.cli("service", "sms-sender", "add", self.sid, "+447700900999",
                 "--default")
        listed = json.loads(self.cli("service", "sms-sender", "list",
                                     self.sid, "--json"))
        self.assertEqual([x["is_default"] for x in listed], [False, True])
        self.assertNotEqual(listed[1]["id"], s)
        self.assertEqual(json.loads(self.cli("service", "show", self.sid))
                         ["sms_sender"], "+447700900999")

    def test_unknown_ids_get_notifys_errors(self):
        theirs = self.cli("service", "reply-to", "add", self.other,
                          "x@example.org")
        their_sms = self.cli("service", "sms-sender", "add", self.other,
                             "OTHER")
        status, _, data = self.post("email", {"email_reply_to_id": theirs})
        self.assertEqual(status, 400)
        self.assertEqual(data["errors"], [{
            "error": "BadRequestError",
            "message": f"email_reply_to_id {theirs} does not exist in "
                       f"database for service id {self.sid}"}])
        status, _, data = self.post("sms", {"sms_sender_id": their_sms})
        self.assertEqual(status, 400)
        self.assertEqual(data["errors"], [{
            "error": "BadRequestError",
            "message": f"sms_sender_id {their_sms} does not exist in "
                       f"database for service id {self.sid}"}])
        status, _, data = self.post("sms", {"sms_sender_id": "nope"})
        self.assertEqual((status, data["errors"][0]["message"]),
                         (400, "sms_sender_id is not a valid UUID"))

    def test_chosen_values_reach_the_providers(self):
        self.cli("service", "reply-to", "add", self.sid, "default@example.org")
        chosen = self.cli("service", "reply-to", "add", self.sid,
                          "chosen@example.org")
        self.cli("service", "sms-sender", "add", self.sid, "DEFAULTS")
        sender = self.cli("service", "sms-sender", "add", self.sid, "CHOSEN")
        status, _, e1 = self.post("email", {"email_reply_to_id": chosen})
        self.assertEqual(status, 201, e1)
        status, _, e2 = self.post("email", {})
        self.assertEqual(status, 201, e2)
        status, _, s1 = self.post("sms", {"sms_sender_id": sender})
        self.assertEqual((status, s1["content"]["from_number"]),
                         (201, "CHOSEN"), s1)
        status, _, s2 = self.post("sms", {})
        self.assertEqual((status, s2["content"]["from_number"]),
                         (201, "DEFAULTS"), s2)
        # Changes after accept do not change what was accepted.
        self.cli("service", "reply-to", "default", self.sid, chosen)
        self.cli("service", "sms-sender", "default", self.sid, sender)
        self.start_worker()
        wait_until(lambda: len(self.smtp.records()) == 2, 30,
                   what="two emails at the SMTP server")
        wait_until(lambda: len(self.outbox_lines()) == 2, 30,
                   what="two texts in the outbox")
        replies = sorted(r["mime"]["headers"].get("Reply-To")
                         for r in self.smtp.records())
        self.assertEqual(replies, ["chosen@example.org",
                                   "default@example.org"])
        senders = {m["id"]: m["sms_sender"] for m in self.outbox_lines()}
        self.assertEqual(senders, {s1["id"]: "CHOSEN",
                                   s2["id"]: "DEFAULTS"})

    def test_without_lists_the_service_settings_apply(self):
        self.start_worker()
        status, _, s = self.post("sms", {})
        self.assertEqual((status, s["content"]["from_number"]), (201, "Bode"))
        status, _, e = self.post("email", {})
        self.assertEqual(status, 201, e)
        wait_until(lambda: len(self.smtp.records()) == 1, 30,
                   what="the email at the SMTP server")
        self.assertNotIn("Reply-To", self.smtp.records()[0]["mime"]["headers"])
        wait_until(lambda: len(self.outbox_lines()) == 1, 30, what="the text")
        self.assertEqual(self.outbox_lines()[0]["sms_sender"], "Bode")


if __name__ == "__main__":
    unittest.main()
