"""Reads an email the way a receiving mail system would (Python's email
package, RFC 5322 / MIME) and summarises it as JSON-friendly data: decoded
headers, the part structure, both bodies and the raw-format facts a test
asserts on (CRLF only, line lengths, 8-bit bytes, parser defects)."""
import email
import email.policy


def summarize(raw):
    body_sep = raw.find(b"\r\n\r\n")
    head = raw[:body_sep] if body_sep >= 0 else raw
    lines = raw.split(b"\r\n")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [type(d).__name__ for d in msg.defects]
    parts = []
    text = html = None
    for part in msg.walk():
        defects += [type(d).__name__ for d in part.defects]
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        parts.append({"type": ctype,
                      "charset": part.get_content_charset(),
                      "encoding": part.get("Content-Transfer-Encoding")})
        # Line breaks are CRLF on the wire; compare them as "\n".
        if ctype == "text/plain" and text is None:
            text = part.get_content().replace("\r\n", "\n")
        elif ctype == "text/html" and html is None:
            html = part.get_content().replace("\r\n", "\n")
    names = {}
    for k in msg.keys():
        names[k.lower()] = names.get(k.lower(), 0) + 1
    return {
        "content_type": msg.get_content_type(),
        "headers": {k: str(v) for k, v in msg.items()},
        "raw_headers": head.decode("ascii", "replace"),
        "header_counts": names,
        "parts": parts,
        "text": text,
        "html": html,
        "defects": defects,
        "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        "bare_cr": b"\r" in raw.replace(b"\r\n", b""),
        "max_line": max(len(x) for x in lines),
        "max_header_line": max(len(x) for x in head.split(b"\r\n")),
        "eight_bit": any(b > 127 for b in raw),
        "size": len(raw),
    }
