"""A fake generic JSON gateway for Bode's http provider. Every POST is
recorded with its headers and parsed JSON body. Behaviour by path:
  /ok            200 {"id": "gw-N", "data": {"ref": "nested-N"}}
  /status/NNN    that status (429 and 503 with Retry-After: 11)
  /date          503 with an HTTP-date Retry-After 120 s ahead
  /slow          200 after --slow seconds
  /empty         204 with no body
"""
import itertools
import json
import time
from email.utils import formatdate

import common

COUNTER = itertools.count(1)


class WebhookHandler(common.Handler):
    def do_POST(self):
        body = self.read_body()
        record = {"path": self.path, "headers": self.header_dict(),
                  "body": body.decode("utf-8", "replace")}
        try:
            record["json"] = json.loads(body)
            record["json_ok"] = True
        except ValueError:
            record["json_ok"] = False
        self.state["rec"].add(record)
        n = next(COUNTER)
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2])
            h = {"Retry-After": "11"} if status in (429, 503) else {}
            return self.reply(status, {"error": "status %d" % status},
                              headers=h)
        if self.path == "/date":
            return self.reply(503, {"error": "later"}, headers={
                "Retry-After": formatdate(time.time() + 120, usegmt=True)})
        if self.path == "/slow":
            time.sleep(self.state["slow"])
        if self.path == "/empty":
            return self.reply(204, b"")
        self.reply(200, {"id": "gw-%d" % n, "data": {"ref": "nested-%d" % n}})


def main():
    args = common.parse_args()
    common.serve(WebhookHandler, {"rec": common.Recorder(args.dir),
                                  "slow": args.slow})


if __name__ == "__main__":
    main()
