"""Security promises against real processes (issue 8, docs/security.md):
algorithm confusion, the clock window, revocation across API processes,
isolation between services on every endpoint, key-type restrictions,
smoke-test recipients, the optional replay guard, secrets at rest (Redis
RDB and AOF, logs) and Redis AUTH/ACL end to end.

Run alone: python3 tests/integration/test_security.py [-v]
Figures (revocation delay) are printed on stderr."""
import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, SOURCE_DIR, TEST_SECRET_KEY, Bode,  # noqa: E402
                     Redis, free_port, request, wait_until)
from test_api_v2 import b64, token  # noqa: E402

ALG_MESSAGE = "Invalid token: algorithm used is not HS256"
REPLAY_MESSAGE = ("Invalid token: this token has already been used; make a "
                  "new token for every request")


def signed(header, claims, key, digest=hashlib.sha256):
    """A JWT with any header, HMAC-signed with key under digest."""
    signing = (b64(json.dumps(header).encode()) + "." +
               b64(json.dumps(claims).encode()))
    sig = hmac.new(key, signing.encode(), digest).digest()
    return signing + "." + b64(sig)


def run_cli(env, *args):
    out = subprocess.run([BODE, *args], env=env, capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"bode {' '.join(args)}: {out.stderr}")
    return out.stdout.strip()


def call(port, method, path, tok=None, body=None, headers=None):
    h = dict(headers or {})
    if tok is not None:
        h["Authorization"] = "Bearer " + tok
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return request(port, method, path, body=data, headers=h)


class Fixture:
    """Two services on one Redis, with keys and templates, made by the
    CLI as an operator would."""

    def __init__(self, redis):
        self.env = dict(os.environ, BODE_REDIS_URL=redis.url,
                        BODE_SECRET_KEY=TEST_SECRET_KEY)
        cli = self.cli
        self.callback_token = "cbtoken-" + os.urandom(12).hex()
        self.a = cli("service", "create", "--name", "Alpha",
                     "--callback-url", "https://cb.example.org/a",
                     "--callback-token", self.callback_token)
        self.a_live = cli("key", "create", self.a, "--type", "live")
        self.a_team = cli("key", "create", self.a, "--type", "team")
        self.a_test = cli("key", "create", self.a, "--type", "test")
        self.a_sms = cli("template", "create", self.a, "--type", "sms",
                         "--name", "S", "--body", "Code ((code))")
        self.a_email = cli("template", "create", self.a, "--type", "email",
                           "--name", "E", "--subject", "Hi ((name))",
                           "--body", "Dear ((name))")
        cli("team", "add", self.a, "member@example.gov.uk")
        self.b = cli("service", "create", "--name", "Beta")
        self.b_live = cli("key", "create", self.b, "--type", "live")
        self.b_sms = cli("template", "create", self.b, "--type", "sms",
                         "--name", "S", "--body", "Other ((code))")

    def cli(self, *args):
        return run_cli(self.env, *args)


class AuthAndIsolationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.f = Fixture(cls.redis)
        cls.api = Bode(["api"], env={"BODE_REDIS_URL": cls.redis.url})
        cls.api.wait_http()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.api.stop()
        finally:
            cls.api.cleanup()
            cls.redis.stop()

    def tok(self, key, **kw):
        return token(key[-73:-37], key[-36:], **kw)

    def expect_auth(self, tok, status, message):
        code, _, body = call(self.api.port, "GET", "/v2/templates", tok)
        self.assertEqual(code, status, body)
        self.assertEqual(body["status_code"], status)
        self.assertEqual(body["errors"][0]["error"], "AuthError")
        self.assertEqual(body["errors"][0]["message"], message)

    def test_algorithm_confusion_is_refused(self):
        f = self.f
        sid, secret = f.a, f.a_live[-36:].encode()
        claims = {"iss": sid, "iat": int(time.time())}
        # The right secret under another HMAC, and the secret used as an
        # HMAC key while the header claims RS256/ES256/PS256: all refused
        # before any key is tried, with Notify's text.
        for alg, digest in [("HS512", hashlib.sha512),
                            ("HS384", hashlib.sha384),
                            ("RS256", hashlib.sha256),
                            ("ES256", hashlib.sha256),
                            ("PS256", hashlib.sha256),
                            ("hs256", hashlib.sha256),
                            ("HS256 ", hashlib.sha256)]:
            tok = signed({"alg": alg, "typ": "JWT"}, claims, secret, digest)
            self.expect_auth(tok, 403, ALG_MESSAGE)
        for none in ("none", "None", "NONE"):
            head = b64(json.dumps({"alg": none, "typ": "JWT"}).encode())
            body = b64(json.dumps(claims).encode())
            for tail in ("", b64(b"x" * 32)):
                code, _, _ = call(self.api.port, "GET", "/v2/templates",
                                  f"{head}.{body}.{tail}")
                self.assertEqual(code, 403, (none, tail))
        # No alg at all, or alg as a list: never accepted.
        for header in ({"typ": "JWT"}, {"alg": ["HS256"], "typ": "JWT"}):
            tok = signed(header, claims, secret)
            code, _, _ = call(self.api.port, "GET", "/v2/templates", tok)
            self.assertEqual(code, 403, header)
        # The genuine token still works.
        self.assertEqual(call(self.api.port, "GET", "/v2/templates",
                              self.tok(f.a_live))[0], 200)

    def test_signature_is_compared_in_constant_time(self):
        # A timing test on a shared 2-core machine measures the machine,
        # so check the code: the HMAC comparison is OpenSSL's
        # CRYPTO_memcmp, and nothing in the verifier uses memcmp/strcmp
        # on signature bytes.
        with open(os.path.join(SOURCE_DIR, "src/auth/jwt.c")) as src:
            text = src.read()
        verify = text[text.index("bool bode_jwt_verify("):]
        verify = verify[:verify.index("\n}\n")]
        self.assertIn("CRYPTO_memcmp(mac, jwt->sig, sizeof(mac))", verify)
        self.assertNotRegex(verify, r"\b(memcmp|strcmp|strncmp|bcmp)\(")
        self.assertIn("jwt->sig_len != BODE_JWT_SIG_LEN", verify)
        # Every byte of the signature matters.
        good = self.tok(self.f.a_live)
        head, body, sig = good.split(".")
        raw = bytearray(base64.urlsafe_b64decode(sig + "="))
        for i in (0, 15, 31):
            bad = bytearray(raw)
            bad[i] ^= 1
            self.expect_auth(f"{head}.{body}.{b64(bytes(bad))}", 403,
                             "Invalid token: API key not found")
        self.expect_auth(f"{head}.{body}.{b64(bytes(raw[:31]))}", 403,
                         "Invalid token: API key not found")

    def test_iat_window_is_thirty_seconds_either_way(self):
        now = int(time.time())
        clock = ("Error: Your system clock must be accurate to within 30 "
                 "seconds")
        for skew in (-28, 0, 28):
            self.assertEqual(call(self.api.port, "GET", "/v2/templates",
                                  self.tok(self.f.a_live,
                                           iat=now + skew))[0], 200, skew)
        for skew in (-33, 33, -3600, 10 ** 9):
            self.expect_auth(self.tok(self.f.a_live, iat=now + skew), 403,
                             clock)
        self.expect_auth(signed({"alg": "HS256", "typ": "JWT"},
                                {"iss": self.f.a, "iat": str(now)},
                                self.f.a_live[-36:].encode()), 403, clock)

    def test_services_are_isolated_on_every_endpoint(self):
        f, port = self.f, self.api.port
        a_tok = lambda: self.tok(f.a_live)  # noqa: E731
        b_tok = lambda: self.tok(f.b_live)  # noqa: E731
        code, _, sent = call(port, "POST", "/v2/notifications/sms", a_tok(),
                             {"phone_number": "07700900123",
                              "template_id": f.a_sms,
                              "personalisation": {"code": "1"}})
        self.assertEqual(code, 201, sent)
        nid = sent["id"]
        not_found = []
        for method, path, body in [
                ("GET", f"/v2/notifications/{nid}", None),
                ("GET", f"/v2/notifications/{nid}/pdf", None),
                ("GET", f"/v2/template/{f.a_sms}", None),
                ("GET", f"/v2/template/{f.a_sms}/version/1", None),
                ("POST", f"/v2/template/{f.a_sms}/preview",
                 {"personalisation": {"code": "1"}})]:
            code, _, body = call(port, method, path, b_tok(), body)
            not_found.append((path, code, body["errors"][0]["error"]))
        for path, code, error in not_found:
            self.assertIn(code, (404,), path)
            self.assertEqual(error, "NoResultFound", path)
        # Sending with another service's template is "Template not found".
        code, _, body = call(port, "POST", "/v2/notifications/sms", b_tok(),
                             {"phone_number": "07700900123",
                              "template_id": f.a_sms,
                              "personalisation": {"code": "1"}})
        self.assertEqual((code, body["errors"][0]["message"]),
                         (400, "Template not found"))
        # Lists never show the other service's things, even when asked
        # to page from one of its ids.
        for path in ["/v2/notifications", f"/v2/notifications?older_than={nid}",
                     "/v2/templates", "/v2/templates?type=sms",
                     "/v2/received-text-messages"]:
            code, _, body = call(port, "GET", path, b_tok())
            self.assertEqual(code, 200, path)
            body.pop("links", None)  # links echo the query
            text = json.dumps(body)
            self.assertNotIn(nid, text, path)
            self.assertNotIn(f.a_sms, text, path)
        # The owner still sees it all.
        self.assertEqual(call(port, "GET", f"/v2/notifications/{nid}",
                              a_tok())[0], 200)

    def test_team_and_test_key_restrictions(self):
        f, port = self.f, self.api.port
        team = self.tok(f.a_team)
        code, _, body = call(port, "POST", "/v2/notifications/email", team,
                             {"email_address": "stranger@example.com",
                              "template_id": f.a_email,
                              "personalisation": {"name": "X"}})
        self.assertEqual(code, 400)
        self.assertEqual(body["errors"][0]["message"],
                         "Can\u2019t send to this recipient using a "
                         "team-only API key")
        code, _, _ = call(port, "POST", "/v2/notifications/email", team,
                          {"email_address": "member@example.gov.uk",
                           "template_id": f.a_email,
                           "personalisation": {"name": "X"}})
        self.assertEqual(code, 201)
        # A test key's notification is recorded as test and listed only
        # for test keys, so a live key never sees it (and vice versa).
        code, _, t = call(port, "POST", "/v2/notifications/email",
                          self.tok(f.a_test),
                          {"email_address": "anyone@example.com",
                           "template_id": f.a_email,
                           "personalisation": {"name": "X"}})
        self.assertEqual(code, 201)
        record = self.redis.cli("HGET", f"bode:{{s:{f.a}}}:n:{t['id']}",
                                "key_type")
        self.assertEqual(record, "test")
        _, _, live_list = call(port, "GET", "/v2/notifications",
                               self.tok(f.a_live))
        self.assertNotIn(t["id"], json.dumps(live_list))
        _, _, test_list = call(port, "GET", "/v2/notifications",
                               self.tok(f.a_test))
        self.assertIn(t["id"], json.dumps(test_list))

    def test_smoke_test_recipients_are_never_stored(self):
        f, port = self.f, self.api.port
        before = set(self.redis.cli("KEYS", "*").split())
        ids = []
        for path, body in [
                ("/v2/notifications/email",
                 {"email_address":
                  "simulate-delivered@notifications.service.gov.uk",
                  "template_id": f.a_email,
                  "personalisation": {"name": "SmokeName"}}),
                ("/v2/notifications/sms",
                 {"phone_number": "07700900000", "template_id": f.a_sms,
                  "personalisation": {"code": "SmokeCode"}})]:
            code, _, sent = call(port, "POST", path, self.tok(f.a_live), body)
            self.assertEqual(code, 201, sent)
            ids.append(sent["id"])
        after = set(self.redis.cli("KEYS", "*").split())
        new = after - before
        # Only the rate-limit bucket may appear; no record, index or queue
        # entry, and the recipients are nowhere in Redis.
        self.assertTrue(all(":rb:" in k for k in new), new)
        dump = subprocess.run(
            ["redis-cli", "-s", self.redis.sock, "--rdb",
             os.path.join(self.redis.dir, "smoke.rdb")],
            capture_output=True, timeout=30)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        with open(os.path.join(self.redis.dir, "smoke.rdb"), "rb") as fh:
            data = fh.read()
        for needle in [*ids, "simulate-delivered", "SmokeName", "SmokeCode"]:
            self.assertNotIn(needle.encode(), data, needle)


