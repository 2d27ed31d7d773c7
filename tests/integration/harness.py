"""Shared helpers for Bode's integration tests.

Every test starts its own throwaway redis-server (unix socket in a temporary
directory, as hiredis's test.sh does) and its own bode processes on free
ports, and stops them all afterwards. A missing redis-server is a failure,
not a skip.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BODE = os.environ.get("BODE_BIN") or os.path.join(
    os.environ.get("BODE_BUILD_DIR", "build"), "bode")
SOURCE_DIR = os.environ.get("BODE_SOURCE_DIR", os.getcwd())


# One master key for every process a test run starts, so the CLI and the
# API agree on sealed secrets.
TEST_SECRET_KEY = os.environ.get("BODE_TEST_SECRET_KEY") or os.urandom(32).hex()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=15.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Redis:
    """A private redis-server on a unix socket."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bode-it-redis-")
        self.sock = os.path.join(self.dir, "redis.sock")
        self.url = "unix://" + self.sock
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock,
             "--dir", self.dir, "--save", "", "--appendonly", "no",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.ping, what="redis-server")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-s", self.sock, *args],
                              capture_output=True, text=True,
                              timeout=10).stdout.strip()

    def ping(self):
        if self.proc.poll() is not None:
            raise AssertionError("redis-server exited at start")
        return os.path.exists(self.sock) and self.cli("PING") == "PONG"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Bode:
    """One `bode` subcommand with its environment and captured output."""

    def __init__(self, command, env=None, cwd=None, port=None):
        self.port = port or free_port()
        self.env = dict(os.environ)
        self.env.update({"BODE_PORT": str(self.port),
                         "BODE_SECRET_KEY": TEST_SECRET_KEY,
                         "BODE_LISTEN_ADDR": "127.0.0.1",
                         "BODE_LOG_LEVEL": "debug"})
        self.env.update(env or {})
        self.log = tempfile.NamedTemporaryFile(prefix="bode-it-log-",
                                               delete=False)
        self.proc = subprocess.Popen([BODE, *command], env=self.env,
                                     cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def output(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        """The JSON log lines (other output is skipped)."""
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def wait_http(self, path="/_status?simple=1", timeout=15.0):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("bode exited early:\n" + self.output())
            try:
                return request(self.port, "GET", path)[0] == 200
            except OSError:
                return False
        wait_until(up, timeout, what="bode to answer HTTP")

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("bode did not stop within %ss" % timeout)
        return self.proc.returncode

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.unlink(self.log.name)


def request(port, method, path, body=None, headers=None, timeout=10):
    """Returns (status, headers dict with lower-case names, parsed body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        data = json.loads(raw) if raw else None
        return resp.status, hdrs, data
    finally:
        conn.close()


def raw_exchange(port, data, timeout=10):
    """Sends raw bytes and returns everything the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
        return b"".join(chunks)


def pids_of(pattern):
    """Pids whose command line contains pattern (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if pattern in cmd and state != "Z":
            found.append(int(entry))
    return found
