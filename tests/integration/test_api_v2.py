"""The v2 API against a real redis-server, below the client library:
token edge cases, key types, idempotency, rate-limit headers, Redis going
away, and that accepted notifications are queued."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(service_id, secret, iat=None, alg="HS256", header=None,
          claims=None):
    head = header or {"typ": "JWT", "alg": alg}
    body = claims if claims is not None else {
        "iss": service_id, "iat": int(time.time()) if iat is None else iat}
    signing = b64(json.dumps(head).encode()) + "." + b64(
        json.dumps(body).encode())
    sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64(sig)


class V2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.env = dict(os.environ, BODE_REDIS_URL=cls.redis.url,
                       BODE_SECRET_KEY=TEST_SECRET_KEY)
        cls.sid = cls.cli("service", "create", "--name", "V2")
        cls.key = cls.cli("key", "create", cls.sid, "--type", "live")
        cls.secret = cls.key[-36:]
        cls.tid = cls.cli("template", "create", cls.sid, "--type", "sms",
                          "--name", "T", "--body", "Hi ((name))")
        cls.api = Bode(["api"], env={"BODE_REDIS_URL": cls.redis.url})
        cls.api.wait_http()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.api.stop()
        finally:
            cls.api.cleanup()
            cls.redis.stop()

    @classmethod
    def cli(cls, *args):
        out = subprocess.run([BODE, *args], env=cls.env, capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def call(self, method, path, tok=None, body=None, headers=None):
        h = dict(headers or {})
        if tok is not None:
            h["Authorization"] = "Bearer " + tok
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return request(self.api.port, method, path, body=data, headers=h)

    def good(self, **kw):
        return token(self.sid, self.secret, **kw)

    def auth_error(self, status, message, **kw):
        code, _, body = self.call("GET", "/v2/templates", **kw)
        self.assertEqual(code, status, body)
        self.assertEqual(body["errors"][0]["error"], "AuthError")
        self.assertEqual(body["errors"][0]["message"], message)

    def test_token_edge_cases(self):
        undecodable = ("Invalid token: make sure your API token matches the "
                       "example at https://docs.notifications.service.gov.uk/"
                       "rest-api.html#authorisation-header")
        self.auth_error(401, "Unauthorized: authentication token must be "
                             "provided")
        self.auth_error(401, "Unauthorized: authentication bearer scheme "
                             "must be used",
                        headers={"Authorization": "Basic abc"})
        self.auth_error(403, undecodable, tok="garbage")
        self.auth_error(403, undecodable, tok="a.b.c")
        self.auth_error(403, "Error: Your system clock must be accurate to "
                             "within 30 seconds",
                        tok=self.good(iat=int(time.time()) - 120))
        self.auth_error(403, "Error: Your system clock must be accurate to "
                             "within 30 seconds",
                        tok=self.good(iat=int(time.time()) + 120))
        self.auth_error(403, "Invalid token: algorithm used is not HS256",
                        tok=self.good(alg="HS512"))
        none_tok = (b64(b'{"alg":"none","typ":"JWT"}') + "." +
                    b64(json.dumps({"iss": self.sid,
                                    "iat": int(time.time())}).encode()) + ".")
        code, _, _ = self.call("GET", "/v2/templates", tok=none_tok)
        self.assertEqual(code, 403)
        self.auth_error(403, "Invalid token: iss field not provided",
                        tok=token(self.sid, self.secret,
                                  claims={"iat": int(time.time())}))
        self.auth_error(403, "Invalid token: service id is not the right "
                             "data type",
                        tok=token("nope", self.secret))
        self.auth_error(403, "Invalid token: API key not found",
                        tok=token(self.sid, "x" * 36))
        code, _, _ = self.call("GET", "/v2/templates", tok=self.good())
        self.assertEqual(code, 200)
        # Lower-case scheme is fine, as in Notify (first 7 chars title-cased).
        code, _, _ = self.call("GET", "/v2/templates", headers={
            "Authorization": "bearer " + self.good()})
        self.assertEqual(code, 200)

    def test_accepted_notification_is_queued(self):
        code, _, body = self.call("POST", "/v2/notifications/sms",
                                  tok=self.good(),
                                  body={"phone_number": "07700900123",
                                        "template_id": self.tid,
                                        "personalisation": {"name": "Jo"}})
        self.assertEqual(code, 201, body)
        lane = f"bode:{{s:{self.sid}}}:q:sms:normal"
        entries = self.redis.cli("XRANGE", lane, "-", "+")
        self.assertIn(body["id"], entries)
        record = self.redis.cli("HGET", f"bode:{{s:{self.sid}}}:n:{body['id']}",
                                "status")
        self.assertEqual(record, "created")

    def test_bad_json_and_schema_errors(self):
        code, _, body = self.call("POST", "/v2/notifications/sms",
                                  tok=self.good(), body=b"{not json")
        self.assertEqual((code, body["errors"][0]["message"]),
                         (400, "Invalid JSON supplied in POST data"))
        code, _, body = self.call("POST", "/v2/notifications/sms",
                                  tok=self.good(), body=b"")
        messages = {e["message"] for e in body["errors"]}
        self.assertEqual(code, 400)
        self.assertEqual(messages, {"phone_number is a required property",
                                    "template_id is a required property"})
        code, _, body = self.call("POST", "/v2/notifications/sms",
                                  tok=self.good(),
                                  body={"phone_number": "07700900123",
                                        "template_id": self.tid,
                                        "colour": "red",
                                        "personalisation": 5})
        messages = {e["message"] for e in body["errors"]}
        self.assertIn("Additional properties are not allowed (colour was "
                      "unexpected)", messages)
        self.assertIn("personalisation 5 is not of type object", messages)
        code, _, body = self.call("POST", "/v2/notifications/sms",
                                  tok=self.good(),
                                  body=b'{"template_id": "a", "template_id": '
                                       b'"b"}')
        self.assertEqual(code, 400)

    def test_idempotency_key(self):
        payload = {"phone_number": "07700900123", "template_id": self.tid,
                   "personalisation": {"name": "Idem"}}
        h = {"Idempotency-Key": "order-42"}
        c1, _, b1 = self.call("POST", "/v2/notifications/sms",
                              tok=self.good(), body=payload, headers=h)
        c2, h2, b2 = self.call("POST", "/v2/notifications/sms",
                               tok=self.good(), body=payload, headers=h)
        self.assertEqual((c1, c2), (201, 201))
        self.assertEqual(b1["id"], b2["id"])
        self.assertEqual(h2.get("idempotent-replayed"), "true")
        payload["personalisation"]["name"] = "Other"
        c3, _, b3 = self.call("POST", "/v2/notifications/sms",
                              tok=self.good(), body=payload, headers=h)
        self.assertEqual(c3, 422)
        self.assertEqual(b3["errors"][0]["error"], "IdempotencyError")
        c4, _, _ = self.call("POST", "/v2/notifications/sms",
                             tok=self.good(), body=payload,
                             headers={"Idempotency-Key": "bad key"})
        self.assertEqual(c4, 400)

    def test_rate_limit_headers(self):
        code, headers, _ = self.call(
            "POST", "/v2/notifications/sms", tok=self.good(),
            body={"phone_number": "07700900123", "template_id": self.tid,
                  "personalisation": {"name": "R"}})
        self.assertEqual(code, 201)
        self.assertEqual(headers["ratelimit-limit"], "3000")
        self.assertLess(int(headers["ratelimit-remaining"]), 1001)
        self.assertGreaterEqual(int(headers["ratelimit-reset"]), 0)


class RedisDownTest(unittest.TestCase):
    def test_redis_down_answers_503_and_keeps_serving(self):
        redis = Redis()
        env = dict(os.environ, BODE_REDIS_URL=redis.url,
                   BODE_SECRET_KEY=TEST_SECRET_KEY)

        def cli(*args):
            return subprocess.run([BODE, *args], env=env, capture_output=True,
                                  text=True, check=True).stdout.strip()
        sid = cli("service", "create", "--name", "Down")
        key = cli("key", "create", sid, "--type", "live")
        tid = cli("template", "create", sid, "--type", "sms", "--name", "T",
                  "--body", "Hi")
        api = Bode(["api"], env={"BODE_REDIS_URL": redis.url,
                                 "BODE_REDIS_TIMEOUT_MS": "300",
                                 "BODE_AUTH_CACHE_MS": "0"})
        try:
            api.wait_http()
            tok = token(sid, key[-36:])
            body = json.dumps({"phone_number": "07700900123",
                               "template_id": tid}).encode()
            hdr = {"Authorization": "Bearer " + tok}
            self.assertEqual(request(api.port, "POST",
                                     "/v2/notifications/sms", body,
                                     hdr)[0], 201)
            redis.proc.kill()
            redis.proc.wait()
            code, _, err = request(api.port, "POST", "/v2/notifications/sms",
                                   body, hdr)
            self.assertEqual(code, 503)
            self.assertEqual(err["status_code"], 503)
            # Still serving, still healthy as a process.
            self.assertEqual(request(api.port, "GET", "/_status/live")[0],
                             200)
        finally:
            api.cleanup()
            redis.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