class RevocationTest(unittest.TestCase):
    """Two API processes on one Redis: a key revoked with the CLI is
    refused by both within BODE_AUTH_CACHE_MS."""

    CACHE_MS = 1500

    def test_revoked_key_refused_everywhere_within_cache_bound(self):
        redis = Redis()
        apis = []
        try:
            env = dict(os.environ, BODE_REDIS_URL=redis.url,
                       BODE_SECRET_KEY=TEST_SECRET_KEY)
            sid = run_cli(env, "service", "create", "--name", "Rev")
            made = json.loads(run_cli(env, "key", "create", sid, "--type",
                                      "live", "--json"))
            for _ in range(2):
                api = Bode(["api"], env={
                    "BODE_REDIS_URL": redis.url,
                    "BODE_AUTH_CACHE_MS": str(self.CACHE_MS)})
                apis.append(api)
            for api in apis:
                api.wait_http()
                # Warm each process's cache with the live key.
                self.assertEqual(call(api.port, "GET", "/v2/templates",
                                      token(sid, made["key"][-36:]))[0], 200)
            run_cli(env, "key", "revoke", sid, made["id"])
            revoked_at = time.monotonic()
            refused = {}

            def check():
                for api in apis:
                    if api.port in refused:
                        continue
                    code, _, body = call(api.port, "GET", "/v2/templates",
                                         token(sid, made["key"][-36:]))
                    if code == 403:
                        self.assertEqual(body["errors"][0]["message"],
                                         "Invalid token: API key revoked")
                        refused[api.port] = time.monotonic() - revoked_at
                return len(refused) == len(apis)
            wait_until(check, timeout=10, interval=0.02,
                       what="both API processes to refuse the revoked key")
            worst = max(refused.values())
            sys.stderr.write(
                "revocation: refused by %d processes after %s ms "
                "(bound BODE_AUTH_CACHE_MS=%d)\n" % (
                    len(apis), [round(v * 1000) for v in refused.values()],
                    self.CACHE_MS))
            # The bound plus the CLI's own start-up and one poll interval.
            self.assertLess(worst, self.CACHE_MS / 1000 + 0.5)
        finally:
            for api in apis:
                api.cleanup()
            redis.stop()


