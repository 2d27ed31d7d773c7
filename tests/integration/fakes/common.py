"""Shared plumbing for Bode's fake provider servers.

Each fake is a small standard-library HTTP (or aiosmtpd SMTP) server that
speaks one provider's real wire format. It binds 127.0.0.1 on a free port,
prints "READY <port>" on stdout once it accepts connections, and appends
one JSON object per request it receives to <dir>/requests.jsonl, so a test
(C or Python) can check exactly what Bode sent. Behaviour that a test wants
to provoke (errors, throttling, slowness) is chosen by the recipient, the
way Twilio's magic test numbers work, so one running fake serves a whole
test file.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_args(extra=None):
    """--dir (required) and --slow seconds, plus the fake's own options."""
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--slow", type=float, default=3.0,
                   help="seconds a 'slow' request waits before answering")
    for args, kwargs in extra or []:
        p.add_argument(*args, **kwargs)
    return p.parse_args()


class Recorder:
    """Appends one JSON line per request, safely from many threads."""

    def __init__(self, directory, name="requests.jsonl"):
        self.path = os.path.join(directory, name)
        self.lock = threading.Lock()
        open(self.path, "a").close()

    def add(self, record):
        record.setdefault("at", time.time())
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)


def read_records(directory, name="requests.jsonl"):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def announce(port):
    sys.stdout.write("READY %d\n" % port)
    sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    """Base handler: HTTP/1.1, quiet, with body and reply helpers."""

    protocol_version = "HTTP/1.1"
    server_version = "BodeFake/1.0"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def header_dict(self):
        out = {}
        for k, v in self.headers.items():
            k = k.lower()
            out[k] = out[k] + "," + v if k in out else v
        return out

    def reply(self, status, body=b"", ctype="application/json",
              headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def serve(handler_cls, state):
    """Runs a threading HTTP server for handler_cls with handler_cls.state
    = state until killed."""
    handler_cls.state = state
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    httpd.daemon_threads = True
    announce(httpd.server_address[1])
    try:
        httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
