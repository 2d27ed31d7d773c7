"""A fake Twilio Programmable Messaging API: POST
/2010-04-01/Accounts/{AccountSid}/Messages.json with a form body and HTTP
basic auth, answering with Twilio's JSON message resource or its error
body ({"code", "message", "more_info", "status"}).

Behaviour by the To number (Twilio's own magic test numbers where they
exist):
  +15005550001  400, code 21211 (invalid 'To' number)
  +15005550009  400, code 21614 (not a mobile number)
  +15005550004  400, code 21610 (recipient unsubscribed)
  ...0429       429, code 20429, Retry-After: 7
  ...0500       500
  ...0503       503, Retry-After: 30
  ...0999       201 after --slow seconds
  From=BADSENDER 400, code 21606 (From is not a valid sender)
"""
import base64
import re
import secrets
import time
import urllib.parse
from email.utils import formatdate

import common

MORE_INFO = "https://www.twilio.com/docs/errors/%d"


class TwilioHandler(common.Handler):
    def do_POST(self):
        st = self.state
        body = self.read_body()
        headers = self.header_dict()
        record = {"method": "POST", "path": self.path, "headers": headers,
                  "body": body.decode("utf-8", "replace")}
        auth = headers.get("authorization", "")
        user = pw = None
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        record["auth_user"] = user
        record["auth_ok"] = (user, pw) in st["creds"]
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"),
                                         keep_blank_values=True,
                                         strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            form = {}
        record["form"] = {k: v[0] if len(v) == 1 else v
                          for k, v in form.items()}
        record["form_duplicates"] = [k for k, v in form.items() if len(v) > 1]
        st["rec"].add(record)
        path = "/2010-04-01/Accounts/%s/Messages.json" % st["sid"]
        if self.path != path:
            return self.error(404, 20404, "The requested resource was not "
                              "found")
        if not record["auth_ok"]:
            return self.error(401, 20003, "Authenticate")
        if headers.get("content-type", "").split(";")[0] != \
                "application/x-www-form-urlencoded":
            return self.error(400, 20001, "Unsupported content type")
        f = record["form"]
        to = f.get("To", "")
        if not re.fullmatch(r"\+[1-9]\d{4,14}", to):
            return self.error(400, 21211, "The 'To' number %s is not a valid "
                              "phone number." % to)
        if not f.get("Body"):
            return self.error(400, 21602, "Message body is required.")
        if not f.get("From") and not f.get("MessagingServiceSid"):
            return self.error(400, 21603, "A 'From' or 'MessagingServiceSid'"
                              " parameter is required to send a message")
        if f.get("From") == "BADSENDER":
            return self.error(400, 21606, "The From phone number is not a "
                              "valid, SMS-capable inbound phone number or "
                              "short code for your account.")
        if to == "+15005550001":
            return self.error(400, 21211, "The 'To' number %s is not a "
                              "valid phone number." % to)
        if to == "+15005550009":
            return self.error(400, 21614, "'To' number is not a valid mobile "
                              "number")
        if to == "+15005550004":
            return self.error(400, 21610, "Attempt to send to unsubscribed "
                              "recipient")
        if to.endswith("0429"):
            return self.error(429, 20429, "Too Many Requests",
                              {"Retry-After": "7"})
        if to.endswith("0500"):
            return self.error(500, 20500, "Internal Server Error")
        if to.endswith("0503"):
            return self.error(503, 20503, "Service Unavailable",
                              {"Retry-After": "30"})
        if to.endswith("0999"):
            time.sleep(self.server_slow())
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        self.reply(201, {
            "account_sid": st["sid"], "api_version": "2010-04-01",
            "body": f["Body"], "date_created": now, "date_sent": None,
            "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None,
            "from": f.get("From"),
            "messaging_service_sid": f.get("MessagingServiceSid"),
            "num_media": "0", "num_segments": "1", "price": None,
            "price_unit": "USD", "sid": sid, "status": "queued",
            "subresource_uris": {"media": path[:-5] + "/%s/Media.json" % sid},
            "to": to, "uri": path[:-5] + "/%s.json" % sid})

    def server_slow(self):
        return self.state["slow"]

    def error(self, status, code, message, headers=None):
        self.reply(status, {"code": code, "message": message,
                            "more_info": MORE_INFO % code, "status": status},
                   headers=headers)


def main():
    args = common.parse_args([
        (["--account-sid"], {"required": True}),
        (["--auth-token"], {"required": True}),
        (["--api-key"], {}), (["--api-secret"], {}),
    ])
    creds = {(args.account_sid, args.auth_token)}
    if args.api_key:
        creds.add((args.api_key, args.api_secret))
    common.serve(TwilioHandler, {"rec": common.Recorder(args.dir),
                                 "sid": args.account_sid, "creds": creds,
                                 "slow": args.slow})


if __name__ == "__main__":
    main()
