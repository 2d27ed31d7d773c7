"""bode api against a real redis-server: health, Notify error shapes, body
limits, headers, config errors and graceful shutdown."""
import json
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Bode, Redis, raw_exchange, request,  # noqa: E402
                     wait_until)


class ApiServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.api = Bode(["api"], env={"BODE_REDIS_URL": cls.redis.url,
                                     "BODE_BODY_LIMIT": "2048",
                                     "BODE_PER_IP_LIMIT": "20",
                                     "BODE_CONN_TIMEOUT": "2"})
        cls.api.wait_http()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.api.stop()
        finally:
            cls.api.cleanup()
            cls.redis.stop()

    def test_status_reports_ok_with_redis_version(self):
        for method, path in [("GET", "/"), ("GET", "/_status"),
                             ("POST", "/_status")]:
            status, headers, body = request(self.api.port, method, path)
            self.assertEqual(status, 200, path)
            self.assertEqual(body["status"], "ok")
            self.assertTrue(body["db_version"].startswith("redis 7"))
            self.assertIn("git_commit", body)
            self.assertIn("build_time", body)
            self.assertEqual(headers["content-type"], "application/json")

    def test_status_simple_answers_without_detail(self):
        status, _, body = request(self.api.port, "GET", "/_status?simple=1")
        self.assertEqual((status, body), (200, {"status": "ok"}))

    def test_probes(self):
        self.assertEqual(request(self.api.port, "GET", "/_status/live")[0],
                         200)
        self.assertEqual(request(self.api.port, "GET", "/_status/ready")[0],
                         200)

    def test_notify_headers_on_every_response(self):
        for path in ["/_status", "/nope"]:
            _, headers, _ = request(self.api.port, "GET", path)
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            self.assertEqual(headers["x-frame-options"], "SAMEORIGIN")
            self.assertEqual(headers["access-control-allow-origin"], "*")
            self.assertIn("no-store", headers["cache-control"])
            self.assertIn("max-age=31536000",
                          headers["strict-transport-security"])
            self.assertEqual(len(headers["x-request-id"]), 32)

    def test_request_id_is_echoed_when_sane(self):
        _, headers, _ = request(self.api.port, "GET", "/_status?simple=1",
                                headers={"X-Request-Id": "abc-123-def"})
        self.assertEqual(headers["x-request-id"], "abc-123-def")
        _, headers, _ = request(self.api.port, "GET", "/_status?simple=1",
                                headers={"X-Request-Id": "bad id <script>"})
        self.assertNotEqual(headers["x-request-id"], "bad id <script>")

    def test_unknown_route_is_notify_404(self):
        status, _, body = request(self.api.port, "GET", "/v2/nope")
        self.assertEqual(status, 404)
        self.assertEqual(body["result"], "error")
        self.assertIn("not found", body["message"])

    def test_wrong_method_is_405(self):
        status, headers, body = request(self.api.port, "DELETE", "/_status")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, POST, HEAD")
        self.assertEqual(body["result"], "error")

    def test_declared_oversize_body_is_413(self):
        status, _, body = request(self.api.port, "POST", "/_status",
                                  body=b"x" * 5000)
        self.assertEqual(status, 413)
        self.assertEqual(body["status_code"], 413)
        self.assertEqual(body["errors"][0]["error"], "RequestEntityTooLarge")

    def test_chunked_oversize_body_is_413(self):
        chunk = b"y" * 1000
        payload = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk)
                           for _ in range(5)) + b"0\r\n\r\n"
        reply = raw_exchange(self.api.port,
                             b"POST /_status HTTP/1.1\r\nHost: x\r\n"
                             b"Transfer-Encoding: chunked\r\n"
                             b"Connection: close\r\n\r\n" + payload)
        head, _, body = reply.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
        self.assertEqual(json.loads(body)["status_code"], 413)

    def test_body_under_limit_is_accepted(self):
        status, _, _ = request(self.api.port, "POST", "/_status",
                               body=b"{}" + b" " * 1500)
        self.assertEqual(status, 200)

    def test_garbage_request_line_does_not_kill_server(self):
        for junk in [b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n",
                     b"GET / HTTP/9.9\r\n\r\n",
                     b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"]:
            raw_exchange(self.api.port, junk, timeout=5)
        self.assertEqual(request(self.api.port, "GET",
                                 "/_status?simple=1")[0], 200)

    def test_idle_connections_are_closed(self):
        s = socket.create_connection(("127.0.0.1", self.api.port))
        s.settimeout(10)
        start = time.monotonic()
        # BODE_CONN_TIMEOUT=2: the server hangs up on a silent client.
        self.assertEqual(s.recv(1), b"")
        self.assertLess(time.monotonic() - start, 8)
        s.close()

    def test_per_ip_connection_limit(self):
        socks = []
        try:
            for _ in range(25):
                socks.append(socket.create_connection(
                    ("127.0.0.1", self.api.port), timeout=5))
            refused = 0
            for s in socks:
                try:
                    s.sendall(b"GET /_status?simple=1 HTTP/1.1\r\n"
                              b"Host: x\r\n\r\n")
                    if s.recv(100) == b"":
                        refused += 1
                except (ConnectionResetError, BrokenPipeError):
                    refused += 1
            # BODE_PER_IP_LIMIT=20: at least the 5 over it are refused (one
            # more when a connection of an earlier test is still closing).
            self.assertGreaterEqual(refused, 5)
            self.assertLessEqual(refused, 7)
        finally:
            for s in socks:
                s.close()
            # Let the server notice the closes before other tests connect.
            wait_until(self._answers, what="connection slots to free up")

    def _answers(self):
        try:
            return request(self.api.port, "GET", "/_status?simple=1")[0] == 200
        except OSError:
            return False

    def test_access_log_lines_are_json_without_query(self):
        request(self.api.port, "GET", "/_status?simple=1&secret=hunter2")
        time.sleep(0.2)
        lines = [l for l in self.api.log_lines() if l["msg"] == "request"]
        self.assertTrue(lines)
        for line in lines:
            self.assertEqual(line["component"], "api")
            self.assertIn("duration_us", line)
        self.assertNotIn("hunter2", self.api.output())


class ApiLifecycleTest(unittest.TestCase):
    def test_invalid_config_is_one_line_and_exit_2(self):
        api = Bode(["api"], env={"BODE_THREADS": "lots"})
        try:
            self.assertEqual(api.proc.wait(timeout=10), 2)
            out = api.output().strip()
            self.assertEqual(len(out.splitlines()), 1, out)
            self.assertIn("BODE_THREADS", out)
        finally:
            api.cleanup()

    def test_port_in_use_fails_cleanly(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        api = Bode(["api"], port=port)
        try:
            self.assertEqual(api.proc.wait(timeout=10), 1)
            self.assertIn("cannot listen", api.output())
        finally:
            api.cleanup()
            holder.close()

    def test_redis_down_gives_503_not_a_hang(self):
        api = Bode(["api"], env={"BODE_REDIS_URL": "redis://127.0.0.1:1",
                                 "BODE_REDIS_TIMEOUT_MS": "200"})
        try:
            api.wait_http()
            status, _, body = request(api.port, "GET", "/_status")
            self.assertEqual(status, 503)
            self.assertEqual(body["status"], "error")
            self.assertEqual(request(api.port, "GET", "/_status/ready")[0],
                             503)
            self.assertEqual(request(api.port, "GET", "/_status/live")[0],
                             200)
            self.assertEqual(api.stop(), 0)
        finally:
            api.cleanup()

    def test_sigterm_finishes_requests_in_flight(self):
        redis = Redis()
        api = Bode(["api"], env={"BODE_REDIS_URL": redis.url})
        try:
            api.wait_http()
            # A slow upload is in flight when SIGTERM arrives: it must still
            # get its answer, and the process must then exit 0.
            s = socket.create_connection(("127.0.0.1", api.port), timeout=10)
            s.sendall(b"POST /_status HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 10\r\n\r\n12345")
            time.sleep(0.3)
            api.send(signal.SIGTERM)
            time.sleep(0.3)
            s.sendall(b"67890")
            reply = s.recv(4096)
            s.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:40])
            self.assertEqual(api.proc.wait(timeout=15), 0)
            stopped = [l for l in api.log_lines() if l["msg"] == "stopped"]
            self.assertEqual(stopped[0]["abandoned_requests"], 0)
        finally:
            api.cleanup()
            redis.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
