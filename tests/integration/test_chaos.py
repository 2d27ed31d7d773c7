"""The reduced fault suite (`scripts/chaos --quick`, docs/reliability.md):
2,000 notifications through real redis-server (AOF, appendfsync always),
bode api and two bode workers while workers are SIGKILLed every ~2 s,
Redis and the API are SIGKILLed once each and the provider fails, times
out, throttles and goes away for 20 s. Nothing accepted may be lost."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHAOS = os.path.join(HERE, "..", "chaos", "chaos.py")


class ChaosTest(unittest.TestCase):
    def test_quick_fault_suite(self):
        with tempfile.TemporaryDirectory(prefix="bode-it-chaos-") as d:
            out = os.path.join(d, "report.json")
            started = time.monotonic()
            run = subprocess.run([sys.executable, CHAOS, "--quick", "--out",
                                  out], capture_output=True, text=True,
                                 timeout=280)
            took = time.monotonic() - started
            self.assertTrue(os.path.exists(out), run.stdout + run.stderr)
            with open(out) as f:
                rep = json.load(f)
        summary = run.stdout[-3000:] + run.stderr[-3000:]
        self.assertEqual(rep["accepted"], 2000, summary)
        self.assertEqual(rep["lost"], 0, summary)
        self.assertEqual(rep["final"], rep["accepted"], summary)
        self.assertEqual(rep["orphans"], 0, summary)
        self.assertEqual(rep["duplicates_unexplained"], 0, summary)
        self.assertLessEqual(rep["duplicate_deliveries"],
                             rep["duplicate_bound"], summary)
        self.assertEqual(rep["idempotency_mismatches"], 0, summary)
        self.assertEqual(rep["kills_not_recovered"], 0, summary)
        self.assertGreater(rep["worker_kills"], 5, summary)
        # The faults really happened.
        kinds = {e["kind"] for e in rep["events"]}
        self.assertLessEqual({"worker-kill", "redis-kill", "api-kill",
                              "provider-down"}, kinds)
        self.assertGreater(rep["provider_answers"].get("500", 0) +
                           rep["provider_answers"].get("503", 0), 0)
        self.assertGreater(rep["retried_then_accepted"], 0, summary)
        self.assertTrue(rep["ok"], summary)
        self.assertEqual(run.returncode, 0, summary)
        print("\n" + run.stdout.split("Bode chaos run", 1)[-1][:1500],
              "\n(%.0f s)" % took, file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
