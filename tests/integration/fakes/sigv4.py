"""AWS Signature Version 4 verification, as AWS services do it, for the
fake SES/SNS server. Standard library only.

verify() recomputes the signature of a received request from the
credentials the fake was started with and says why it does not match.
The algorithm follows AWS's "Create a signed AWS API request" guide;
test_providers.py checks it against the guide's published IAM ListUsers
example before any Bode request is judged by it.
"""
import datetime
import hashlib
import hmac
import re
import urllib.parse

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/"
    r"(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request, ?"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), ?"
    r"Signature=(?P<sig>[0-9a-f]{64})$")


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = [(urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
           for k, v in pairs]
    return "&".join("%s=%s" % kv for kv in sorted(enc))


def canonical_request(method, path, query, headers, signed, payload_hash):
    canon_headers = "".join(
        "%s:%s\n" % (h, " ".join(headers.get(h, "").strip().split()))
        for h in signed)
    return "\n".join([method, path or "/", canonical_query(query),
                      canon_headers, ";".join(signed), payload_hash])


def signature(secret, amz_date, region, service, creq):
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret, amz_date[:8], region, service)
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def verify(method, target, headers, body, key_id, secret, region, service,
           now=None, session_token=None):
    """headers: lower-case names. Returns (ok, reason, parsed)."""
    auth = headers.get("authorization", "")
    m = AUTH_RE.match(auth)
    if not m:
        return False, "Authorization header is not AWS4-HMAC-SHA256", {}
    parsed = m.groupdict()
    amz_date = headers.get("x-amz-date", "")
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        return False, "X-Amz-Date missing or malformed", parsed
    if parsed["key"] != key_id:
        return False, "wrong access key id", parsed
    if parsed["date"] != amz_date[:8]:
        return False, "credential date differs from X-Amz-Date", parsed
    if parsed["region"] != region or parsed["service"] != service:
        return False, "wrong scope %s/%s" % (parsed["region"],
                                             parsed["service"]), parsed
    signed = parsed["signed"].split(";")
    if signed != sorted(signed) or "host" not in signed:
        return False, "SignedHeaders not sorted or without host", parsed
    for h in signed:
        if h not in headers:
            return False, "signed header %s was not sent" % h, parsed
    if session_token is not None:
        if headers.get("x-amz-security-token") != session_token or \
                "x-amz-security-token" not in signed:
            return False, "session token missing or unsigned", parsed
    if now is not None:
        t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if abs(now - t) > 900:
            return False, "X-Amz-Date more than 15 minutes off", parsed
    path, _, query = target.partition("?")
    payload_hash = headers.get("x-amz-content-sha256") or \
        hashlib.sha256(body).hexdigest()
    creq = canonical_request(method, path, query, headers, signed,
                             payload_hash)
    want = signature(secret, amz_date, region, service, creq)
    if not hmac.compare_digest(want, parsed["sig"]):
        return False, "signature does not match", parsed
    return True, "", parsed