class RecentTokenTest(unittest.TestCase):
    """Each API thread remembers tokens it verified in the last second
    (official clients send one token for a whole second), but a
    remembered token still meets every check that can change: a forged
    signature is no match, a revoked key and the iat window still apply."""

    def test_remembered_tokens_keep_every_check(self):
        redis = Redis()
        api = None
        try:
            env = dict(os.environ, BODE_REDIS_URL=redis.url,
                       BODE_SECRET_KEY=TEST_SECRET_KEY)
            sid = run_cli(env, "service", "create", "--name", "Memo")
            made = json.loads(run_cli(env, "key", "create", sid, "--type",
                                      "live", "--json"))
            secret = made["key"][-36:]
            # No key cache: a revocation is seen by the very next request.
            api = Bode(["api"], env={"BODE_REDIS_URL": redis.url,
                                     "BODE_AUTH_CACHE_MS": "0",
                                     "BODE_THREADS": "1"})
            api.wait_http()
            tok = token(sid, secret, iat=int(time.time()))
            for _ in range(3):
                self.assertEqual(call(api.port, "GET", "/v2/templates",
                                      tok)[0], 200)
            # The same token with one signature character changed.
            head, sig = tok.rsplit(".", 1)
            forged = head + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
            code, _, body = call(api.port, "GET", "/v2/templates", forged)
            self.assertEqual(code, 403, body)
            self.assertEqual(call(api.port, "GET", "/v2/templates",
                                  tok)[0], 200)
            run_cli(env, "key", "revoke", sid, made["id"])
            code, _, body = call(api.port, "GET", "/v2/templates", tok)
            self.assertEqual(code, 403, body)
            self.assertEqual(body["errors"][0]["message"],
                             "Invalid token: API key revoked")
            # A token 30 s old passes; the same token a second later, while
            # it may still be remembered, is outside the window.
            fresh = json.loads(run_cli(env, "key", "create", sid, "--type",
                                       "live", "--json"))["key"][-36:]
            while time.time() % 1 > 0.3:
                time.sleep(0.01)
            second = int(time.time())
            old = token(sid, fresh, iat=second - 30)
            self.assertEqual(call(api.port, "GET", "/v2/templates",
                                  old)[0], 200)
            while int(time.time()) == second:
                time.sleep(0.005)
            code, _, body = call(api.port, "GET", "/v2/templates", old)
            self.assertEqual(code, 403, body)
        finally:
            if api:
                api.cleanup()
            redis.stop()


