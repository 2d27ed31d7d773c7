"""A fake Amazon SES (API v2 SendEmail) and SNS (Query API Publish)
endpoint that checks every request's SigV4 signature the way AWS does.

SES: POST /v2/email/outbound-emails, JSON. Raw content is decoded and
parsed as an email (mimecheck) into the record. Behaviour by the first
ToAddresses local part:
  throttle    429 TooManyRequestsException, Retry-After: 5
  badrequest  400 BadRequestException
  rejected    400 MessageRejected
  fail500     500 InternalFailure
  slow        200 after --slow seconds
SNS: POST / with Action=Publish, form encoded. Behaviour by PhoneNumber:
  ...0001  400 InvalidParameter     ...0429  400 Throttling
  ...0500  500 InternalError        ...0999  200 after --slow seconds
  ...0403  403 AuthorizationError
A request whose signature does not verify gets AWS's 403 for the
protocol (InvalidSignatureException / SignatureDoesNotMatch).
"""
import base64
import json
import secrets
import time
import urllib.parse

import common
import mimecheck
import sigv4

SNS_NS = "https://sns.amazonaws.com/doc/2010-03-31/"


class AwsHandler(common.Handler):
    def do_POST(self):
        st = self.state
        body = self.read_body()
        headers = self.header_dict()
        service = "ses" if self.path.startswith("/v2/") else "sns"
        ok, reason, parsed = sigv4.verify(
            "POST", self.path, headers, body, st["key"], st["secret"],
            st["region"], service, now=time.time(),
            session_token=st["token"])
        record = {"service": service, "path": self.path, "headers": headers,
                  "body": body.decode("utf-8", "replace"),
                  "sigv4_ok": ok, "sigv4_error": reason,
                  "signed_headers": parsed.get("signed", "")}
        self.record = record
        if service == "ses":
            self.ses(record, body, ok)
        else:
            self.sns(record, body, ok)

    def reply(self, *args, **kwargs):
        # Record before answering: a test reads the records as soon as it
        # has the answer.
        self.state["rec"].add(self.record)
        super().reply(*args, **kwargs)

    def ses_error(self, status, kind, message, headers=None):
        h = {"x-amzn-ErrorType": kind + ":http://internal.amazon.com/"
             "coral/com.amazonaws.sesv2/",
             "x-amzn-RequestId": secrets.token_hex(16)}
        h.update(headers or {})
        self.reply(status, {"message": message}, headers=h)

    def ses(self, record, body, sig_ok):
        if not sig_ok:
            return self.ses_error(403, "InvalidSignatureException",
                                  record["sigv4_error"])
        if self.path != "/v2/email/outbound-emails":
            return self.ses_error(404, "NotFoundException", "no such path")
        try:
            req = json.loads(body)
        except ValueError:
            return self.ses_error(400, "BadRequestException", "not JSON")
        record["json"] = req
        raw = req.get("Content", {}).get("Raw", {}).get("Data")
        if raw is not None:
            record["mime"] = mimecheck.summarize(base64.b64decode(raw))
        to = (req.get("Destination", {}).get("ToAddresses") or [""])[0]
        local = to.split("@")[0]
        if local == "throttle":
            return self.ses_error(429, "TooManyRequestsException",
                                  "Maximum sending rate exceeded.",
                                  {"Retry-After": "5"})
        if local == "badrequest":
            return self.ses_error(400, "BadRequestException",
                                  "Illegal address")
        if local == "rejected":
            return self.ses_error(400, "MessageRejected",
                                  "Email address is not verified.")
        if local == "fail500":
            return self.ses_error(500, "InternalFailure", "oops")
        if local == "slow":
            time.sleep(self.state["slow"])
        mid = "0100018c%s-%s-000000" % (secrets.token_hex(4),
                                        secrets.token_hex(8))
        record["message_id"] = mid
        self.reply(200, {"MessageId": mid},
                   headers={"x-amzn-RequestId": secrets.token_hex(16)})

    def sns_error(self, status, kind, code, message):
        self.reply(status,
                   '<ErrorResponse xmlns="%s"><Error><Type>%s</Type>'
                   "<Code>%s</Code><Message>%s</Message></Error>"
                   "<RequestId>%s</RequestId></ErrorResponse>" % (
                       SNS_NS, kind, code, message, secrets.token_hex(16)),
                   ctype="text/xml")

    def sns(self, record, body, sig_ok):
        if not sig_ok:
            return self.sns_error(403, "Sender", "SignatureDoesNotMatch",
                                  record["sigv4_error"])
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        form = {k: v[0] for k, v in form.items()}
        record["form"] = form
        if form.get("Action") != "Publish" or \
                form.get("Version") != "2010-03-31":
            return self.sns_error(400, "Sender", "InvalidAction",
                                  "bad action")
        phone = form.get("PhoneNumber", "")
        if phone.endswith("0001"):
            return self.sns_error(400, "Sender", "InvalidParameter",
                                  "Invalid parameter: PhoneNumber Reason: "
                                  "%s is not valid to publish" % phone)
        if phone.endswith("0429"):
            return self.sns_error(400, "Sender", "Throttling",
                                  "Rate exceeded")
        if phone.endswith("0403"):
            return self.sns_error(403, "Sender", "AuthorizationError",
                                  "not authorized")
        if phone.endswith("0500"):
            return self.sns_error(500, "Receiver", "InternalError",
                                  "internal error")
        if phone.endswith("0999"):
            time.sleep(self.state["slow"])
        mid = "%s-%s-%s-%s-%s" % (secrets.token_hex(4), secrets.token_hex(2),
                                  secrets.token_hex(2), secrets.token_hex(2),
                                  secrets.token_hex(6))
        record["message_id"] = mid
        self.reply(200,
                   '<PublishResponse xmlns="%s"><PublishResult><MessageId>%s'
                   "</MessageId></PublishResult><ResponseMetadata>"
                   "<RequestId>%s</RequestId></ResponseMetadata>"
                   "</PublishResponse>" % (SNS_NS, mid, secrets.token_hex(16)),
                   ctype="text/xml")


def main():
    args = common.parse_args([
        (["--key-id"], {"required": True}),
        (["--secret"], {"required": True}),
        (["--region"], {"required": True}),
        (["--session-token"], {}),
    ])
    common.serve(AwsHandler, {"rec": common.Recorder(args.dir),
                              "key": args.key_id, "secret": args.secret,
                              "region": args.region,
                              "token": args.session_token,
                              "slow": args.slow})


if __name__ == "__main__":
    main()
