"""The fake provider servers (tests/integration/fakes/) against the real
wire formats, so the C provider tests that run against them
(tests/unit/test_provider_*.c) mean something:

- the SigV4 verifier reproduces AWS's published IAM ListUsers signature
  and refuses tampered requests;
- the fake SES/SNS endpoint refuses unsigned or wrongly signed requests
  and answers in AWS's own error shapes (JSON + x-amzn-ErrorType for SES
  v2, XML ErrorResponse for the SNS Query API);
- the fake Twilio insists on basic auth and answers with Twilio's message
  resource and error bodies;
- the fake SMTP server (aiosmtpd) talks to Python's smtplib, including
  STARTTLS and AUTH, and parses what it receives as a mail system would;
- the generic webhook gateway answers the statuses the tests ask for.
"""
import base64
import datetime
import email.message
import hashlib
import http.client
import json
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import shutil
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(HERE, "fakes")
sys.path.insert(0, FAKES)
import common  # noqa: E402
import sigv4  # noqa: E402

SMTP_FIX = os.path.join(HERE, "..", "fixtures", "providers", "smtp")


class Fake:
    """One fake server process on a free port with its own record dir."""

    def __init__(self, script, *args):
        self.dir = tempfile.mkdtemp(prefix="bode-it-fake-")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(FAKES, script), "--dir", self.dir,
             *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("READY "):
            self.stop()
            raise AssertionError("%s did not start: %r" % (script, line))
        self.port = int(line.split()[1])

    def records(self):
        return common.read_records(self.dir)

    def post(self, path, body, headers):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def sign(method, host, path, body, headers, key, secret, region, service,
         when=None):
    """A SigV4 Authorization header for the request, from sigv4.py."""
    amz = (when or datetime.datetime.now(datetime.timezone.utc)).strftime(
        "%Y%m%dT%H%M%SZ")
    h = {k.lower(): v for k, v in headers.items()}
    h["host"] = host
    h["x-amz-date"] = amz
    signed = sorted(h)
    creq = sigv4.canonical_request(method, path, "", h, signed,
                                   hashlib.sha256(body).hexdigest())
    sig = sigv4.signature(secret, amz, region, service, creq)
    out = dict(headers)
    out["X-Amz-Date"] = amz
    out["Authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
        "SignedHeaders=%s, Signature=%s" % (key, amz[:8], region, service,
                                           ";".join(signed), sig))
    return out


class SigV4Test(unittest.TestCase):
    # AWS, "Create a signed AWS API request": IAM ListUsers, 2015-08-30.
    HEADERS = {"content-type": "application/x-www-form-urlencoded; "
                               "charset=utf-8",
               "host": "iam.amazonaws.com",
               "x-amz-date": "20150830T123600Z"}
    AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
            "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b59"
            "24a6f2b5d7")
    SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    def verify(self, target, headers, body=b""):
        return sigv4.verify("GET", target, headers, body, "AKIDEXAMPLE",
                            self.SECRET, "us-east-1", "iam")

    def test_published_vector_verifies(self):
        h = dict(self.HEADERS, authorization=self.AUTH)
        ok, why, parsed = self.verify(
            "/?Action=ListUsers&Version=2010-05-08", h)
        self.assertTrue(ok, why)
        self.assertEqual(parsed["signed"], "content-type;host;x-amz-date")

    def test_tampering_is_refused(self):
        h = dict(self.HEADERS, authorization=self.AUTH)
        for target, headers, body in [
                ("/?Action=ListUsers&Version=2010-05-09", h, b""),
                ("/?Action=ListUsers&Version=2010-05-08",
                 dict(h, **{"x-amz-date": "20150830T123601Z"}), b""),
                ("/?Action=ListUsers&Version=2010-05-08", h, b"x"),
                ("/?Action=ListUsers&Version=2010-05-08",
                 dict(h, authorization=self.AUTH.replace("5d67", "5d68")),
                 b"")]:
            ok, _, _ = self.verify(target, headers, body)
            self.assertFalse(ok, target)
        ok, why, _ = sigv4.verify(
            "GET", "/?Action=ListUsers&Version=2010-05-08", h, b"",
            "AKIDEXAMPLE", "wrong", "us-east-1", "iam")
        self.assertEqual((ok, why), (False, "signature does not match"))
        ok, why, _ = self.verify("/", {"authorization": "Bearer x"})
        self.assertFalse(ok)


