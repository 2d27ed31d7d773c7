"""Runs one contract test file with the official notifications-node-client
against a live `bode api` and a real redis-server.

It creates two services (the second for isolation checks) with a key of
each type, a team member, and email and SMS templates, all through the
`bode` CLI, then runs `node --test FILE` with what it made in the
environment (BODE_URL, BODE_KEY_LIVE, ...). The node test runner's summary
is this test's result.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BODE, SOURCE_DIR, Bode, Redis  # noqa: E402
from harness import TEST_SECRET_KEY  # noqa: E402

CONTRACT_DIR = os.path.join(SOURCE_DIR, "tests", "contract")


def cli(env, *args):
    out = subprocess.run([BODE, *args], env=env, capture_output=True,
                         text=True, timeout=30)
    if out.returncode != 0:
        raise SystemExit(f"bode {' '.join(args)} failed: {out.stderr}")
    return out.stdout.strip()


def make_service(env, name, prefix, extra=()):
    sid = cli(env, "service", "create", "--name", name, *extra)
    made = {f"{prefix}SERVICE_ID": sid}
    for kind in ("live", "team", "test"):
        made[f"{prefix}KEY_{kind.upper()}"] = cli(
            env, "key", "create", sid, "--type", kind, "--name",
            f"{kind} key")
    cli(env, "team", "add", sid, "team.member@example.gov.uk")
    cli(env, "team", "add", sid, "07700900456")
    made[f"{prefix}EMAIL_TEMPLATE"] = cli(
        env, "template", "create", sid, "--type", "email", "--name",
        "Appointment", "--subject", "Hello ((name))", "--body",
        "Dear ((name)),\n\nYour appointment is on ((date)).\n\n"
        "((extra??Bring your letter.))")
    made[f"{prefix}SMS_TEMPLATE"] = cli(
        env, "template", "create", sid, "--type", "sms", "--name", "Code",
        "--body", "Your code is ((code))")
    return made


def ensure_client():
    """Runs `npm ci` unless every package in package.json is installed."""
    with open(os.path.join(CONTRACT_DIR, "package.json")) as f:
        pkg = json.load(f)
    wanted = [*pkg.get("dependencies", {}), *pkg.get("devDependencies", {})]
    if all(os.path.isdir(os.path.join(CONTRACT_DIR, "node_modules", name))
           for name in wanted):
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                   cwd=CONTRACT_DIR, check=True, timeout=600)


def main():
    test_file = sys.argv[1]
    ensure_client()
    redis = Redis()
    api = None
    worker = None
    try:
        env = dict(os.environ)
        env.update({"BODE_REDIS_URL": redis.url,
                    "BODE_SECRET_KEY": TEST_SECRET_KEY})
        made = make_service(env, "Contract service", "")
        made.update(make_service(env, "Other service", "OTHER_"))
        made.update(make_service(env, "Trial service", "TRIAL_",
                                 ("--restricted",)))
        made.update(make_service(env, "Limited service", "LIMITED_",
                                 ("--rate-limit", "6", "--email-limit", "2")))
        # Files by email: a service with a contact, and a template with
        # a placeholder for the link.
        made.update(make_service(env, "Files service", "FILES_",
                                 ("--file-contact", "files@example.gov.uk")))
        made["FILES_FILE_TEMPLATE"] = cli(
            env, "template", "create", made["FILES_SERVICE_ID"], "--type",
            "email", "--name", "File", "--subject", "Your file", "--body",
            "Hello ((name)), download your file: ((link_to_file))")
        api = Bode(["api"], env={"BODE_REDIS_URL": redis.url,
                                 "BODE_AUTH_CACHE_MS": "200"})
        api.wait_http()
        worker = Bode(["worker"], env={
            "BODE_REDIS_URL": redis.url,
            "BODE_SANDBOX_OUTBOX": os.path.join(redis.dir, "outbox.jsonl")})
        node_env = dict(env)
        node_env.update(made)
        node_env.update({"BODE_URL": f"http://127.0.0.1:{api.port}",
                         "BODE_REDIS_SOCKET": redis.sock,
                         "BODE_BIN": BODE})
        result = subprocess.run(["node", "--test", test_file], cwd=CONTRACT_DIR,
                                env=node_env, timeout=240)
        code = result.returncode
        if worker.stop() != 0:
            print("bode worker did not stop cleanly:\n" + worker.output())
            code = code or 1
        if api.stop() != 0:
            print("bode api did not stop cleanly:\n" + api.output())
            code = code or 1
        if code:
            print("---- bode api log (last 60 lines) ----")
            print("\n".join(api.output().splitlines()[-60:]))
        return code
    finally:
        if api:
            api.cleanup()
        if worker:
            worker.cleanup()
        redis.stop()


if __name__ == "__main__":
    sys.exit(main())
