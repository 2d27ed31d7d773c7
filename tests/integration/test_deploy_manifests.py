"""deploy/compose.yaml and deploy/kubernetes/: every YAML file under
deploy/ parses; the compose file has Redis with AOF, the API and two
workers with health checks; every Kubernetes container has probes,
resources and the hardened security context; only real `bode` subcommands
and real BODE_* settings are used."""
import os
import re
import subprocess
import sys
import unittest

import yaml  # python3-yaml, from scripts/install-deps

sys.path.insert(0, os.path.dirname(__file__))
from harness import BODE, SOURCE_DIR  # noqa: E402

DEPLOY = os.path.join(SOURCE_DIR, "deploy")
SUBCOMMANDS = {"api", "worker"}  # long-running roles an image may run
PROVIDER_PREFIXES = ("BODE_SMTP_", "BODE_SES_", "BODE_SNS_", "BODE_TWILIO_",
                     "BODE_HTTP_", "BODE_SANDBOX_", "BODE_AWS_")
NAME = re.compile(r"\bBODE_[A-Z0-9_]+\b")


def yaml_files():
    for root, _, files in os.walk(DEPLOY):
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                yield os.path.join(root, f)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def k8s_docs():
    out = []
    for p in yaml_files():
        if os.sep + "kubernetes" + os.sep in p:
            out += [(p, d) for d in load_all(p) if "kind" in d]
    return out


def containers(doc):
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return spec, spec.get("containers", []) + spec.get("initContainers", [])


def known_settings():
    out = subprocess.run([BODE, "api", "--help"], capture_output=True,
                         text=True, timeout=10)
    names = set(re.findall(r"^\s+(BODE_[A-Z0-9_]+)", out.stdout, re.M))
    # documented in the README table but not settings of `bode api`
    return names | {"BODE_CONFIG", "BODE_REDIS_SERVER", "BODE_TEMPLATES_DIR"}


def bode_subcommands():
    out = subprocess.run([BODE, "--help"], capture_output=True, text=True,
                         timeout=10)
    return set(re.findall(r"^\s{2}([a-z]+)\s", out.stdout, re.M))


