"""bode dev: starts a private redis-server, the API and a worker; stops all
three cleanly on SIGINT/SIGTERM; refuses a second copy; leaves no orphan."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BODE, SOURCE_DIR, Bode, pids_of, request,  # noqa: E402
                     wait_until)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class DevTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bode-it-dev-")
        # As a newcomer runs it: no master key given, so bode dev makes one.
        self.dev = Bode(["dev"], cwd=self.dir, env={
            "BODE_TEMPLATES_DIR": os.path.join(SOURCE_DIR, "templates"),
            "BODE_SECRET_KEY": ""})
        wait_until(lambda: "Bode is running" in self.dev.output()
                   or self.dev.proc.poll() is not None,
                   timeout=30, what="bode dev to start")
        self.assertIsNone(self.dev.proc.poll(), self.dev.output())
        self.kids = children(self.dev.proc.pid)

    def tearDown(self):
        self.dev.cleanup()
        for pid in self.kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def assert_all_gone(self):
        wait_until(lambda: not any(alive(p) for p in self.kids), timeout=10,
                   what="children to exit")
        self.assertEqual(pids_of(self.dir), [])

    def test_serves_status_with_private_redis(self):
        self.assertEqual(len(self.kids), 3, self.kids)
        status, _, body = request(self.dev.port, "GET", "/_status")
        self.assertEqual(status, 200)
        self.assertTrue(body["db_version"].startswith("redis 7"))
        sock = os.path.join(self.dir, ".bode", "redis.sock")
        self.assertTrue(os.path.exists(sock))
        cfg = subprocess.run(
            ["redis-cli", "-s", sock, "CONFIG", "GET", "append*"],
            capture_output=True, text=True, timeout=10).stdout.split()
        self.assertEqual(dict(zip(cfg[::2], cfg[1::2]))["appendonly"], "yes")
        self.assertEqual(dict(zip(cfg[::2], cfg[1::2]))["appendfsync"],
                         "everysec")
        self.assertIn(f"http://127.0.0.1:{self.dev.port}", self.dev.output())
        self.assertEqual(self.dev.stop(signal.SIGTERM), 0)
        self.assert_all_gone()

    def test_demo_service_and_admin_commands_use_dev_redis(self):
        out = self.dev.output()
        self.assertIn("Demo service", out)
        self.assertIn("live key:", out)
        self.assertIn("bode token", out)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("BODE_")}
        listed = subprocess.run([BODE, "service", "list"], cwd=self.dir,
                                env=env, capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("Bode demo", listed.stdout)
        sid = listed.stdout.splitlines()[1].split()[0]
        templates = subprocess.run([BODE, "template", "list", sid],
                                   cwd=self.dir, env=env,
                                   capture_output=True, text=True,
                                   timeout=30)
        self.assertEqual(len(templates.stdout.splitlines()), 4,
                         templates.stdout)
        self.assertEqual(self.dev.stop(signal.SIGTERM), 0)
        self.assert_all_gone()

    def test_second_dev_is_refused(self):
        second = Bode(["dev"], cwd=self.dir)
        try:
            self.assertEqual(second.proc.wait(timeout=10), 1)
            self.assertIn("already running", second.output())
            self.assertIn(str(self.dev.proc.pid), second.output())
        finally:
            second.cleanup()
        # The first one is unaffected.
        self.assertEqual(request(self.dev.port, "GET", "/_status")[0], 200)
        self.assertEqual(self.dev.stop(signal.SIGINT), 0)
        self.assert_all_gone()

    def test_ctrl_c_stops_everything(self):
        start = time.monotonic()
        self.assertEqual(self.dev.stop(signal.SIGINT), 0)
        self.assertLess(time.monotonic() - start, 15)
        self.assert_all_gone()
        self.assertIn("stopping (SIGINT)", self.dev.output())

    def test_crashed_child_stops_the_rest(self):
        worker = [p for p in self.kids if b"worker" in cmdline(p)]
        self.assertEqual(len(worker), 1)
        os.kill(worker[0], signal.SIGKILL)
        self.assertEqual(self.dev.proc.wait(timeout=20), 1)
        self.assertIn("worker stopped unexpectedly", self.dev.output())
        self.assert_all_gone()

    def test_killed_dev_leaves_no_orphans(self):
        self.dev.proc.kill()
        self.dev.proc.wait(timeout=10)
        self.assert_all_gone()

    def test_data_survives_restart(self):
        sock = os.path.join(self.dir, ".bode", "redis.sock")
        subprocess.run(["redis-cli", "-s", sock, "SET", "bode:test", "kept"],
                       check=True, capture_output=True, timeout=10)
        self.assertEqual(self.dev.stop(signal.SIGTERM), 0)
        self.assert_all_gone()
        again = Bode(["dev"], cwd=self.dir, port=self.dev.port)
        try:
            wait_until(lambda: "Bode is running" in again.output(),
                       timeout=30, what="restart")
            self.kids = children(again.proc.pid)
            got = subprocess.run(["redis-cli", "-s", sock, "GET", "bode:test"],
                                 capture_output=True, text=True,
                                 timeout=10).stdout.strip()
            self.assertEqual(got, "kept")
            self.assertEqual(again.stop(signal.SIGTERM), 0)
            self.assert_all_gone()
        finally:
            again.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