class AwsFakeTest(unittest.TestCase):
    KEY, SECRET, REGION = "AKIDIT", "it/secret", "eu-west-2"

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("aws.py", "--key-id", cls.KEY, "--secret",
                        cls.SECRET, "--region", cls.REGION)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def ses(self, to, secret=None):
        mime = (b"From: a@b.example\r\nTo: %s\r\nSubject: hi\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
                b"body\r\n" % to.encode())
        body = json.dumps({
            "FromEmailAddress": "a@b.example",
            "Destination": {"ToAddresses": [to]},
            "Content": {"Raw": {"Data": base64.b64encode(mime).decode()}},
        }).encode()
        headers = sign("POST", "127.0.0.1:%d" % self.fake.port,
                       "/v2/email/outbound-emails", body,
                       {"Content-Type": "application/json"}, self.KEY,
                       secret or self.SECRET, self.REGION, "ses")
        return self.fake.post("/v2/email/outbound-emails", body, headers)

    def test_ses_accepts_a_signed_request(self):
        status, _, body = self.ses("someone@example.com")
        self.assertEqual(status, 200, body)
        self.assertIn("MessageId", json.loads(body))
        rec = self.fake.records()[-1]
        self.assertTrue(rec["sigv4_ok"])
        self.assertEqual(rec["mime"]["headers"]["Subject"], "hi")
        self.assertEqual(rec["mime"]["text"], "body\n")

    def test_ses_refuses_a_bad_signature_as_aws_does(self):
        status, headers, body = self.ses("someone@example.com", "wrong")
        self.assertEqual(status, 403)
        self.assertTrue(headers["x-amzn-errortype"].startswith(
            "InvalidSignatureException:"))
        self.assertIn("message", json.loads(body))
        status, _, _ = self.fake.post("/v2/email/outbound-emails", b"{}",
                                      {"Content-Type": "application/json"})
        self.assertEqual(status, 403)

    def test_ses_error_shapes(self):
        status, headers, _ = self.ses("throttle@example.com")
        self.assertEqual(status, 429)
        self.assertEqual(headers["retry-after"], "5")
        self.assertTrue(headers["x-amzn-errortype"].startswith(
            "TooManyRequestsException"))

    def sns(self, phone, secret=None):
        body = urllib.parse.urlencode({
            "Action": "Publish", "Version": "2010-03-31",
            "PhoneNumber": phone, "Message": "hello"}).encode()
        ctype = "application/x-www-form-urlencoded; charset=utf-8"
        headers = sign("POST", "127.0.0.1:%d" % self.fake.port, "/", body,
                       {"Content-Type": ctype}, self.KEY,
                       secret or self.SECRET, self.REGION, "sns")
        return self.fake.post("/", body, headers)

    def test_sns_publish_and_errors(self):
        status, headers, body = self.sns("+447700900123")
        self.assertEqual(status, 200)
        self.assertIn(b"<PublishResponse", body)
        self.assertIn(b"<MessageId>", body)
        status, _, body = self.sns("+15005550001")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidParameter</Code>", body)
        status, _, body = self.sns("+447700900123", "wrong")
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", body)


