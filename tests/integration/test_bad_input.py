"""Bad input against a real `bode api` (issue 8, docs/security.md).

Generated malformed requests (1,000 here; 10,000 with --full): broken
JSON, wrong types, huge and deeply nested bodies, bad UTF-8, NULs,
oversized headers, invalid UUIDs, unknown fields, absurd personalisation,
bad tokens, bad query strings. Every answer must be a 4xx in Notify's v2
error shape ({"status_code", "errors": [{"error", "message"}]}) or its v1
shape ({"result": "error", "message"}) for unknown routes and methods;
the server must stay up and its RSS (VmRSS) flat. Requests libmicrohttpd
itself refuses before Bode sees them get its own HTML 4xx: counted and
reported separately as the known deviation docs/security.md describes.

Then: slow and idle connections time out, a 100 MB body is refused with
413 without being buffered, and the per-IP and global connection limits
hold.

    python3 tests/integration/test_bad_input.py [--full] [--seed N] [-v]

The last stdout line is `BAD_INPUT_SUMMARY {json}` with the figures, for
scripts/chaos and docs/reliability.md."""
import http.client
import json
import os
import random
import select
import socket
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request, wait_until)
from test_api_v2 import b64, token  # noqa: E402

FULL = "--full" in sys.argv
SEED = 8
if "--seed" in sys.argv:
    SEED = int(sys.argv[sys.argv.index("--seed") + 1])
COUNT = 10000 if FULL else 1000
CONN_TIMEOUT = 3
# Above CONN_TIMEOUT, so idle clients meet the idle timeout first and only
# clients that keep sending meet this one.
REQUEST_TIMEOUT = 5
PER_IP_LIMIT = 8
CONN_LIMIT = 24
SUMMARY = {"seed": SEED, "requests": COUNT}


