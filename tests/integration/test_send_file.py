"""Sending files by email, end to end with real parts: bode api and bode
worker against a real redis-server and the aiosmtpd fake SMTP server.
Uploads in Notify's prepareUpload shape become download links served by
Bode (with the recipient's address asked for when the sender wants it),
files are sealed in Redis under a key only the link carries, and Notify's
error texts come back for bad uploads. Also: one-click unsubscribe headers
and the footer link in the message the SMTP server receives."""
import base64
import datetime
import email
import email.policy
import http.client
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, TEST_SECRET_KEY, Bode, Redis,  # noqa: E402
                     request, wait_until)
from test_api_v2 import token  # noqa: E402
from test_providers import Fake  # noqa: E402

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def fetch(port, method, path, body=None, headers=None):
    """(status, headers with lower-case names, raw body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def upload(data, **options):
    """The official clients' prepareUpload shape."""
    out = {"file": base64.b64encode(data).decode(), "filename": None,
           "confirm_email_before_download": None, "retention_period": None}
    out.update(options)
    return out


class SendFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.smtp = Fake("smtp.py")
        cls.env = dict(os.environ, BODE_REDIS_URL=cls.redis.url,
                       BODE_SECRET_KEY=TEST_SECRET_KEY)
        cls.sid = cls.cli("service", "create", "--name", "Files <&> Co",
                          "--file-contact", "https://help.example/<x>")
        cls.secret = cls.cli("key", "create", cls.sid, "--type",
                             "live")[-36:]
        cls.tid = cls.cli("template", "create", cls.sid, "--type", "email",
                          "--name", "F", "--subject", "Your file",
                          "--body", "Hello ((name))\n\nFile: ((doc))")
        cls.bare = cls.cli("service", "create", "--name", "No files")
        cls.bare_secret = cls.cli("key", "create", cls.bare, "--type",
                                  "live")[-36:]
        cls.bare_tid = cls.cli("template", "create", cls.bare, "--type",
                               "email", "--name", "F", "--subject", "S",
                               "--body", "File: ((doc))")
        cls.att = cls.cli("service", "create", "--name", "Attaching",
                          "--file-delivery", "attachment")
        cls.att_secret = cls.cli("key", "create", cls.att, "--type",
                                 "live")[-36:]
        cls.att_tid = cls.cli("template", "create", cls.att, "--type",
                              "email", "--name", "A", "--subject", "Files",
                              "--body", "Attached: ((doc)) and ((two))")
        cls.sms_tid = cls.cli("template", "create", cls.sid, "--type", "sms",
                              "--name", "S", "--body", "File: ((doc))")
        cls.api = Bode(["api"], env={"BODE_REDIS_URL": cls.redis.url})
        cls.api.wait_http()
        cls.worker = Bode(["worker"], env={
            "BODE_REDIS_URL": cls.redis.url,
            "BODE_EMAIL_PROVIDERS": "smtp",
            "BODE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.smtp.port,
            "BODE_PROVIDER_TIMEOUT_MS": "5000"})

    @classmethod
    def tearDownClass(cls):
        try:
            cls.worker.stop()
            cls.api.stop()
        finally:
            cls.worker.cleanup()
            cls.api.cleanup()
            cls.smtp.stop()
            cls.redis.stop()

    @classmethod
    def cli(cls, *args):
        out = subprocess.run([BODE, *args], env=cls.env, capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def post(self, personalisation, to="file.user@example.com", sid=None,
             secret=None, tid=None, kind="email", **extra):
        field = "email_address" if kind == "email" else "phone_number"
        body = {field: to, "template_id": tid or self.tid,
                "personalisation": personalisation}
        body.update(extra)
        tok = token(sid or self.sid, secret or self.secret)
        return request(self.api.port, "POST", "/v2/notifications/" + kind,
                       body=json.dumps(body).encode(),
                       headers={"Authorization": "Bearer " + tok})

    def link_of(self, text):
        m = re.search(r"http://[^\s)]+/d/([0-9a-f-]{36})/([0-9a-f-]{36})"
                      r"\?key=([A-Za-z0-9_-]{43})", text)
        self.assertIsNotNone(m, text)
        return m.group(0), m.group(1), m.group(2), m.group(3)

    def message_to(self, to):
        def found():
            return [r for r in self.smtp.records() if to in r["rcpt_tos"]]
        wait_until(lambda: found(), timeout=30, what="message to " + to)
        rec = found()[0]
        return rec, email.message_from_bytes(
            base64.b64decode(rec["raw"]), policy=email.policy.default)

    def error(self, status, error_type, message, **kw):
        code, _, body = self.post(**kw)
        self.assertEqual(code, status, body)
        self.assertEqual(body["status_code"], status)
        self.assertEqual(body["errors"], [{"error": error_type,
                                           "message": message}])

    def test_link_without_confirmation_serves_the_file(self):
        to = "plain.link@example.com"
        code, _, body = self.post(
            {"name": "Jo", "doc": upload(
                PDF, filename="report 2026 é.pdf",
                confirm_email_before_download=False,
                retention_period="1 week")}, to=to)
        self.assertEqual(code, 201, body)
        url, sid, did, key = self.link_of(body["content"]["body"])
        self.assertEqual(sid, self.sid)
        # The stored notification has the link, never the file.
        code, _, got = request(
            self.api.port, "GET", "/v2/notifications/" + body["id"],
            headers={"Authorization": "Bearer " +
                     token(self.sid, self.secret)})
        self.assertEqual(code, 200)
        self.assertIn(url, got["body"])
        record = self.redis.cli("HGET", f"bode:{{s:{self.sid}}}:n:"
                                f"{body['id']}", "personalisation")
        self.assertIn(url, record)
        self.assertNotIn(base64.b64encode(PDF).decode()[:40], record)
        # Sealed at rest: neither the bytes nor the name are readable, and
        # the key is nowhere in Redis but in the notification's link.
        raw = subprocess.run(
            ["redis-cli", "-s", self.redis.sock, "--no-raw", "GET",
             f"bode:{{s:{self.sid}}}:doc:{did}"],
            capture_output=True, timeout=10).stdout
        self.assertGreater(len(raw), len(PDF))
        self.assertNotIn(b"%PDF", raw)
        self.assertNotIn(b"report", raw)
        ttl = int(self.redis.cli("TTL", f"bode:{{s:{self.sid}}}:doc:{did}"))
        self.assertTrue(7 * 86400 - 60 < ttl <= 7 * 86400, ttl)

        _, msg = self.message_to(to)
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        self.assertIn(url, text)
        self.assertIn(url.replace("&", "&amp;"), html)

        path = urllib.parse.urlsplit(url)
        page_path = path.path + "?" + path.query
        code, hdrs, page = fetch(self.api.port, "GET", page_path)
        self.assertEqual(code, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/html"))
        self.assertEqual(hdrs["referrer-policy"], "no-referrer")
        self.assertEqual(hdrs["x-robots-tag"], "noindex, nofollow")
        self.assertIn("no-store", hdrs["cache-control"])
        self.assertIn("default-src 'none'", hdrs["content-security-policy"])
        page = page.decode()
        self.assertIn("You have a file to download", page)
        self.assertIn("Files &lt;&amp;&gt; Co", page)
        self.assertIn("https://help.example/&lt;x&gt;", page)
        self.assertNotIn("<x>", page)
        self.assertIn(f"/d/{sid}/{did}/download?key={key}", page)

        code, hdrs, data = fetch(self.api.port, "GET",
                                 f"/d/{sid}/{did}/download?key={key}")
        self.assertEqual(code, 200)
        self.assertEqual(data, PDF)
        self.assertEqual(hdrs["content-type"], "application/pdf")
        self.assertEqual(hdrs["content-disposition"],
                         "attachment; filename=\"report 2026 __.pdf\"; "
                         "filename*=UTF-8''report%202026%20%C3%A9.pdf")

        # A wrong key, a made-up id and a removed file look the same.
        wrong = key[:-2] + ("AA" if key[-2:] != "AA" else "AQ")
        gone = []
        for p in (f"/d/{sid}/{did}?key={wrong}",
                  f"/d/{sid}/{did}/download?key={wrong}",
                  f"/d/{sid}/{self.tid}?key={key}",
                  f"/d/{sid}/{did}",
                  f"/d/{sid}/not-an-id?key={key}"):
            code, _, page = fetch(self.api.port, "GET", p)
            self.assertEqual(code, 404, p)
            gone.append(page)
        self.redis.cli("DEL", f"bode:{{s:{self.sid}}}:doc:{did}")
        code, _, page = fetch(self.api.port, "GET", page_path)
        self.assertEqual(code, 404)
        gone.append(page)
        self.assertEqual(len(set(gone)), 1)
        self.assertIn(b"The file is no longer available", gone[0])

    def test_confirmation_asks_for_the_recipients_address(self):
        to = "confirm.me@example.com"
        data = b"a,b,c\n1,2,3\n"
        code, _, body = self.post({"name": "Al", "doc": upload(data)}, to=to)
        self.assertEqual(code, 201, body)
        _, sid, did, key = self.link_of(body["content"]["body"])
        code, _, page = fetch(self.api.port, "GET",
                              f"/d/{sid}/{did}?key={key}")
        self.assertEqual(code, 200)
        self.assertIn(b"Confirm your email address", page)
        self.assertIn(f'action="/d/{sid}/{did}/download"'.encode(), page)
        # No address, no file, even with the key.
        code, _, page = fetch(self.api.port, "GET",
                              f"/d/{sid}/{did}/download?key={key}")
        self.assertEqual(code, 403)
        self.assertNotIn(data, page)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for wrong in ("someone.else@example.com", "", "not an address"):
            code, _, page = fetch(
                self.api.port, "POST", f"/d/{sid}/{did}/download",
                body=urllib.parse.urlencode({"key": key,
                                             "email_address": wrong}),
                headers=form)
            self.assertEqual(code, 403, wrong)
            self.assertIn(b"This is not the email address the file was "
                          b"sent to", page)
            self.assertNotIn(data, page)
        # The address as the recipient typed it: case and spaces aside.
        code, hdrs, got = fetch(
            self.api.port, "POST", f"/d/{sid}/{did}/download",
            body=urllib.parse.urlencode({"key": key,
                                         "email_address":
                                         "  Confirm.Me@EXAMPLE.com "}),
            headers=form)
        self.assertEqual(code, 200)
        self.assertEqual(got, data)
        self.assertEqual(hdrs["content-type"], "text/plain")
        # The right address with a wrong key opens nothing.
        code, _, _ = fetch(
            self.api.port, "POST", f"/d/{sid}/{did}/download",
            body=urllib.parse.urlencode({"key": "A" * 43,
                                         "email_address": to}),
            headers=form)
        self.assertEqual(code, 404)

    def test_expired_file_is_gone(self):
        code, _, body = self.post({"name": "Ex", "doc": upload(
            PDF, confirm_email_before_download=False)},
            to="expire@example.com")
        self.assertEqual(code, 201, body)
        _, sid, did, key = self.link_of(body["content"]["body"])
        ttl = int(self.redis.cli("TTL", f"bode:{{s:{self.sid}}}:doc:{did}"))
        self.assertTrue(26 * 7 * 86400 - 60 < ttl <= 26 * 7 * 86400, ttl)
        self.redis.cli("PEXPIRE", f"bode:{{s:{self.sid}}}:doc:{did}", "50")
        time.sleep(0.3)
        code, _, page = fetch(self.api.port, "GET",
                              f"/d/{sid}/{did}/download?key={key}")
        self.assertEqual(code, 404)
        self.assertNotIn(b"%PDF", page)

    def test_two_megabytes_fit_and_one_byte_more_does_not(self):
        big = b"%PDF-1.7\n" + os.urandom(2 * 1024 * 1024 - 9)
        code, _, body = self.post({"name": "Big", "doc": upload(
            big, confirm_email_before_download=False)},
            to="big.file@example.com")
        self.assertEqual(code, 201, body)
        _, sid, did, key = self.link_of(body["content"]["body"])
        code, _, got = fetch(self.api.port, "GET",
                             f"/d/{sid}/{did}/download?key={key}")
        self.assertEqual((code, got == big), (200, True))
        self.error(413, "BadRequestError",
                   "Uploaded file exceeds file size limit",
                   personalisation={"name": "x", "doc": upload(big + b"x")})

    def test_notify_error_texts(self):
        def p(**o):
            return {"name": "x", "doc": dict(upload(PDF), **o)}
        self.error(400, "ValidationError",
                   "personalisation Unsupported value for retention_period: "
                   "1 month. Supported periods are from 1 to 78 weeks.",
                   personalisation=p(retention_period="1 month"))
        self.error(400, "ValidationError",
                   "personalisation Unsupported value for retention_period: "
                   "79 weeks. Supported periods are from 1 to 78 weeks.",
                   personalisation=p(retention_period="79 weeks"))
        self.error(400, "ValidationError",
                   "personalisation Unsupported value for "
                   "confirm_email_before_download: potato. Use a boolean "
                   "true or false value.",
                   personalisation=p(confirm_email_before_download="potato"))
        self.error(400, "ValidationError",
                   "personalisation `filename` must end with a file "
                   "extension. For example, filename.csv",
                   personalisation=p(filename="file"))
        self.error(400, "ValidationError",
                   "personalisation False is not of type string",
                   personalisation={"name": "x", "doc": {"file": False}})
        self.error(400, "ValidationError",
                   "personalisation Additional properties are not allowed "
                   "(other was unexpected)",
                   personalisation=p(other="attribute"))
        self.error(400, "BadRequestError",
                   "`filename` cannot be longer than 100 characters",
                   personalisation=p(filename="a" * 97 + ".pdf"))
        self.error(400, "BadRequestError",
                   "Do not set a value for `is_csv` if `filename` is set.",
                   personalisation=p(filename="a.csv", is_csv=True))
        self.error(400, "BadRequestError",
                   "Unsupported file type '.exe'. Supported types are: "
                   "'.csv, .doc, .docx, .jpeg, .jpg, .odt, .pdf, .png, "
                   ".rtf, .txt, .xlsx'",
                   personalisation=p(filename="run.exe"))
        self.error(400, "BadRequestError",
                   "Unsupported file type 'application/zip'. Supported "
                   "types are: '.csv, .doc, .docx, .jpeg, .jpg, .odt, "
                   ".pdf, .png, .rtf, .txt, .xlsx'",
                   personalisation={"name": "x", "doc": upload(
                       b"PK\x03\x04" + b"\0" * 40)})
        self.error(400, "BadRequestError", "Document is not base64 encoded",
                   personalisation={"name": "x", "doc": {"file": "QUJDR"}})
        self.error(400, "BadRequestError", "Can only send a file by email",
                   kind="sms", to="07700900123", tid=self.sms_tid,
                   personalisation={"doc": upload(PDF)})
        self.error(400, "BadRequestError",
                   "Send files by email has not been set up - add contact "
                   "details for your service with: bode service update "
                   f"{self.bare} --file-contact CONTACT",
                   sid=self.bare, secret=self.bare_secret, tid=self.bare_tid,
                   personalisation={"doc": upload(PDF)})
        # An object without "file" is ordinary personalisation.
        code, _, body = self.post({"name": "x", "doc": {"potato": "1"}})
        self.assertEqual(code, 201, body)
        # Refused requests leave no documents behind.
        keys = self.redis.cli("--scan", "--pattern",
                              f"bode:{{s:{self.bare}}}:doc:*")
        self.assertEqual(keys, "")

    def test_smoke_test_recipient_gets_a_link_to_nothing(self):
        code, _, body = self.post(
            {"name": "x", "doc": upload(PDF)},
            to="simulate-delivered@notifications.service.gov.uk")
        self.assertEqual(code, 201, body)
        self.assertIn(f"/d/{self.sid}/test-document", body["content"]["body"])

    def test_attachment_mode_puts_the_files_in_the_message(self):
        to = "attached@example.com"
        png = b"\x89PNG\r\n\x1a\n" + os.urandom(70000)
        name = "Prüfbericht – März 2026 with a rather long file name.pdf"
        code, _, body = self.post(
            {"doc": upload(PDF, filename=name), "two": upload(png)}, to=to,
            sid=self.att, secret=self.att_secret, tid=self.att_tid)
        self.assertEqual(code, 201, body)
        # The template shows the names; there is no link.
        self.assertEqual(body["content"]["body"],
                         f"Attached: {name} and attachment.png")
        self.assertNotIn("/d/", body["content"]["body"])
        att = self.redis.cli("GET", f"bode:{{s:{self.att}}}:att:{body['id']}")
        self.assertEqual(len(att.strip().split("\n")), 2)
        rec, msg = self.message_to(to)
        self.assertEqual(rec["mime"]["defects"], [])
        raw = base64.b64decode(rec["raw"]).decode("ascii")
        long = [x for x in raw.split("\r\n") if len(x) > 78]
        self.assertEqual(long, [])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        self.assertIn("Attached: " + name,
                      msg.get_body(("plain",)).get_content())
        files = list(msg.iter_attachments())
        self.assertEqual([f.get_filename() for f in files],
                         [name, "attachment.png"])
        self.assertEqual([f.get_content_type() for f in files],
                         ["application/pdf", "image/png"])
        self.assertEqual(files[0].get_content(), PDF)
        self.assertEqual(files[1].get_content(), png)
        raw = base64.b64decode(rec["raw"]).decode("ascii")
        # RFC 2231 continuations for the long UTF-8 name, base64 in lines
        # of 76.
        self.assertIn("filename*0*=UTF-8''Pr%C3%BCfbericht", raw)
        self.assertIn("filename*1*=", raw)
        lines = raw.split("\r\n")
        b64 = [x for x in lines if re.fullmatch(r"[A-Za-z0-9+/=]{60,}", x)]
        self.assertTrue(b64)
        self.assertTrue(all(len(x) <= 76 for x in b64))
        wait_until(lambda: request(
            self.api.port, "GET", "/v2/notifications/" + body["id"],
            headers={"Authorization": "Bearer " +
                     token(self.att, self.att_secret)})[2]["status"]
            in ("sending", "delivered"), what="attachment notification sent")

    def test_attachment_gone_before_delivery_fails_cleanly(self):
        # Scheduled, so the files can be removed (as their retention
        # running out would) before a worker takes the notification.
        to = "expired.attachment@example.com"
        when = (datetime.datetime.now(datetime.timezone.utc) +
                datetime.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
        code, _, body = self.post(
            {"doc": upload(PDF), "two": upload(PDF)}, to=to, sid=self.att,
            secret=self.att_secret, tid=self.att_tid, scheduled_for=when)
        self.assertEqual(code, 201, body)
        key = f"bode:{{s:{self.att}}}:att:{body['id']}"
        self.assertEqual(self.redis.cli("DEL", key), "1")

        def status():
            return request(
                self.api.port, "GET", "/v2/notifications/" + body["id"],
                headers={"Authorization": "Bearer " +
                         token(self.att, self.att_secret)})[2]["status"]
        wait_until(lambda: status() == "technical-failure", timeout=30,
                   what="the notification to fail for want of its files")
        self.assertEqual(
            [r for r in self.smtp.records() if to in r["rcpt_tos"]], [])

    def test_one_click_unsubscribe_headers_and_footer(self):
        to = "unsub.me@example.com"
        url = "https://example.org/unsubscribe?u=1&t=abc"
        code, _, body = self.post({"name": "U", "doc": "no file"}, to=to,
                                  one_click_unsubscribe_url=url)
        self.assertEqual(code, 201, body)
        self.assertEqual(body["content"]["one_click_unsubscribe_url"], url)
        rec, msg = self.message_to(to)
        self.assertEqual(msg["List-Unsubscribe"], f"<{url}>")
        self.assertEqual(msg["List-Unsubscribe-Post"],
                         "List-Unsubscribe=One-Click")
        text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = msg.get_body(("html",)).get_content()
        # Notify's footer: a rule, then the link (utils' unsubscribe_link).
        self.assertIn("Unsubscribe from these emails: " + url, text)
        self.assertRegex(text, r"(=-){8,}=\n\nUnsubscribe from these")
        self.assertIn(f'href="{url.replace("&", "&amp;")}"', html)
        self.assertIn(">Unsubscribe from these emails</a>", html)
        self.assertEqual(rec["mime"]["defects"], [])


if __name__ == "__main__":
    unittest.main()