class TwilioFakeTest(unittest.TestCase):
    SID, TOKEN = "AC" + "0" * 32, "token123"

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("twilio.py", "--account-sid", cls.SID,
                        "--auth-token", cls.TOKEN)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def send(self, form, auth=True):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (self.SID, self.TOKEN)).encode()).decode()
        path = "/2010-04-01/Accounts/%s/Messages.json" % self.SID
        status, _, body = self.fake.post(
            path, urllib.parse.urlencode(form).encode(), headers)
        return status, json.loads(body)

    def test_message_resource(self):
        status, body = self.send({"To": "+447700900123",
                                  "From": "+15005550006", "Body": "hi"})
        self.assertEqual(status, 201)
        self.assertTrue(body["sid"].startswith("SM"))
        self.assertEqual(len(body["sid"]), 34)
        self.assertEqual(body["status"], "queued")
        self.assertEqual(body["to"], "+447700900123")

    def test_errors_in_twilios_shape(self):
        status, body = self.send({"To": "+447700900123", "Body": "hi"},
                                 auth=False)
        self.assertEqual((status, body["code"]), (401, 20003))
        status, body = self.send({"To": "+15005550001", "From": "+1500",
                                  "Body": "hi"})
        self.assertEqual((status, body["code"], body["status"]),
                         (400, 21211, 400))
        self.assertTrue(body["more_info"].endswith("/21211"))
        status, body = self.send({"To": "+447700900123", "Body": "hi"})
        self.assertEqual((status, body["code"]), (400, 21603))


class WebhookFakeTest(unittest.TestCase):
    def test_statuses(self):
        fake = Fake("webhook.py")
        try:
            status, _, body = fake.post("/ok", b'{"a":1}',
                                        {"Content-Type": "application/json"})
            self.assertEqual(status, 200)
            self.assertTrue(json.loads(body)["id"].startswith("gw-"))
            status, headers, _ = fake.post("/status/429", b"{}", {})
            self.assertEqual((status, headers["retry-after"]), (429, "11"))
            self.assertEqual(fake.records()[0]["json"], {"a": 1})
        finally:
            fake.stop()


class SmtpFakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plain = Fake("smtp.py")
        cls.secure = Fake("smtp.py", "--user", "u", "--password", "p",
                          "--cert", os.path.join(SMTP_FIX, "cert.pem"),
                          "--key", os.path.join(SMTP_FIX, "key.pem"),
                          "--require-tls")

    @classmethod
    def tearDownClass(cls):
        cls.plain.stop()
        cls.secure.stop()

    def message(self, to):
        m = email.message.EmailMessage()
        m["From"] = "Sender <a@b.example>"
        m["To"] = to
        m["Subject"] = "Caf\u00e9"
        m.set_content("plain\n")
        m.add_alternative("<p>html</p>\n", subtype="html")
        return m

    def test_records_and_parses_a_message(self):
        with smtplib.SMTP("127.0.0.1", self.plain.port, timeout=10) as s:
            s.send_message(self.message("x@example.com"))
        rec = self.plain.records()[-1]
        self.assertEqual(rec["rcpt_tos"], ["x@example.com"])
        self.assertEqual(rec["mime"]["headers"]["Subject"], "Caf\u00e9")
        self.assertEqual(rec["mime"]["content_type"], "multipart/alternative")
        self.assertEqual(rec["mime"]["text"], "plain\n")
        self.assertEqual(rec["mime"]["html"], "<p>html</p>\n")

    def test_reply_codes_by_recipient(self):
        with smtplib.SMTP("127.0.0.1", self.plain.port, timeout=10) as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                s.send_message(self.message("perm-x@example.com"))
            self.assertEqual(e.exception.recipients["perm-x@example.com"][0],
                             550)
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                s.send_message(self.message("temp-x@example.com"))
            self.assertEqual(e.exception.recipients["temp-x@example.com"][0],
                             451)

    def test_starttls_and_auth(self):
        ctx = ssl.create_default_context(
            cafile=os.path.join(SMTP_FIX, "cert.pem"))
        with smtplib.SMTP("127.0.0.1", self.secure.port, timeout=10) as s:
            with self.assertRaises(smtplib.SMTPException):
                s.send_message(self.message("x@example.com"))
        with smtplib.SMTP("127.0.0.1", self.secure.port, timeout=10) as s:
            s.starttls(context=ctx)
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("u", "wrong")
            s.login("u", "p")
            s.send_message(self.message("x@example.com"))
        rec = self.secure.records()[-1]
        self.assertTrue(rec["tls"])
        self.assertTrue(rec["authenticated"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