class DeployManifestsTest(unittest.TestCase):
    def test_every_yaml_file_parses(self):
        files = list(yaml_files())
        self.assertIn(os.path.join(DEPLOY, "compose.yaml"), files)
        self.assertGreaterEqual(
            sum(os.sep + "kubernetes" + os.sep in f for f in files), 3)
        for f in files:
            docs = load_all(f)
            self.assertTrue(docs, f)
            for d in docs:
                self.assertIsInstance(d, dict, f)

    def test_compose(self):
        c = load_all(os.path.join(DEPLOY, "compose.yaml"))[0]
        s = c["services"]
        redis = s["redis"]
        self.assertTrue(redis["image"].startswith("redis:7"))
        cmd = " ".join(redis["command"])
        for flag in ("--appendonly yes", "--appendfsync everysec",
                     "--maxmemory-policy noeviction"):
            self.assertIn(flag, cmd)
        self.assertTrue(redis["volumes"])
        self.assertIn("redis-cli", redis["healthcheck"]["test"])

        api = s["api"]
        self.assertEqual(api["build"]["context"], "..")
        self.assertTrue(api["read_only"])
        self.assertEqual(str(api["user"]).split(":")[0], "65532")
        self.assertEqual(api["environment"]["BODE_LISTEN_ADDR"], "0.0.0.0")
        self.assertIn("6011:6011", api["ports"])
        self.assertEqual(api["healthcheck"]["test"][1:3],
                         ["/usr/bin/bode", "health"])
        self.assertIn("bode_secret_key", api["secrets"])
        self.assertIn("bode_secret_key", c["secrets"])
        self.assertEqual(api["environment"]["BODE_SECRET_KEY_FILE"],
                         "/run/secrets/bode_secret_key")

        workers = [n for n, v in s.items() if v.get("command") == ["worker"]]
        replicas = sum(s[n].get("deploy", {}).get("replicas", 1)
                       for n in workers)
        self.assertGreaterEqual(replicas, 2)
        for n in ["api"] + workers:
            v = s[n]
            self.assertTrue(v["read_only"], n)
            self.assertIn("healthcheck", v, n)
            self.assertIn("bode", " ".join(v["healthcheck"]["test"]), n)
            self.assertEqual(v["depends_on"]["redis"]["condition"],
                             "service_healthy", n)
            self.assertIn(v["command"][0], SUBCOMMANDS, n)
        for n in workers:
            env = s[n]["environment"]
            self.assertEqual(env["BODE_EMAIL_PROVIDERS"], "smtp")
            host = re.match(r"smtp://([^:/]+):(\d+)", env["BODE_SMTP_URL"])
            self.assertIn(host.group(1), s)  # the SMTP catcher is a service
            self.assertEqual(s[n]["depends_on"][host.group(1)]["condition"],
                             "service_healthy")
            # bode health probes BODE_PORT: the worker's own listener
            self.assertEqual(env["BODE_PORT"], env["BODE_WORKER_METRICS_PORT"])

    def test_kubernetes_kinds(self):
        kinds = {}
        for _, d in k8s_docs():
            self.assertNotIn("namespace", d["metadata"], d["metadata"])
            kinds.setdefault(d["kind"], []).append(d)
        names = {d["metadata"]["name"] for d in kinds["Deployment"]}
        self.assertEqual(names, {"bode-api", "bode-worker"})
        for kind in ("Service", "ConfigMap", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget"):
            self.assertIn(kind, kinds)
        targets = set()
        for h in kinds["HorizontalPodAutoscaler"]:
            self.assertEqual(h["apiVersion"], "autoscaling/v2")
            targets.add(h["spec"]["scaleTargetRef"]["name"])
            self.assertTrue(h["spec"]["metrics"])
        self.assertEqual(targets, names)
        # Services and PDBs select pods some Deployment makes
        labels = [d["spec"]["template"]["metadata"]["labels"]
                  for d in kinds["Deployment"]]
        for d in kinds["Service"] + kinds["PodDisruptionBudget"]:
            sel = d["spec"]["selector"]
            sel = sel.get("matchLabels", sel)
            self.assertTrue(any(sel.items() <= lab.items()
                                for lab in labels), d["metadata"]["name"])

    def test_kubernetes_containers_are_hardened(self):
        subcommands = bode_subcommands()
        self.assertIn("worker", subcommands)
        seen = 0
        for path, d in k8s_docs():
            if d["kind"] not in ("Deployment", "StatefulSet", "DaemonSet"):
                continue
            pod, cs = containers(d)
            self.assertFalse(pod.get("hostNetwork", False))
            for c in cs:
                seen += 1
                where = f"{path}: {c['name']}"
                for probe in ("readinessProbe", "livenessProbe"):
                    self.assertIn("/_status/", c[probe]["httpGet"]["path"],
                                  where)
                for k in ("requests", "limits"):
                    self.assertIn("cpu", c["resources"][k], where)
                    self.assertIn("memory", c["resources"][k], where)
                sc = c["securityContext"]
                self.assertIs(sc["runAsNonRoot"], True, where)
                self.assertEqual(sc["runAsUser"], 65532, where)
                self.assertIs(sc["readOnlyRootFilesystem"], True, where)
                self.assertIs(sc["allowPrivilegeEscalation"], False, where)
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"], where)
                self.assertEqual(sc["seccompProfile"]["type"],
                                 "RuntimeDefault", where)
                argv = c.get("command", []) + c.get("args", [])
                self.assertTrue(argv, where)
                self.assertIn(argv[0], SUBCOMMANDS & subcommands, where)
                if argv[0] == "api":
                    self.assertEqual(c["readinessProbe"]["httpGet"]["path"],
                                     "/_status/ready", where)
        self.assertGreaterEqual(seen, 2)

    def test_only_real_settings(self):
        known = known_settings()
        self.assertIn("BODE_SECRET_KEY_FILE", known)
        self.assertGreater(len(known), 25)
        used = set()
        for root, _, files in os.walk(DEPLOY):
            for f in files:
                if f.endswith((".yaml", ".yml", ".md")):
                    with open(os.path.join(root, f)) as fh:
                        used |= set(NAME.findall(fh.read()))
        self.assertIn("BODE_REDIS_URL", used)
        unknown = {n for n in used - known
                   if not n.startswith(PROVIDER_PREFIXES)}
        self.assertEqual(unknown, set(), "unknown BODE_* names in deploy/")

    def test_secret_is_not_committed(self):
        for path, d in k8s_docs():
            self.assertNotEqual(d["kind"], "Secret", path)
        refs = set()
        for _, d in k8s_docs():
            for c in containers(d)[1]:
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        refs.add((ref["name"], ref["key"]))
        self.assertEqual(refs, {("bode-secret-key", "BODE_SECRET_KEY")})
        with open(os.path.join(DEPLOY, "kubernetes", "README.md")) as f:
            self.assertIn("kubectl -n NAMESPACE create secret generic "
                          "bode-secret-key", f.read())


if __name__ == "__main__":
    unittest.main()