def sanitized():
    """True for an ASan build, whose allocator holds freed memory in a
    quarantine (256 MB by default) so RSS grows without a leak."""
    with open(BODE, "rb") as f:
        return b"__asan_init" in f.read()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Generator:
    """Makes (method, path, headers, body, category) for malformed
    requests that Bode must refuse, reproducibly from a seed."""

    def __init__(self, rnd, sid, secret, sms_t, email_t):
        self.r = rnd
        self.sid = sid
        self.secret = secret
        self.sms_t = sms_t
        self.email_t = email_t

    def tok(self):
        return token(self.sid, self.secret, iat=int(time.time()))

    def auth(self):
        return {"Authorization": "Bearer " + self.tok(),
                "Content-Type": "application/json"}

    def valid_sms(self):
        return {"phone_number": "07700900123", "template_id": self.sms_t,
                "personalisation": {"code": "1"}}

    def valid_email(self):
        return {"email_address": "a@example.com",
                "template_id": self.email_t,
                "personalisation": {"name": "A"}}

    def junk_text(self, n):
        alphabet = "abc{}[]\":,\\ 0123456789-\u00e9\u2028\U0001F600"
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # -- categories: each returns (method, path, headers, body) --

    def broken_json(self):
        good = json.dumps(self.r.choice([self.valid_sms(),
                                         self.valid_email()]))
        cut = self.r.randrange(1, len(good))
        body = self.r.choice([
            good[:cut], good + self.r.choice(["}", "x", ",", "{}", "]"]),
            good.replace(":", "", 1), good.replace('"', "'"),
            "{", "[", "}", "null", "[]", "42", '"str"', "{,}", "{\"a\":}",
            good.replace(",", ",,", 1), "{\"a\" \"b\"}", "\ufeff" + good,
            self.junk_text(self.r.randrange(1, 200)),
            "{\"template_id\": NaN}", "{\"template_id\": Infinity}",
            good[:-1] + ", }",
        ])
        path = self.r.choice(["/v2/notifications/sms",
                              "/v2/notifications/email",
                              f"/v2/template/{self.sms_t}/preview"])
        return "POST", path, self.auth(), body.encode("utf-8", "replace")

    def wrong_types(self):
        kind = self.r.choice(["sms", "email"])
        body = self.valid_sms() if kind == "sms" else self.valid_email()
        field = self.r.choice(list(body) + ["reference",
                                            "email_reply_to_id",
                                            "sms_sender_id",
                                            "one_click_unsubscribe_url",
                                            "scheduled_for"])
        bad = self.r.choice([1, 1.5, True, None, [], [1], {}, {"a": 1},
                             -1, 10 ** 30])
        if field == "personalisation" and isinstance(bad, dict):
            bad = [bad]
        if field in ("reference", "scheduled_for", "one_click_unsubscribe_url") \
                and bad is None:
            bad = 7
        body[field] = bad
        return ("POST", f"/v2/notifications/{kind}", self.auth(),
                json.dumps(body).encode())

    def huge_body(self):
        # Just under the 64 KiB the suite sets as BODE_BODY_LIMIT: parsed,
        # then refused (a reference far over 1000 characters, a huge
        # template id); or over it: 413.
        size = self.r.choice([60000, 65000, 70000, 200000])
        body = self.valid_sms()
        body[self.r.choice(["reference", "template_id",
                            "phone_number"])] = "x" * size
        return ("POST", "/v2/notifications/sms", self.auth(),
                json.dumps(body).encode())

    def deep_nesting(self):
        depth = self.r.choice([50, 500, 3000, 20000])
        opener, closer = self.r.choice([("[", "]"), ('{"a":', "}")])
        nested = opener * depth + "1" + closer * depth
        if len(nested) > 60000:
            depth = 60000 // (len(opener) + len(closer)) - 1
            nested = opener * depth + "1" + closer * depth
        where = self.r.choice(["top", "template_id", "phone_number"])
        if where == "top":
            body = nested
        else:
            body = json.dumps(self.valid_sms())
            body = body.replace(f'"{where}": ', f'"{where}": {nested}, '
                                f'"{where}_x": ', 1)
        return ("POST", "/v2/notifications/sms", self.auth(),
                body.encode())

    def bad_utf8(self):
        raw = json.dumps(self.valid_sms()).encode()
        junk = self.r.choice([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80",
                              b"\xf8\x88\x80\x80\x80", b"\xc0\xaf",
                              b"\xf4\x90\x80\x80"])
        at = raw.index(b"07700900123")
        body = raw[:at] + junk + raw[at:]
        return "POST", "/v2/notifications/sms", self.auth(), body

    def nuls(self):
        raw = json.dumps(self.valid_sms())
        body = self.r.choice([
            raw.replace("07700900123", "0770\\u00000900123").encode(),
            raw.replace("code", "co\\u0000de").encode(),
            raw.encode().replace(b"07700900123", b"0770\x000900123"),
            b"\x00" + raw.encode(),
            raw.encode() + b"\x00",
        ])
        return "POST", "/v2/notifications/sms", self.auth(), body

    def invalid_uuid(self):
        bad = self.r.choice(["nope", "", "1", "0" * 36, "g" * 36,
                             "00000000-0000-0000-0000-00000000000",
                             "00000000-0000-0000-0000-0000000000000",
                             "{00000000-0000-0000-0000-000000000000}",
                             "00000000_0000_0000_0000_000000000000",
                             "..%2F..%2Fetc%2Fpasswd", "%00", "%FF%FE",
                             "' OR 1=1 --", "a" * 300])
        which = self.r.choice(["get", "tmpl", "version", "preview", "post",
                               "list"])
        q = urllib.parse.quote(bad, safe="%")
        if which == "get":
            return "GET", f"/v2/notifications/{q}", self.auth(), None
        if which == "tmpl":
            return "GET", f"/v2/template/{q}", self.auth(), None
        if which == "version":
            v = self.r.choice(["x", "-1", "0", "1.5", "99999999999999"])
            return ("GET", f"/v2/template/{self.sms_t}/version/{v}",
                    self.auth(), None)
        if which == "preview":
            return ("POST", f"/v2/template/{q}/preview", self.auth(),
                    b"{}")
        if which == "list":
            return ("GET", "/v2/notifications?older_than=" + q, self.auth(),
                    None)
        body = self.valid_sms()
        body["template_id"] = bad.replace("%", "")
        return ("POST", "/v2/notifications/sms", self.auth(),
                json.dumps(body).encode())

    def unknown_fields(self):
        body = self.r.choice([self.valid_sms(), self.valid_email()])
        kind = "sms" if "phone_number" in body else "email"
        for _ in range(self.r.randrange(1, 4)):
            body[self.r.choice(["colour", "__proto__", "constructor", "x" * 200,
                                "template_id ", "Template_ID", "priority",
                                "\u00e9t\u00e9"])] = "x"
        return ("POST", f"/v2/notifications/{kind}", self.auth(),
                json.dumps(body).encode())

    def absurd_personalisation(self):
        body = self.valid_sms()
        choice = self.r.randrange(5)
        if choice == 0:
            # A placeholder value far over SMS's 918 characters.
            body["personalisation"] = {"code": "x" * self.r.choice(
                [1000, 20000, 60000])}
        elif choice == 1:
            body["personalisation"] = self.r.choice(
                ["x", 5, [], [{"code": 1}], True])
        elif choice == 2:
            # Missing the template's placeholder among thousands of others.
            body["personalisation"] = {f"k{i}": "v" for i in range(3000)}
        elif choice == 3:
            body = self.valid_email()
            body["personalisation"] = {"name": "\u2028" * 20000 + "x" * 2000}
            body["email_address"] = "not-an-email"
        else:
            body["personalisation"] = {"code": "1"}
            body["phone_number"] = self.r.choice(
                ["+" + "9" * 40, "0", "", "abc", "\u0660" * 11,
                 "07700 900 123 ext 5", "+44 7700 900123x"])
        kind = "email" if "email_address" in body else "sms"
        return ("POST", f"/v2/notifications/{kind}", self.auth(),
                json.dumps(body).encode())

    def bad_jwt(self):
        now = int(time.time())
        choice = self.r.randrange(12)
        good = self.tok()
        toks = [
            lambda: "",
            lambda: "garbage",
            lambda: good[:-1],
            lambda: good + "A",
            lambda: good.replace(".", "..", 1),
            lambda: "x" * 5000,
            lambda: token(self.sid, self.secret, iat=now - 3600),
            lambda: token(self.sid, self.secret, alg="none"),
            lambda: token(self.sid, "0" * 36),
            lambda: token("00000000-0000-4000-8000-000000000000",
                          self.secret),
            lambda: b64(b'{"alg":"HS256"}') + "." + b64(b"[]") + "." + b64(
                b"x" * 32),
            lambda: token(self.sid, self.secret,
                          claims={"iss": self.sid, "iat": now, "exp": 1}),
        ]
        tok = toks[choice]()
        scheme = self.r.choice(["Bearer ", "Bearer ", "Basic ", "", "bearer"])
        headers = {"Authorization": scheme + tok,
                   "Content-Type": "application/json"}
        if self.r.random() < 0.1:
            headers.pop("Authorization")
        method, path = self.r.choice([("GET", "/v2/templates"),
                                      ("POST", "/v2/notifications/sms"),
                                      ("GET", "/v2/notifications")])
        body = json.dumps(self.valid_sms()).encode() if method == "POST" \
            else None
        return method, path, headers, body

    def bad_query(self):
        q = self.r.choice(["status=bogus", "template_type=fax",
                           "older_than=x",
                           "status=", "template_type=", "include_jobs=maybe",
                           "colour=red", "status=%FF", "%zz=1"])
        path = self.r.choice(["/v2/notifications", "/v2/templates"])
        if path == "/v2/templates":
            q = self.r.choice(["type=fax", "type=", "type=letterz",
                               "type=%00"])
        return "GET", f"{path}?{q}", self.auth(), None

    def bad_route(self):
        path, method = self.r.choice([
            ("/v2/nope", "GET"), ("/v2/notifications/sms", "GET"),
            ("/v2/notifications/sms", "DELETE"), ("/v2/templates", "POST"),
            ("/" + "a" * 3000, "GET"), ("/v2/notifications/%2e%2e/x", "GET"),
            ("/v3/notifications", "POST"), ("/_status", "PUT"),
            ("/v2//notifications", "GET"), ("/v2/template", "GET"),
        ])
        return method, path, self.auth(), b"{}" if method != "GET" else None

    def oversized_header(self):
        headers = self.auth()
        size = self.r.choice([70000, 100000])
        headers["X-" + "h" * 10] = "v" * size
        return "GET", "/v2/templates", headers, None

    CATEGORIES = ["broken_json", "wrong_types", "huge_body", "deep_nesting",
                  "bad_utf8", "nuls", "invalid_uuid", "unknown_fields",
                  "absurd_personalisation", "bad_jwt", "bad_query",
                  "bad_route", "oversized_header"]
    # Big requests are rarer so the suite stays quick.
    WEIGHTS = [10, 10, 2, 3, 8, 8, 10, 8, 6, 12, 6, 6, 1]

    def make(self):
        cat = self.r.choices(self.CATEGORIES, self.WEIGHTS)[0]
        return (cat, *getattr(self, cat)())


