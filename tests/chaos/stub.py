#!/usr/bin/env python3
"""A misbehaving JSON gateway for the chaos run (Bode's `http` provider
points at it). Standard library only.

Every POST carries the notification id in its JSON body ("id") and the
sending worker's incarnation in the X-Chaos-Worker header. Answers, drawn
per request:
  --p5xx      500 or 503
  --ptimeout  holds the request for --hold seconds and closes the
              connection without an answer (longer than the worker's
              provider timeout, so the worker gives up first)
  --p429      429 with Retry-After: --retry-after
  otherwise   200 {"id": "stub-N"}: the message is accepted.
SIGUSR1 takes the gateway down entirely (the listening socket is closed,
so connections are refused) for --down-for seconds.

Each request is appended to --log as one JSON line
{"t": start time, "id", "w": worker, "a": answer} before the answer is
written, so an "accepted" line means the gateway took the message even if
the worker never read the reply. HTTP/1.0, one request per connection.
"""
import argparse
import http.server
import json
import os
import random
import signal
import socketserver
import sys
import threading
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--p5xx", type=float, default=0.30)
    ap.add_argument("--ptimeout", type=float, default=0.05)
    ap.add_argument("--p429", type=float, default=0.03)
    ap.add_argument("--retry-after", type=int, default=2)
    ap.add_argument("--hold", type=float, default=3.0)
    ap.add_argument("--down-for", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    lock = threading.Lock()
    fd = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    counter = [0]

    def record(line):
        # One write(2) per line on an O_APPEND descriptor: lines never
        # interleave, and a line written survives the stub being killed.
        os.write(fd, (json.dumps(line) + "\n").encode())

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def handle(self):
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker was killed or gave up: expected here

        def do_POST(self):
            t = time.time()
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            try:
                nid = json.loads(body)["id"]
            except (ValueError, KeyError, TypeError):
                self.send_error(400)
                return
            worker = self.headers.get("X-Chaos-Worker", "")
            with lock:
                r = rng.random()
                counter[0] += 1
                seq = counter[0]
            if r < args.p5xx:
                answer = 503 if r < args.p5xx / 2 else 500
            elif r < args.p5xx + args.ptimeout:
                answer = "timeout"
            elif r < args.p5xx + args.ptimeout + args.p429:
                answer = 429
            else:
                answer = 200
            record({"t": t, "id": nid, "w": worker, "a": answer})
            if answer == "timeout":
                time.sleep(args.hold)
                self.close_connection = True
                return
            out = b"{}"
            if answer == 200:
                out = json.dumps({"id": "stub-%d" % seq}).encode()
            self.send_response(answer)
            if answer == 429:
                self.send_header("Retry-After", str(args.retry_after))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    down = threading.Event()
    stop = threading.Event()

    def on_usr1(sig, frame):
        down.set()

    def on_term(sig, frame):
        stop.set()
        down.set()

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not stop.is_set():
        srv = Server(("127.0.0.1", args.port), Handler)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        print("stub up", flush=True)
        while not down.wait(0.2):
            pass
        srv.shutdown()
        srv.server_close()
        if stop.is_set():
            break
        print("stub down", flush=True)
        record({"t": time.time(), "id": "", "w": "", "a": "down"})
        stop.wait(args.down_for)
        record({"t": time.time(), "id": "", "w": "", "a": "up"})
        down.clear()
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
