"""Inbound SMS end to end: Twilio's real incoming-message webhook (form
encoded, X-Twilio-Signature over the URL and sorted parameters) and the
generic http provider's JSON webhook (shared secret) store texts with the
service that owns the number; GET /v2/received-text-messages pages them as
Notify does; the service's inbound callback gets Notify's payload with its
bearer token, retried; content is sealed in Redis and never logged."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request, wait_until)
from test_api_v2 import token  # noqa: E402
from test_delivery import CallbackReceiver  # noqa: E402

ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests"
SECRET = "http-gateway-shared-secret-0123"
NUMBER = "+447700900111"
SECRET_TEXT = "Secret reply 4711"


def twilio_signature(url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    mac = hmac.new(AUTH_TOKEN.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class InboundTest(unittest.TestCase):
    def setUp(self):
        self.redis = Redis()
        self.env = dict(os.environ, BODE_REDIS_URL=self.redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        self.sid = self.cli("service", "create", "--name", "Inbound")
        self.other = self.cli("service", "create", "--name", "Other")
        self.key = self.cli("key", "create", self.sid, "--type", "live")
        self.other_key = self.cli("key", "create", self.other, "--type",
                                  "live")
        self.assertEqual(self.cli("service", "inbound-number", "add",
                                  self.sid, "07700 900111"), "447700900111")
        self.api = Bode(["api"], env={
            "BODE_REDIS_URL": self.redis.url,
            "BODE_SMS_PROVIDERS": "sandbox,twilio,http",
            "BODE_TWILIO_ACCOUNT_SID": ACCOUNT,
            "BODE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "BODE_TWILIO_FROM": "+447700900000",
            "BODE_HTTP_URL": "https://gateway.invalid/send",
            "BODE_HTTP_RECEIPT_SECRET": SECRET})
        self.api.wait_http()
        self.worker = None

    def tearDown(self):
        if self.worker:
            self.worker.cleanup()
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

    def twilio(self, params, signature=None):
        url = f"http://127.0.0.1:{self.api.port}/notifications/inbound/twilio"
        body = urllib.parse.urlencode(params).encode()
        sig = signature or twilio_signature(url, params)
        # Twilio's answer is TwiML (XML), or a JSON error.
        c = http.client.HTTPConnection("127.0.0.1", self.api.port,
                                       timeout=10)
        c.request("POST", "/notifications/inbound/twilio", body=body,
                  headers={"Content-Type":
                           "application/x-www-form-urlencoded",
                           "X-Twilio-Signature": sig})
        r = c.getresponse()
        raw = r.read()
        c.close()
        headers = {k.lower(): v for k, v in r.getheaders()}
        data = json.loads(raw) if "json" in headers.get("content-type",
                                                        "") else raw
        return r.status, headers, data

    def sms(self, sid, frm, to, body):
        return {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT,
                "From": frm, "To": to, "Body": body, "NumMedia": "0",
                "NumSegments": "1", "SmsStatus": "received",
                "ApiVersion": "2010-04-01"}

    def http(self, payload, secret=SECRET):
        return request(self.api.port, "POST", "/notifications/inbound/http",
                       json.dumps(payload).encode(),
                       {"Content-Type": "application/json",
                        "X-Bode-Receipt-Secret": secret})

    def texts(self, key=None, sid=None, older_than=None):
        path = "/v2/received-text-messages"
        if older_than:
            path += "?older_than=" + older_than
        return request(self.api.port, "GET", path, None, {
            "Authorization": "Bearer " + token(sid or self.sid,
                                               (key or self.key)[-36:])})

    def test_twilio_webhook_stores_text_for_the_numbers_service(self):
        status, headers, body = self.twilio(
            self.sms("SM" + "a" * 32, "+447700900222", NUMBER, SECRET_TEXT))
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/xml")
        self.assertEqual(body, b'<?xml version="1.0" encoding="UTF-8"?>'
                               b"<Response></Response>")
        status, _, data = self.texts()
        self.assertEqual(status, 200)
        [t] = data["received_text_messages"]
        self.assertEqual(sorted(t), ["content", "created_at", "id",
                                     "notify_number", "service_id",
                                     "user_number"])
        self.assertEqual((t["user_number"], t["notify_number"], t["content"],
                          t["service_id"]),
                         ("447700900222", "447700900111", SECRET_TEXT,
                          self.sid))
        self.assertRegex(t["created_at"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        # Twilio retrying the same message stores nothing new.
        self.twilio(self.sms("SM" + "a" * 32, "+447700900222", NUMBER,
                             SECRET_TEXT))
        self.assertEqual(len(self.texts()[2]["received_text_messages"]), 1)
        # Other services see nothing.
        _, _, other = self.texts(self.other_key, self.other)
        self.assertEqual(other["received_text_messages"], [])
        # Sealed at rest, never logged.
        keys = self.redis.cli("--scan", "--pattern", "bode:*:in:*")
        raw = self.redis.cli("HGET", keys.split()[0], "content")
        self.assertNotIn("4711", raw)
        self.assertNotIn("4711", self.api.output())
        self.assertNotIn("900222", self.api.output())

    def test_bad_signatures_and_bodies_are_refused(self):
        params = self.sms("SM" + "b" * 32, "+447700900222", NUMBER, "hi")
        status, _, data = self.twilio(params, signature="AAAA" * 7)
        self.assertEqual((status, data["errors"][0]["error"]),
                         (403, "AuthError"))
        tampered = dict(params, Body="changed")
        status, _, _ = self.twilio(
            tampered, signature=twilio_signature(
                f"http://127.0.0.1:{self.api.port}"
                "/notifications/inbound/twilio", params))
        self.assertEqual(status, 403)
        status, _, _ = self.twilio({k: v for k, v in params.items()
                                    if k != "From"})
        self.assertEqual(status, 400)
        status, _, _ = self.http({"from": "07700900222", "to": NUMBER,
                                  "message": "x"}, secret="wrong" * 7)
        self.assertEqual(status, 403)
        for bad in ({"from": "07700900222", "to": NUMBER},
                    {"from": "x" * 40, "to": NUMBER, "message": "x"},
                    {"from": "07700900222", "to": "GOVUK", "message": "x"},
                    {"from": "07700900222", "to": NUMBER, "message": 5},
                    [1, 2]):
            self.assertEqual(self.http(bad)[0], 400, bad)
        status, _, _ = request(self.api.port, "POST",
                               "/notifications/inbound/sandbox", b"{}",
                               {"Content-Type": "application/json"})
        self.assertEqual(status, 404)
        # A number no service has: acknowledged, stored nowhere.
        status, _, data = self.http({"from": "07700900222",
                                     "to": "07700900999", "message": "x"})
        self.assertEqual((status, data), (200, {"result": "success"}))
        self.assertEqual(self.texts()[2]["received_text_messages"], [])
        # An alphanumeric sender is kept as sent, as Notify keeps it.
        status, _, _ = self.http({"from": "Vodafone", "to": NUMBER,
                                  "message": "Your bill"})
        self.assertEqual(status, 200)
        [t] = self.texts()[2]["received_text_messages"]
        self.assertEqual(t["user_number"], "Vodafone")

    def test_paging_as_notify(self):
        for i in range(3):
            status, _, data = self.http({"from": "07700900222", "to": NUMBER,
                                         "message": f"text {i}",
                                         "reference": f"gw-{i}"})
            self.assertEqual(status, 200, data)
            time.sleep(0.002)
        status, _, page = self.texts()
        self.assertEqual([t["content"] for t in
                          page["received_text_messages"]],
                         ["text 2", "text 1", "text 0"])
        base = f"http://127.0.0.1:{self.api.port}/v2/received-text-messages"
        last = page["received_text_messages"][-1]["id"]
        self.assertEqual(page["links"], {
            "current": base, "next": f"{base}?older_than={last}"})
        middle = page["received_text_messages"][1]["id"]
        _, _, older = self.texts(older_than=middle)
        self.assertEqual([t["content"] for t in
                          older["received_text_messages"]], ["text 0"])
        _, _, empty = self.texts(older_than=last)
        self.assertEqual(empty, {"received_text_messages": [],
                                 "links": {"current":
                                           f"{base}?older_than={last}"}})
        status, _, bad = self.texts(older_than="nope")
        self.assertEqual((status, bad["errors"][0]["message"]),
                         (400, "older_than is not a valid UUID"))

    def test_cli_numbers_belong_to_one_service(self):
        out = self.run_cli("service", "inbound-number", "add", self.other,
                           "+44 7700 900111")
        self.assertEqual(out.returncode, 2)
        self.assertIn("another service", out.stderr)
        self.assertEqual(json.loads(self.cli("service", "inbound-number",
                                             "list", self.sid, "--json")),
                         ["447700900111"])
        self.cli("service", "inbound-number", "remove", self.sid,
                 "447700900111")
        self.cli("service", "inbound-number", "add", self.other,
                 "447700900111")
        self.http({"from": "07700900222", "to": NUMBER, "message": "moved"})
        _, _, data = self.texts(self.other_key, self.other)
        self.assertEqual([t["content"] for t in
                          data["received_text_messages"]], ["moved"])

    def test_inbound_callback_with_retries(self):
        rx = CallbackReceiver(self.redis.dir, failures=1)
        try:
            bad = self.run_cli("service", "inbound-callback", self.sid,
                               "http://example.org/cb", "token-0123456789")
            self.assertEqual(bad.returncode, 2)
            self.cli("service", "inbound-callback", self.sid, rx.url,
                     "inbound-token-0123456789")
            shown = json.loads(self.cli("service", "show", self.sid))
            self.assertEqual((shown["inbound_callback_url"],
                              shown["inbound_callback_token_set"]),
                             (rx.url, True))
            self.assertNotIn("inbound-token", json.dumps(shown))
            self.worker = Bode(["worker"], env={
                "BODE_REDIS_URL": self.redis.url,
                "BODE_CALLBACK_CA_FILE": rx.cert,
                "BODE_CALLBACK_RETRY_S": "1"})
            status, _, sent = self.http({"from": "+447700900222",
                                         "to": NUMBER,
                                         "message": SECRET_TEXT})
            self.assertEqual(status, 200)
            wait_until(lambda: len(rx.calls) >= 2, 30,
                       what="a failed callback and its retry")
            headers, body = rx.calls[-1]
            self.assertEqual(headers["Authorization"],
                             "Bearer inbound-token-0123456789")
            data = json.loads(body)
            self.assertEqual(sorted(data), ["date_received",
                                            "destination_number", "id",
                                            "message", "source_number"])
            self.assertEqual((data["id"], data["source_number"],
                              data["destination_number"], data["message"]),
                             (sent["id"], "447700900222", "447700900111",
                              SECRET_TEXT))
            time.sleep(1.5)
            self.assertEqual(len(rx.calls), 2)
            self.assertNotIn("4711", self.worker.output())
        finally:
            rx.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