def raw_request(port, method, path, headers, body, timeout=20):
    """One request on its own connection, bytes as given. Returns
    (status, content-type, body bytes); status 0 when the server closed
    without answering."""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1",
            "Connection: close"]
    for k, v in headers.items():
        head.append(f"{k}: {v}")
    if body is not None:
        head.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace")
    data += body or b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (413) and closed
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except ConnectionResetError:
            pass
    reply = b"".join(chunks)
    if not reply:
        return 0, "", b""
    head, _, rest = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    ctype = ""
    chunked = False
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-type":
            ctype = v.strip()
        if k.strip().lower() == "transfer-encoding" and "chunked" in v:
            chunked = True
    if chunked:
        out = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        rest = out
    return status, ctype, rest


def notify_shaped(status, body):
    """None when body is one of Notify's error shapes for status, else
    why not."""
    try:
        data = json.loads(body)
    except ValueError:
        return "not JSON"
    if not isinstance(data, dict):
        return "not an object"
    if set(data) == {"result", "message"}:
        if data["result"] != "error" or not isinstance(data["message"], str):
            return "bad v1 shape"
        return None if status in (404, 405) else "v1 shape for %d" % status
    if set(data) != {"status_code", "errors"}:
        return "keys %s" % sorted(data)
    if data["status_code"] != status:
        return "status_code %r != %d" % (data["status_code"], status)
    errors = data["errors"]
    if not isinstance(errors, list) or not errors:
        return "errors not a non-empty list"
    for e in errors:
        if not isinstance(e, dict) or set(e) != {"error", "message"} or \
                not isinstance(e["error"], str) or \
                not isinstance(e["message"], str) or not e["message"]:
            return "bad error entry %r" % (e,)
    return None


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        env = dict(os.environ, BODE_REDIS_URL=cls.redis.url,
                   BODE_SECRET_KEY=TEST_SECRET_KEY)

        def cli(*args):
            import subprocess
            out = subprocess.run([BODE, *args], env=env, capture_output=True,
                                 text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            return out.stdout.strip()
        cls.sid = cli("service", "create", "--name", "Bad")
        cls.secret = cli("key", "create", cls.sid, "--type", "live")[-36:]
        cls.sms_t = cli("template", "create", cls.sid, "--type", "sms",
                        "--name", "S", "--body", "Code ((code))")
        cls.email_t = cli("template", "create", cls.sid, "--type", "email",
                          "--name", "E", "--subject", "Hi ((name))",
                          "--body", "Dear ((name))")
        env = {}
        if sanitized():
            # A small quarantine fills during warm-up, so RSS then stays
            # flat unless memory really leaks (LeakSanitizer checks that
            # too, at exit); use-after-free of recent frees is still found.
            env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + \
                ":quarantine_size_mb=2"
            SUMMARY["asan"] = True
        cls.api = Bode(["api"], env={
            **env,
            "BODE_REDIS_URL": cls.redis.url,
            "BODE_BODY_LIMIT": str(64 * 1024),
            "BODE_CONN_TIMEOUT": str(CONN_TIMEOUT),
            "BODE_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
            "BODE_PER_IP_LIMIT": str(PER_IP_LIMIT),
            "BODE_CONN_LIMIT": str(CONN_LIMIT),
            "BODE_LOG_LEVEL": "warn"})
        cls.api.wait_http()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.api.stop()
        finally:
            cls.api.cleanup()
            cls.redis.stop()
            print("BAD_INPUT_SUMMARY " + json.dumps(SUMMARY, sort_keys=True))

    def alive(self):
        self.assertIsNone(self.api.proc.poll(), "bode api died")
        self.assertEqual(request(self.api.port, "GET",
                                 "/_status?simple=1")[0], 200)

    def wait_slots(self):
        def free():
            try:
                return request(self.api.port, "GET",
                               "/_status?simple=1")[0] == 200
            except OSError:
                return False
        wait_until(free, timeout=CONN_TIMEOUT + 10,
                   what="connection slots to free up")

    def test_1_generated_malformed_requests(self):
        gen = Generator(random.Random(SEED), self.sid, self.secret,
                        self.sms_t, self.email_t)
        pid = self.api.proc.pid
        counts, mhd, bad = {}, {}, []
        statuses = {}
        rss_first = None
        started = time.monotonic()
        for i in range(COUNT):
            cat, method, path, headers, body = gen.make()
            status, ctype, payload = raw_request(self.api.port, method, path,
                                                 headers, body)
            counts[cat] = counts.get(cat, 0) + 1
            statuses[status] = statuses.get(status, 0) + 1
            if i == COUNT // 5:
                rss_first = rss_kib(pid)
            if not 400 <= status < 500:
                bad.append((cat, method, path[:80], status, payload[:200]))
                continue
            if "json" not in ctype:
                # libmicrohttpd's own answer, before Bode sees the request.
                mhd[(cat, status)] = mhd.get((cat, status), 0) + 1
                continue
            why = notify_shaped(status, payload)
            if why:
                bad.append((cat, method, path[:80], status, why))
        elapsed = time.monotonic() - started
        rss_last = rss_kib(pid)
        self.alive()
        SUMMARY.update({
            "by_category": counts,
            "by_status": {str(k): v for k, v in sorted(statuses.items())},
            "mhd_native": {f"{c}:{s}": n for (c, s), n in mhd.items()},
            "not_notify_shaped_or_not_4xx": len(bad),
            "rss_kib_first": rss_first, "rss_kib_last": rss_last,
            "seconds": round(elapsed, 1)})
        sys.stderr.write("bad input: %d requests in %.1f s, statuses %s, "
                         "RSS %d -> %d KiB, libmicrohttpd-native %s\n" % (
                             COUNT, elapsed, SUMMARY["by_status"], rss_first,
                             rss_last, SUMMARY["mhd_native"]))
        for b in bad[:20]:
            sys.stderr.write("BAD %r\n" % (b,))
        self.assertEqual(bad[:10], [], "%d bad answers" % len(bad))
        # Only oversized headers may be answered by libmicrohttpd itself.
        self.assertTrue(all(c == "oversized_header" for c, _ in mhd), mhd)
        # Flat: after warm-up (the first fifth), under 16 MiB of growth.
        # Under ASan the allocator's own caches and shadow pages grow with
        # the mix of sizes (18 MiB seen on a loaded machine), so there the
        # bound only catches a real leak's scale.
        self.assertLess(rss_last - rss_first,
                        (64 if sanitized() else 16) * 1024)

    def test_2_request_without_host_is_mhd_html_400(self):
        # Known deviation: libmicrohttpd 0.9.75 answers HTTP/1.1 without
        # Host itself, with an HTML 400, before Bode's handler runs.
        with socket.create_connection(("127.0.0.1", self.api.port),
                                      timeout=10) as s:
            s.sendall(b"GET /_status HTTP/1.1\r\nConnection: close\r\n\r\n")
            reply = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                reply += c
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:60])
        self.assertIn(b"<html>", reply.lower())
        SUMMARY["no_host"] = "libmicrohttpd HTML 400 (known deviation)"
        # Also libmicrohttpd's: a request line with raw spaces in the
        # target is closed without an answer.
        with socket.create_connection(("127.0.0.1", self.api.port),
                                      timeout=10) as s:
            s.sendall(b"GET /v2/notifications?x=' OR 1=1 -- HTTP/1.1\r\n"
                      b"Host: x\r\n\r\n")
            try:
                reply = s.recv(4096)
            except ConnectionResetError:
                reply = b""
        SUMMARY["raw_space_request_line"] = reply[:12].decode("latin-1") or \
            "closed without answer (known deviation)"
        self.alive()

    def test_3_idle_and_slowloris_connections_time_out(self):
        self.wait_slots()
        results = {}
        # Idle: connect and say nothing.
        # Slowloris: half a request line, then silence.
        # Half a body: headers promising 100 bytes, 10 sent, then silence.
        for name, first in [
                ("idle", b""),
                ("slow_headers", b"POST /v2/notifications/sms HTTP/1.1\r\n"
                                 b"Host: x\r\nContent-Ty"),
                ("slow_body", b"POST /_status HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 100\r\n\r\n0123456789")]:
            s = socket.create_connection(("127.0.0.1", self.api.port))
            s.settimeout(CONN_TIMEOUT + 15)
            start = time.monotonic()
            if first:
                s.sendall(first)
            try:
                got = s.recv(4096)
            except ConnectionResetError:
                got = b""
            closed_after = time.monotonic() - start
            s.close()
            results[name] = round(closed_after, 2)
            # Closed (a 4xx for the half body is also fine) within the
            # timeout plus libmicrohttpd's 1 s timer granularity.
            self.assertTrue(got == b"" or got.startswith(b"HTTP/1.1 4"), got)
            self.assertLess(closed_after, CONN_TIMEOUT + 2.5, name)
            self.assertGreater(closed_after, CONN_TIMEOUT - 1, name)
        # A client dribbling one byte per second is never idle, so only
        # the request deadline closes it: BODE_REQUEST_TIMEOUT from the
        # request line, and before a request line the idle timeout plus
        # the request timeout (so a silent keep-alive connection always
        # meets libmicrohttpd's idle timeout first).
        for name, first, drip, deadline in [
                ("dribble_request_line", b"G", b"E",
                 CONN_TIMEOUT + REQUEST_TIMEOUT),
                ("dribble_headers", b"GET /_status HTTP/1.1\r\nHost: x\r\n",
                 b"X", REQUEST_TIMEOUT),
                ("dribble_body", b"POST /_status HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 100\r\n\r\n", b"0",
                 REQUEST_TIMEOUT)]:
            s = socket.create_connection(("127.0.0.1", self.api.port))
            s.settimeout(0.01)
            start = time.monotonic()
            s.sendall(first)
            closed_after = None
            sent = 0
            while time.monotonic() - start < deadline * 3:
                try:
                    # One byte a second; look for the close ten times as
                    # often, so it is seen within 0.1 s.
                    if time.monotonic() - start >= sent:
                        s.sendall(drip)
                        sent += 1
                    if s.recv(1) == b"":
                        closed_after = time.monotonic() - start
                        break
                except socket.timeout:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - start
                    break
                time.sleep(0.1)
            s.close()
            results[name] = closed_after and round(closed_after, 2)
            self.assertIsNotNone(closed_after, f"{name}: never closed")
            # The deadline, plus the watchdog's 0.25 s tick and this loop's
            # 0.1 s.
            self.assertGreater(closed_after, deadline - 0.5, name)
            self.assertLess(closed_after, deadline + 1, name)
        # The clock restarts with each request: a keep-alive client asking
        # once a second for longer than the deadline keeps its connection.
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port,
                                          timeout=10)
        start = time.monotonic()
        conn.request("GET", "/_status?simple=1")
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        first_sock = conn.sock
        answered = 1
        while time.monotonic() - start < REQUEST_TIMEOUT + 2:
            time.sleep(1)
            conn.request("GET", "/_status?simple=1")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
            self.assertIs(conn.sock, first_sock, "connection was replaced")
            answered += 1
        conn.close()
        results["keep_alive_requests_on_one_connection"] = answered
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port,
                                          timeout=10)
        conn.request("GET", "/metrics")
        scrape = conn.getresponse().read().decode()
        conn.close()
        for phase in ("request_line", "headers", "body"):
            line = f'bode_http_request_timeouts_total{{phase="{phase}"}} '
            self.assertIn(line, scrape)
            self.assertGreaterEqual(
                float(scrape.split(line, 1)[1].split()[0]), 1, phase)
        SUMMARY["timeouts_s"] = results
        SUMMARY["conn_timeout_s"] = CONN_TIMEOUT
        SUMMARY["request_timeout_s"] = REQUEST_TIMEOUT
        sys.stderr.write(f"timeouts: {results} (BODE_CONN_TIMEOUT="
                         f"{CONN_TIMEOUT}, BODE_REQUEST_TIMEOUT="
                         f"{REQUEST_TIMEOUT})\n")
        self.alive()

    def test_4_hundred_megabyte_body_is_refused_unbuffered(self):
        self.wait_slots()
        pid = self.api.proc.pid
        before = rss_kib(pid)
        size = 100 * 1024 * 1024
        # Declared length: 413 from the headers, before the body is read.
        s = socket.create_connection(("127.0.0.1", self.api.port),
                                     timeout=20)
        s.sendall(b"POST /v2/notifications/sms HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % size)
        sent = 0
        chunk = b"x" * 65536
        reply = b""
        s.settimeout(0.05)
        start = time.monotonic()
        while sent < size and time.monotonic() - start < 20:
            try:
                reply += s.recv(65536)
                if reply:
                    break
            except socket.timeout:
                pass
            try:
                s.sendall(chunk)
                sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        s.settimeout(5)
        try:
            while b"\r\n\r\n" not in reply:
                c = s.recv(65536)
                if not c:
                    break
                reply += c
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:80])
        body = reply.partition(b"\r\n\r\n")[2]
        if body:
            try:
                self.assertIsNone(notify_shaped(413, body.split(b"\r\n")[-1]
                                                if b"{" not in body[:1]
                                                else body))
            except ValueError:
                pass
        # Chunked: no length to refuse early; counted as it arrives and
        # dropped past the cap, then 413. Suite: 20 MB; --full: 100 MB.
        chunked_size = size if FULL else 20 * 1024 * 1024
        s = socket.create_connection(("127.0.0.1", self.api.port),
                                     timeout=60)
        s.sendall(b"POST /v2/notifications/sms HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        piece = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        start_chunked = time.monotonic()
        peak = before
        chunked_sent = 0
        try:
            for i in range(chunked_size // len(chunk)):
                s.sendall(piece)
                chunked_sent += len(chunk)
                if i % 64 == 0:
                    peak = max(peak, rss_kib(pid))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunked_reply = b""
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunked_reply += c
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        chunked_s = time.monotonic() - start_chunked
        after = rss_kib(pid)
        SUMMARY["big_body"] = {
            "declared_bytes": size, "bytes_sent_before_413": sent,
            "chunked_bytes": chunked_size,
            "chunked_bytes_sent_before_close": chunked_sent,
            "chunked_seconds": round(chunked_s, 2),
            "chunked_status": chunked_reply[:12].decode("latin-1"),
            "rss_kib_before": before, "rss_kib_peak": peak,
            "rss_kib_after": after}
        sys.stderr.write(f"big body: {SUMMARY['big_body']}\n")
        self.assertTrue(chunked_reply.startswith(b"HTTP/1.1 413"),
                        chunked_reply[:80])
        # The client saw 413 early: far less than the body was sent.
        self.assertLess(sent, 16 * 1024 * 1024)
        # Not buffered: RSS grew by far less than the body.
        self.assertLess(peak - before, 16 * 1024)
        self.alive()

    def _open(self, source, n):
        socks = []
        for _ in range(n):
            s = socket.socket()
            s.settimeout(5)
            s.bind((source, 0))
            s.connect(("127.0.0.1", self.api.port))
            socks.append(s)
        return socks

    @staticmethod
    def _classify(socks):
        """Sends a request on every socket, then sorts them: served (an
        HTTP answer), refused (closed or reset at once) or waiting (still
        in the listen queue: the server stopped accepting at its
        limit)."""
        served = refused = waiting = 0
        for s in socks:
            try:
                s.sendall(b"GET /_status?simple=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            except (ConnectionResetError, BrokenPipeError):
                pass
        # One short window for all of them, well inside CONN_TIMEOUT, so
        # no served connection idles out and frees its slot meanwhile.
        pending = {s.fileno(): s for s in socks}
        deadline = time.monotonic() + 1.0
        while pending and time.monotonic() < deadline:
            ready, _, _ = select.select(list(pending.values()), [], [],
                                        max(0, deadline - time.monotonic()))
            for s in ready:
                del pending[s.fileno()]
                try:
                    got = s.recv(100)
                except (ConnectionResetError, BrokenPipeError):
                    got = b""
                if got.startswith(b"HTTP/1.1 200"):
                    served += 1
                else:
                    refused += 1
        waiting = len(pending)
        return served, refused, waiting

    def test_5_connection_limits_hold(self):
        self.wait_slots()
        socks = []
        try:
            # Per IP: PER_IP_LIMIT + 6 connections from one address: the
            # extra ones are accepted and closed at once.
            socks = self._open("127.0.0.2", PER_IP_LIMIT + 6)
            per_ip = self._classify(socks)
            for s in socks:
                s.close()
            socks = []
            self.wait_slots()
            # Global: PER_IP_LIMIT from each of several addresses, more
            # than CONN_LIMIT in all: at most CONN_LIMIT are served at once;
            # libmicrohttpd stops accepting at the limit, so the rest wait
            # in the kernel's listen queue (or are refused) until a slot
            # frees.
            sources = [f"127.0.0.{i}" for i in range(3, 3 + (
                CONN_LIMIT // PER_IP_LIMIT) + 2)]
            for src in sources:
                socks += self._open(src, PER_IP_LIMIT)
            total = len(socks)
            glob = self._classify(socks)
            SUMMARY["limits"] = {
                "per_ip_limit": PER_IP_LIMIT,
                "per_ip_opened": PER_IP_LIMIT + 6,
                "per_ip_served_refused_waiting": per_ip,
                "conn_limit": CONN_LIMIT, "global_opened": total,
                "global_served_refused_waiting": glob}
            sys.stderr.write(f"limits: {SUMMARY['limits']}\n")
            self.assertEqual(per_ip[0], PER_IP_LIMIT)
            self.assertEqual(per_ip[1] + per_ip[2], 6)
            self.assertLessEqual(glob[0], CONN_LIMIT)
            self.assertGreaterEqual(glob[0], CONN_LIMIT - 2)
            self.assertEqual(glob[1] + glob[2], total - glob[0])
        finally:
            for s in socks:
                s.close()
        self.wait_slots()
        self.alive()


class QueryEncodingTest(unittest.TestCase):
    def test_non_utf8_query_values_are_quoted_with_replacement(self):
        # Found by the generator: a query value that is not UTF-8 made the
        # error message unencodable and the answer a 500. Notify decodes
        # with errors="replace"; so does Bode's error shape now.
        redis = Redis()
        env = dict(os.environ, BODE_REDIS_URL=redis.url,
                   BODE_SECRET_KEY=TEST_SECRET_KEY)
        import subprocess
        sid = subprocess.run([BODE, "service", "create", "--name", "Q"],
                             env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
        key = subprocess.run([BODE, "key", "create", sid, "--type", "live"],
                             env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
        api = Bode(["api"], env={"BODE_REDIS_URL": redis.url})
        try:
            api.wait_http()
            auth = {"Authorization": "Bearer " + token(sid, key[-36:])}
            for query, quoted in [("status=%FF", "status \ufffd is"),
                                  ("template_type=a%C3", "template_type a\ufffd"),
                                  ("%FF=1", "(\ufffd was unexpected)")]:
                status, ctype, body = raw_request(
                    api.port, "GET", "/v2/notifications?" + query, auth, None)
                self.assertEqual(status, 400, body)
                self.assertIsNone(notify_shaped(400, body))
                self.assertIn(quoted, json.loads(body)["errors"][0]["message"])
        finally:
            api.stop()
            api.cleanup()
            redis.stop()


if __name__ == "__main__":
    argv = [a for a in sys.argv if a != "--full"]
    if "--seed" in argv:
        i = argv.index("--seed")
        del argv[i:i + 2]
    unittest.main(argv=argv, verbosity=2)