class ReplayGuardTest(unittest.TestCase):
    """BODE_JWT_REPLAY_GUARD=1: each token is accepted once, on any API
    process sharing the Redis; off by default."""

    def test_replay_guard(self):
        redis = Redis()
        apis = []
        try:
            f = Fixture(redis)
            for guard in ("1", "1", None):
                env = {"BODE_REDIS_URL": redis.url}
                if guard:
                    env["BODE_JWT_REPLAY_GUARD"] = guard
                apis.append(Bode(["api"], env=env))
            for api in apis:
                api.wait_http()
            one, two, plain = apis
            secret = f.a_live[-36:]
            # Tokens differ only by iat (whole seconds): every token below
            # takes its own offset from one fixed "now", so no two are
            # equal however the clock ticks during the test.
            now = int(time.time())
            tok = token(f.a, secret, iat=now)
            self.assertEqual(call(one.port, "GET", "/v2/templates", tok)[0],
                             200)
            for api in (one, two):
                code, _, body = call(api.port, "GET", "/v2/templates", tok)
                self.assertEqual(code, 403, body)
                self.assertEqual(body["status_code"], 403)
                self.assertEqual(body["errors"],
                                 [{"error": "AuthError",
                                   "message": REPLAY_MESSAGE}])
            # The guard keys hold a digest, never the signature itself.
            sig = tok.rsplit(".", 1)[1]
            keys = redis.cli("KEYS", f"bode:{{s:{f.a}}}:jwt:*").split()
            self.assertEqual(len(keys), 1)
            self.assertNotIn(sig, keys[0])
            ttl = int(redis.cli("PTTL", keys[0]))
            self.assertTrue(0 < ttl <= 61000, ttl)
            # A fresh token (another iat, so another signature) works.
            fresh = token(f.a, secret, iat=now - 1)
            self.assertEqual(call(two.port, "GET", "/v2/templates",
                                  fresh)[0], 200)
            # Twenty concurrent uses of one token: exactly one wins.
            race = token(f.a, secret, iat=now - 2)
            with concurrent.futures.ThreadPoolExecutor(20) as pool:
                codes = list(pool.map(
                    lambda i: call(apis[i % 2].port, "GET", "/v2/templates",
                                   race)[0], range(20)))
            self.assertEqual(sorted(codes), [200] + [403] * 19)
            # Refused tokens never reach a handler: a replayed POST does
            # not send twice.
            body = {"phone_number": "07700900123", "template_id": f.a_sms,
                    "personalisation": {"code": "1"}}
            post = token(f.a, secret, iat=now - 3)
            self.assertEqual(call(one.port, "POST", "/v2/notifications/sms",
                                  post, body)[0], 201)
            self.assertEqual(call(two.port, "POST", "/v2/notifications/sms",
                                  post, body)[0], 403)
            # Off by default: the same token twice is fine (Notify's rule).
            again = token(f.a, secret, iat=now - 4)
            for _ in range(2):
                self.assertEqual(call(plain.port, "GET", "/v2/templates",
                                      again)[0], 200)
            # Redis gone: the guard fails closed with a 503, not a 200.
            redis.proc.kill()
            redis.proc.wait()
            code, _, body = call(one.port, "GET", "/v2/templates",
                                 token(f.a, secret, iat=now - 5))
            self.assertEqual(code, 503, body)
        finally:
            for api in apis:
                api.cleanup()
            redis.stop()


