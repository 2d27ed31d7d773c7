"""deploy/grafana/bode.json and deploy/prometheus/alerts.yml: they parse,
have the shape Grafana and Prometheus expect, and use only metric names
that Bode exports (as declared in src/api/metrics.c and
src/worker/metrics.c) and docs/operations.md lists."""
import json
import os
import re
import sys
import unittest

import yaml  # python3-yaml, from scripts/install-deps

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE_DIR  # noqa: E402

USED = re.compile(r"\b(bode_[a-z_]+)")


def path(*parts):
    return os.path.join(SOURCE_DIR, *parts)


def exported():
    names = {}
    for src in ("src/api/metrics.c", "src/worker/metrics.c"):
        with open(path(src)) as f:
            text = f.read()
        for block in re.findall(r"struct bode_metric_desc \w+ = \{(.*?)\};",
                                text, re.S):
            name = re.search(r'"(bode_[a-z_]+)"', block).group(1)
            kind = re.search(r"BODE_METRIC_(\w+)", block).group(1)
            names[name] = kind
    return names


def series_names(families):
    out = set()
    for name, kind in families.items():
        out.add(name)
        if kind == "HISTOGRAM":
            out |= {name + "_bucket", name + "_sum", name + "_count"}
    return out


class DeployObservabilityTest(unittest.TestCase):
    def setUp(self):
        self.families = exported()
        self.assertGreater(len(self.families), 10)
        self.names = series_names(self.families)

    def test_dashboard_parses_and_uses_exported_metrics(self):
        with open(path("deploy/grafana/bode.json")) as f:
            dash = json.load(f)
        self.assertEqual(dash["uid"], "bode-overview")
        self.assertTrue(dash["panels"])
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        used = set()
        for p in dash["panels"]:
            self.assertIn("gridPos", p)
            self.assertTrue(p["targets"], p["title"])
            for t in p["targets"]:
                used |= set(USED.findall(t["expr"]))
        self.assertFalse(used - self.names, "unknown metrics in dashboard")

    def test_alert_rules_parse_and_use_exported_metrics(self):
        with open(path("deploy/prometheus/alerts.yml")) as f:
            rules = yaml.safe_load(f)
        alerts = {}
        for group in rules["groups"]:
            self.assertTrue(group["name"])
            for rule in group["rules"]:
                self.assertEqual(set(rule) - {"alert", "expr", "for",
                                              "labels", "annotations"},
                                 set(), rule)
                self.assertIn(rule["labels"]["severity"], ("page", "warn"))
                self.assertTrue(rule["annotations"]["summary"])
                self.assertRegex(rule["for"], r"^\d+[smh]$")
                alerts[rule["alert"]] = rule["expr"]
        used = set()
        for expr in alerts.values():
            self.assertEqual(expr.count("("), expr.count(")"), expr)
            used |= set(USED.findall(expr))
        self.assertFalse(used - self.names, "unknown metrics in alerts")
        # The list: queue age, failure rate, breaker open, dead
        # letters, callback failures.
        for metric in ("bode_queue_oldest_unread_age_seconds",
                       "bode_worker_outcomes_total",
                       "bode_worker_circuit_breaker_state",
                       "bode_queue_dead_letters",
                       "bode_worker_callbacks_total"):
            self.assertIn(metric, used)

    def test_operations_doc_lists_every_metric(self):
        with open(path("docs/operations.md")) as f:
            doc = f.read()
        for name in self.families:
            self.assertIn(f"`{name}`", doc)


if __name__ == "__main__":
    unittest.main()
