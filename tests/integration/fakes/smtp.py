"""A fake SMTP server on aiosmtpd (Debian's python3-aiosmtpd), recording
every message it accepts, parsed, in <dir>/requests.jsonl.

Behaviour by recipient local part:
  perm-*    RCPT TO answered 550 5.1.1 (no such user)
  temp-*    RCPT TO answered 451 4.3.0 (try later)
  reject-*  the message answered 554 5.6.0 after DATA
  slow-*    the message answered 250 after --slow seconds
  anything else accepted with 250.
--user/--password require AUTH; --cert/--key offer STARTTLS and, with
--require-tls, refuse mail without it.
"""
import asyncio
import base64
import logging
import ssl

from aiosmtpd.smtp import SMTP, AuthResult

import common
import mimecheck


class Handler:
    def __init__(self, rec, slow):
        self.rec = rec
        self.slow = slow

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.split("@")[0]
        if local.startswith("perm-"):
            return "550 5.1.1 No such user here"
        if local.startswith("temp-"):
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        local = envelope.rcpt_tos[0].split("@")[0] if envelope.rcpt_tos \
            else ""
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "authenticated": bool(session.authenticated),
            "tls": session.ssl is not None,
            "raw": base64.b64encode(raw).decode(),
            "mime": mimecheck.summarize(raw),
        }
        if local.startswith("reject-"):
            record["answer"] = 554
            self.rec.add(record)
            return "554 5.6.0 Message content rejected"
        if local.startswith("slow-"):
            await asyncio.sleep(self.slow)
        record["answer"] = 250
        self.rec.add(record)
        return "250 2.0.0 Ok: queued as FAKE%d" % id(envelope)


def main():
    args = common.parse_args([
        (["--user"], {}), (["--password"], {}),
        (["--cert"], {}), (["--key"], {}),
        (["--require-tls"], {"action": "store_true"}),
    ])
    # aiosmtpd logs refused TLS handshakes as tracebacks; tests provoke
    # those on purpose.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    rec = common.Recorder(args.dir)
    handler = Handler(rec, args.slow)
    kwargs = {"decode_data": False, "enable_SMTPUTF8": False,
              "hostname": "fake.smtp.test"}
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = bool(args.require_tls)
    if args.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode() == args.user and
                  auth_data.password.decode() == args.password)
            return AuthResult(success=ok, handled=False)
        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(args.cert)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, loop=loop, **kwargs), host="127.0.0.1", port=0))
    common.announce(server.sockets[0].getsockname()[1])
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