class Gateway:
    """A provider stub that records the Authorization header it gets."""

    def __init__(self):
        import http.server
        import threading
        self.auth = []
        gw = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                gw.auth.append(self.headers.get("Authorization"))
                out = b'{"id": "gw-1"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()


class PersistentRedis(Redis):
    """A redis-server with AOF on, optionally with a password or an ACL
    user, on TCP (ACL users need a redis:// URL)."""

    def __init__(self, extra=(), url=None, cli_auth=()):
        self.dir = tempfile.mkdtemp(prefix="bode-it-sec-")
        self.port = free_port()
        self.sock = os.path.join(self.dir, "redis.sock")
        self.cli_auth = list(cli_auth)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--unixsocket", self.sock, "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--loglevel", "warning", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = url or f"redis://127.0.0.1:{self.port}/0"
        wait_until(self.ping, what="redis-server")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-s", self.sock, *self.cli_auth,
                               *args], capture_output=True, text=True,
                              timeout=10).stdout.strip()

    def rdb_and_aof(self):
        rdb = os.path.join(self.dir, "dump-copy.rdb")
        out = subprocess.run(["redis-cli", "-s", self.sock, *self.cli_auth,
                              "--rdb", rdb], capture_output=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError(out.stderr)
        with open(rdb, "rb") as fh:
            blobs = {"rdb": fh.read()}
        aof = b""
        for root, _, files in os.walk(self.dir):
            for name in files:
                if ".aof" in name:
                    with open(os.path.join(root, name), "rb") as fh:
                        aof += fh.read()
        blobs["aof"] = aof
        return blobs


class SecretsAtRestTest(unittest.TestCase):
    def test_no_secret_in_redis_dump_aof_or_logs(self):
        redis = PersistentRedis()
        gw = Gateway()
        procs = []
        try:
            provider_cred = "provcred-" + os.urandom(12).hex()
            f = Fixture(redis)
            api = Bode(["api"], env={"BODE_REDIS_URL": redis.url})
            worker = Bode(["worker"], env={
                "BODE_REDIS_URL": redis.url,
                "BODE_SMS_PROVIDERS": "http",
                "BODE_HTTP_URL": gw.url,
                "BODE_HTTP_BODY_TEMPLATE": '{"id": "${id}"}',
                "BODE_HTTP_ACCEPTED_STATUS": "delivered",
                "BODE_HTTP_HEADER_1": "Authorization: Bearer " +
                                      provider_cred})
            procs += [api, worker]
            api.wait_http()
            tok = token(f.a, f.a_live[-36:])
            code, _, sent = call(api.port, "POST", "/v2/notifications/sms",
                                 tok, {"phone_number": "07700900123",
                                       "template_id": f.a_sms,
                                       "personalisation": {"code": "7"}})
            self.assertEqual(code, 201, sent)
            wait_until(lambda: call(api.port, "GET",
                                    f"/v2/notifications/{sent['id']}",
                                    token(f.a, f.a_live[-36:]))[2]["status"]
                       == "delivered", 20, what="delivery")
            self.assertEqual(gw.auth, ["Bearer " + provider_cred])
            show = json.loads(f.cli("service", "show", f.a, "--json"))
            self.assertTrue(show.get("callback_token_set"), show)
            self.assertNotIn("callback_token", {k for k, v in show.items()
                                                if isinstance(v, str)})
            secrets = {
                "live key secret": f.a_live[-36:],
                "team key secret": f.a_team[-36:],
                "test key secret": f.a_test[-36:],
                "other service key secret": f.b_live[-36:],
                "callback token": f.callback_token,
                "provider credential": provider_cred,
                "master key": TEST_SECRET_KEY,
                "bearer token": tok,
            }
            blobs = redis.rdb_and_aof()
            self.assertGreater(len(blobs["aof"]), 1000)
            self.assertIn(f.a.encode(), blobs["aof"])  # the grep can see
            logs = api.output() + worker.output()
            self.assertIn(sent["id"], logs)  # the logs are really there
            for what, value in secrets.items():
                for name, blob in blobs.items():
                    self.assertNotIn(value.encode(), blob,
                                     f"{what} readable in Redis {name}")
                self.assertNotIn(value, logs, f"{what} in logs")
            self.assertNotIn("07700900123", logs)
        finally:
            for p in procs:
                p.cleanup()
            gw.stop()
            redis.stop()


class RedactionTest(unittest.TestCase):
    """Notify's redact_personalisation, per template: once a provider has
    the message, the stored personalisation, body and subject no longer
    hold the values sent; other templates are untouched."""

    def test_personalisation_redacted_after_sending(self):
        redis = Redis()
        gw = Gateway()
        procs = []
        try:
            f = Fixture(redis)
            secret_name = "Zebedee-" + os.urandom(6).hex()
            red = f.cli("template", "create", f.a, "--type", "email",
                        "--name", "R", "--subject", "For ((name))",
                        "--body", "Dear ((name)), code ((code)).")
            self.assertEqual(f.cli("template", "redact", f.a, red), "")
            shown = json.loads(f.cli("template", "show", f.a, red))
            self.assertIs(shown["redact_personalisation"], True)
            shown = json.loads(f.cli("template", "show", f.a, f.a_email))
            self.assertIs(shown["redact_personalisation"], False)
            missing = subprocess.run(
                [BODE, "template", "redact", f.a,
                 "00000000-0000-4000-8000-000000000000"], env=f.env,
                capture_output=True, text=True, timeout=30)
            self.assertNotEqual(missing.returncode, 0)
            api = Bode(["api"], env={"BODE_REDIS_URL": redis.url})
            procs.append(api)
            api.wait_http()
            tok = lambda: token(f.a, f.a_live[-36:])  # noqa: E731
            # No worker yet: until a provider has the message, its data
            # stays (it is needed to send it).
            code, _, kept = call(api.port, "POST", "/v2/notifications/email",
                                 tok(), {"email_address": "r@example.com",
                                         "template_id": red,
                                         "personalisation": {
                                             "name": secret_name,
                                             "code": "4711",
                                             "extra": "unused " +
                                                      secret_name}})
            self.assertEqual(code, 201, kept)
            code, _, plain = call(api.port, "POST", "/v2/notifications/email",
                                  tok(), {"email_address": "p@example.com",
                                          "template_id": f.a_email,
                                          "personalisation": {
                                              "name": secret_name}})
            self.assertEqual(code, 201, plain)
            key = f"bode:{{s:{f.a}}}:n:{kept['id']}"
            self.assertIn(secret_name, redis.cli("HGET", key,
                                                 "personalisation"))
            worker = Bode(["worker"], env={
                "BODE_REDIS_URL": redis.url,
                "BODE_EMAIL_PROVIDERS": "http",
                "BODE_HTTP_URL": gw.url,
                "BODE_HTTP_BODY_TEMPLATE": '{"id": "${id}"}',
                "BODE_HTTP_ACCEPTED_STATUS": "sending"})
            procs.append(worker)

            def status(nid):
                return call(api.port, "GET", f"/v2/notifications/{nid}",
                            tok())[2]
            wait_until(lambda: status(kept["id"])["status"] == "sending"
                       and status(plain["id"])["status"] == "sending", 20,
                       what="both to be handed to the provider")
            wait_until(lambda: redis.cli("HGET", key, "redacted") == "1", 10,
                       what="the record to be redacted")
            got = status(kept["id"])
            self.assertEqual(got["body"],
                             "Dear <redacted>, code <redacted>.")
            self.assertEqual(got["subject"], "For <redacted>")
            stored = json.loads(redis.cli("HGET", key, "personalisation"))
            self.assertEqual(stored, {"name": "<redacted>",
                                      "code": "<redacted>",
                                      "extra": "<redacted>"})
            record = redis.cli("HGETALL", key)
            self.assertNotIn(secret_name, record)
            self.assertNotIn("4711", record)
            shown = f.cli("notification", "show", kept["id"])
            self.assertNotIn(secret_name, shown)
            # The provider got the real content, once.
            self.assertEqual(len(gw.auth), 2)
            # Other templates keep theirs (Notify's default).
            other = status(plain["id"])
            self.assertIn(secret_name, other["body"])
        finally:
            for p in procs:
                p.cleanup()
            gw.stop()
            redis.stop()


class RedisAclTest(unittest.TestCase):
    """requirepass, and an ACL user limited to bode:* keys and the
    commands docs/security.md lists; default user off."""

    def documented_acl(self):
        with open(os.path.join(SOURCE_DIR, "docs/security.md")) as fh:
            text = fh.read()
        m = re.search(r"^(user bode on .*)$", text, re.M)
        self.assertIsNotNone(m, "docs/security.md has no ACL line")
        return m.group(1)

    def end_to_end(self, redis, url):
        env = dict(os.environ, BODE_REDIS_URL=url,
                   BODE_SECRET_KEY=TEST_SECRET_KEY)
        sid = run_cli(env, "service", "create", "--name", "Acl")
        key = run_cli(env, "key", "create", sid, "--type", "live")
        tid = run_cli(env, "template", "create", sid, "--type", "sms",
                      "--name", "S", "--body", "Hi ((n))")
        outbox = os.path.join(redis.dir, "outbox.jsonl")
        api = Bode(["api"], env={"BODE_REDIS_URL": url})
        worker = Bode(["worker"], env={"BODE_REDIS_URL": url,
                                       "BODE_SANDBOX_OUTBOX": outbox})
        try:
            api.wait_http()
            code, _, status = call(api.port, "GET", "/_status")
            self.assertEqual((code, status["status"]), (200, "ok"), status)
            code, _, sent = call(api.port, "POST", "/v2/notifications/sms",
                                 token(sid, key[-36:]),
                                 {"phone_number": "07700900123",
                                  "template_id": tid,
                                  "personalisation": {"n": "x"}})
            self.assertEqual(code, 201, sent)
            wait_until(lambda: call(api.port, "GET",
                                    f"/v2/notifications/{sent['id']}",
                                    token(sid, key[-36:]))[2]["status"]
                       == "delivered", 20, what="delivery under auth")
            run_cli(env, "queue", "stats")
            for p in (api, worker):
                self.assertNotIn("NOPERM", p.output())
                self.assertNotIn("NOAUTH", p.output())
        finally:
            api.cleanup()
            worker.cleanup()

    def test_requirepass(self):
        pw = "pw-" + os.urandom(8).hex()
        redis = PersistentRedis(["--requirepass", pw],
                                cli_auth=["--no-auth-warning", "-a", pw])
        try:
            url = f"redis://:{pw}@127.0.0.1:{redis.port}/0"
            # Without the password nothing works (and says why, once).
            api = Bode(["api"], env={
                "BODE_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0"})
            try:
                api.wait_http("/_status/live")
                self.assertEqual(call(api.port, "GET", "/_status")[0], 503)
                self.assertNotIn(pw, api.output())
            finally:
                api.cleanup()
            self.end_to_end(redis, url)
            self.assertNotIn(pw, redis.cli("KEYS", "*"))
        finally:
            redis.stop()

    def test_acl_user_limited_to_bode_keys(self):
        pw = "aclpw-" + os.urandom(8).hex()
        line = self.documented_acl().replace("<password>", pw)
        acl_file = tempfile.NamedTemporaryFile("w", suffix=".acl",
                                               delete=False)
        acl_file.write(line + "\n")
        acl_file.write("user admin on >adminpw ~* &* +@all\n")
        acl_file.write("user default off\n")
        acl_file.close()
        redis = PersistentRedis(["--aclfile", acl_file.name],
                                cli_auth=["--no-auth-warning", "--user",
                                          "admin", "--pass", "adminpw"])
        try:
            url = f"redis://bode:{pw}@127.0.0.1:{redis.port}/0"
            self.end_to_end(redis, url)
            # The user really is limited: other keys and admin commands
            # are refused.
            limited = ["redis-cli", "-p", str(redis.port),
                       "--no-auth-warning", "--user", "bode", "--pass", pw]
            for cmd in (["SET", "other:key", "1"], ["GET", "x"],
                        ["FLUSHALL"], ["CONFIG", "GET", "*"], ["KEYS", "*"],
                        ["SHUTDOWN"]):
                out = subprocess.run(limited + cmd, capture_output=True,
                                     text=True, timeout=10)
                self.assertIn("NOPERM", out.stdout + out.stderr, cmd)
            self.assertEqual(redis.cli("PING"), "PONG")
        finally:
            redis.stop()
            os.unlink(acl_file.name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
