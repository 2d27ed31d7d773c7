"""Keeps the Dockerfile honest without a Docker engine: replays its build
stage's RUN steps on a clean copy of the tree, checks the runtime stage
installs every shared library the binary links, and runs the installed
binary as an unprivileged user from a directory it cannot write."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE_DIR, free_port, request, wait_until  # noqa: E402


def parse_stages(path):
    """Returns a list of stages: {"from": image, "lines": [(op, arg)...]}."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            stages.append({"from": arg.split()[0], "lines": []})
        else:
            stages[-1]["lines"].append((op, arg.strip()))
    return stages


def apt_closure(pkgs):
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends",
         "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
         "--no-enhances", *pkgs], capture_output=True, text=True,
        check=True).stdout
    names = set(pkgs)
    for line in out.splitlines():
        line = line.strip()
        if line.startswith(("Depends:", "PreDepends:")):
            names.add(line.split()[1].strip("<>").split(":")[0])
        elif line and not line.startswith("|") and ":" not in line:
            names.add(line.strip("<>"))
    return names


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stages = parse_stages(os.path.join(SOURCE_DIR, "Dockerfile"))
        cls.work = tempfile.mkdtemp(prefix="bode-it-docker-")
        cls.src = os.path.join(cls.work, "src")
        # COPY . . copies the tree minus .dockerignore: use what git tracks
        # (plus new files), which is what a fresh clone would hold.
        files = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"], cwd=SOURCE_DIR,
            capture_output=True, text=True, check=True).stdout.split("\n")
        for rel in filter(None, files):
            if rel.startswith(("build", "out/")):
                continue
            src = os.path.join(SOURCE_DIR, rel)
            if not os.path.isfile(src):
                continue
            dst = os.path.join(cls.src, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        build = cls.stages[0]
        assert build["from"].startswith("debian:12"), build["from"]
        for op, arg in build["lines"]:
            if op == "RUN":
                subprocess.run(["bash", "-euo", "pipefail", "-c", arg],
                               cwd=cls.src, check=True,
                               stdout=subprocess.DEVNULL)
        cls.binary = os.path.join(cls.src, "out", "usr", "bin", "bode")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_build_uses_the_shared_install_script(self):
        runs = [a for op, a in self.stages[0]["lines"] if op == "RUN"]
        self.assertIn("scripts/install-deps build", runs)
        with open(os.path.join(SOURCE_DIR, "scripts", "test")) as f:
            self.assertIn("scripts/install-deps test", f.read())
        with open(os.path.join(SOURCE_DIR, "scripts", "install-deps")) as f:
            text = f.read()
        # test and run profiles are supersets of build.
        self.assertIn('run) want=("${build_pkgs[@]}"', text)
        self.assertIn('test) want=("${build_pkgs[@]}"', text)

    def test_build_stage_produced_a_working_binary(self):
        out = subprocess.run([self.binary, "version"], capture_output=True,
                             text=True, check=True).stdout
        self.assertTrue(out.startswith("bode "))

    def test_runtime_stage_installs_every_linked_library(self):
        runtime = self.stages[-1]
        self.assertTrue(runtime["from"].startswith("debian:12-slim"))
        install = " ".join(a for op, a in runtime["lines"]
                           if op == "RUN" and "apt-get install" in a)
        listed = re.findall(r"\b(lib[a-z0-9.+-]+|ca-certificates)\b",
                            install.split("apt-get install", 1)[1])
        provided = apt_closure(listed)
        ldd = subprocess.run(["ldd", self.binary], capture_output=True,
                             text=True, check=True).stdout
        missing = []
        for line in ldd.splitlines():
            m = re.search(r"=> (/\S+)", line)
            if not m:
                continue
            real = os.path.realpath(m.group(1))
            owner = subprocess.run(["dpkg", "-S", real], capture_output=True,
                                   text=True)
            if owner.returncode != 0:
                owner = subprocess.run(["dpkg", "-S", m.group(1)],
                                       capture_output=True, text=True)
            pkg = owner.stdout.split(":")[0]
            prio = subprocess.run(
                ["dpkg-query", "-W", "-f=${Priority}", pkg],
                capture_output=True, text=True).stdout
            if pkg not in provided and prio != "required":
                missing.append(f"{m.group(1)} ({pkg})")
        self.assertEqual(missing, [], "runtime image lacks these libraries")

    def test_runtime_stage_is_non_root_with_healthcheck(self):
        ops = dict((op, a) for op, a in self.stages[-1]["lines"])
        self.assertEqual(ops["USER"], "65532:65532")
        self.assertIn("bode", ops["HEALTHCHECK"])
        self.assertIn("health", ops["HEALTHCHECK"])
        self.assertIn('"api"', ops["CMD"])

    def test_runtime_needs_no_shell(self):
        # Exec form everywhere: nothing in the image is run through
        # /bin/sh, so an image without a shell works.
        ops = dict((op, a) for op, a in self.stages[-1]["lines"])
        for op in ("ENTRYPOINT", "CMD"):
            self.assertIsInstance(json.loads(ops[op]), list, op)
        probe = ops["HEALTHCHECK"].split("CMD", 1)[1].strip()
        self.assertEqual(json.loads(probe), ["/usr/bin/bode", "health"])
        # And the binary starts no shell itself.
        symbols = subprocess.run(["nm", "-D", self.binary],
                                 capture_output=True, text=True).stdout
        for name in ("system", "popen"):
            self.assertNotRegex(symbols, r"\bU %s\b" % name)
        with open(self.binary, "rb") as f:
            self.assertNotIn(b"/bin/sh", f.read())

    def test_binary_runs_unprivileged_without_writable_cwd(self):
        port = free_port()
        env = {"PATH": "/usr/bin:/bin", "BODE_PORT": str(port),
               "BODE_LISTEN_ADDR": "127.0.0.1",
               "BODE_REDIS_URL": "redis://127.0.0.1:1",
               "BODE_SECRET_KEY": "00" * 32}
        proc = subprocess.Popen(
            ["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups",
             self.binary, "api"], cwd="/", env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            def up():
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read())
                try:
                    return request(port, "GET", "/_status/live")[0] == 200
                except OSError:
                    return False
            wait_until(up, what="unprivileged bode api")
            health = subprocess.run(
                ["setpriv", "--reuid=65532", "--regid=65532",
                 "--clear-groups", self.binary, "health"], env=env, cwd="/",
                capture_output=True)
            self.assertEqual(health.returncode, 0, health.stderr)
        finally:
            proc.terminate()
            code = proc.wait(timeout=15)
            proc.stdout.close()
            self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
