#!/usr/bin/python3
"""gen_corpus.py - deterministic DKIM test messages for the interop tests
and the benchmark.

Run it with Debian's /usr/bin/python3 (the interop driver imports it).
Every message is built from a seeded random generator, so the same seed
gives the same bytes on every machine.  Messages are made with CRLF line
ends; the interop driver derives the LF-only variants itself.

Each case is (name, message bytes, signing options):
  headers   - header names to sign (None: the signer's default list)
  oversign  - header names signed once more than present (h= lists them
              an extra time, so adding one later breaks the signature)
  limits    - {"peer" or "peer@HEADER/BODY": why} for a peer known not to
              handle the message (under that canonicalization; * matches
              either): that peer neither signs nor verifies it there, and
              the test prints why.  Each limit was checked by hand against
              both peers; inkan has none.

Command line:
  gen_corpus.py --out DIR [--seed N]             the interop corpus
  gen_corpus.py --bench N --out DIR [--seed N]   N messages per body size
                                                 (2 KB, 20 KB, 200 KB)
"""

import argparse
import os
import random

CRLF = b"\r\n"

# Words for message text: plain ASCII, with a few 8-bit words kept apart.
WORDS = (b"the quick brown fox jumps over lazy dog invoice order shipment "
         b"account update newsletter meeting agenda report quarterly budget "
         b"please find attached regards thanks team support ticket status "
         b"customer delivery tracking link unsubscribe preferences").split()
WORDS_8BIT = ["Grüße", "naïve", "café", "Ünïcödé", "日本語", "Ελληνικά",
              "русский", "emoji 📨"]


# Peer limitations met by the corpus (see limits above).
MILTER_WSP = ("OpenDKIM gets header values through the milter interface, "
              "which drops the whitespace after the colon, and rebuilds "
              "'Name: value': simple header canonicalization of 'To:<TAB>x' "
              "or 'X-Empty:' cannot match (dkimpy and OpenDKIM disagree)")
ODK_NO_CRLF = ("libopendkim 2.11 refuses relaxed body canonicalization of a "
               "body without final CRLF ('CRLF at end of body missing') and "
               "keeps the trailing WSP of such a last line (dkimpy and "
               "OpenDKIM disagree)")


DKIMPY_LAST_WSP = ("dkimpy 1.1.4 strips WSP only before a CRLF, so WSP ending a "
                   "body without final CRLF leaves one SP ('x \\r\\n'); inkan "
                   "treats that last line as a line and strips it ('x\\r\\n'); "
                   "RFC 6376 3.4.4 is ambiguous here and OpenDKIM does a third "
                   "thing (see the report)")


def words(rng, n):
    """words - n random ASCII words joined by single spaces (bytes)."""
    return b" ".join(rng.choice(WORDS) for _ in range(n))


def body_lines(rng, nlines, width=60):
    """body_lines - nlines lines of text of about width bytes, no CRLF."""
    out = []
    for _ in range(nlines):
        line = b""
        while len(line) < width:
            line += (b" " if line else b"") + rng.choice(WORDS)
        out.append(line)
    return out


def base_headers(rng, idx, subject=None):
    """base_headers - the usual header block of a sending platform, as a
    list of raw header lines (each already folded, without the final CRLF)."""
    user = rng.choice([b"alice", b"bob", b"news", b"billing", b"support"])
    subj = subject if subject is not None else words(rng, rng.randint(2, 7))
    day = rng.randint(1, 28)
    return [
        b"Received: from mx.example.net (mx.example.net [192.0.2.%d])" % rng.randint(1, 254),
        b"\tby mail.example.com with ESMTPS id %08x" % rng.getrandbits(32),
        b"From: " + user.capitalize() + b" <" + user + b"@example.com>",
        b"To: customer%d@example.org" % rng.randint(1, 9999),
        b"Subject: " + subj,
        b"Date: Mon, %d Nov 2026 10:%02d:%02d +0000" % (day, rng.randint(0, 59), rng.randint(0, 59)),
        b"Message-ID: <%d.%08x@example.com>" % (idx, rng.getrandbits(32)),
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
    ]


def assemble(header_lines, body):
    """assemble - header lines + blank line + body (body bytes as given)."""
    return CRLF.join(header_lines) + CRLF + CRLF + body


def lines_body(lines, final_crlf=True):
    """lines_body - join body lines with CRLF, optionally ending in CRLF."""
    b = CRLF.join(lines)
    return b + CRLF if final_crlf and lines else b


def case_list(seed=1):
    """case_list - the interop corpus: list of (name, bytes, opts)."""
    rng = random.Random(seed)
    cases = []

    def add(name, msg, headers=None, oversign=None, limits=None):
        cases.append((name, msg, {"headers": headers, "oversign": oversign,
                                  "limits": limits or {}}))

    i = 0
    # 1. plain message, nothing special
    i += 1
    add("plain", assemble(base_headers(rng, i), lines_body(body_lines(rng, 8))))

    # 2. folded headers: Subject and To folded over several lines, with
    #    tabs and spaces as continuation whitespace
    i += 1
    h = base_headers(rng, i)
    h[4] = b"Subject: " + words(rng, 6) + CRLF + b"\t" + words(rng, 5) + CRLF + b"    " + words(rng, 4)
    h[3] = b"To: a@example.org,\r\n b@example.org,\r\n\t c@example.org"
    add("folded-headers", assemble(h, lines_body(body_lines(rng, 5))))

    # 3. a long header left unfolded (about 1000 bytes on one line)
    i += 1
    h = base_headers(rng, i)
    h.append(b"X-Long-Unfolded: " + words(rng, 160)[:1000])
    add("long-unfolded-header", assemble(h, lines_body(body_lines(rng, 3))),
        headers=["from", "to", "subject", "date", "x-long-unfolded"])

    # 4. trailing whitespace on header lines and runs of inner whitespace,
    #    whitespace before the colon (obsolete syntax), empty header value
    i += 1
    h = base_headers(rng, i)
    h[4] = b"Subject:   spaced    out \t subject  \t "
    h[3] = b"To:\tcustomer@example.org   "
    h.append(b"X-Empty:")
    add("header-whitespace", assemble(h, lines_body(body_lines(rng, 4))),
        headers=["from", "to", "subject", "date", "x-empty"],
        limits={"opendkim@simple/*": MILTER_WSP})

    # 5. trailing whitespace on body lines, inner whitespace runs, tabs
    i += 1
    lines = body_lines(rng, 6)
    lines = [l + rng.choice([b" ", b"\t", b"  \t ", b""]) for l in lines]
    lines.insert(2, b"  indented \t\t with   runs    of  space ")
    lines.insert(4, b" \t ")
    add("body-whitespace", assemble(base_headers(rng, i), lines_body(lines)))

    # 6. empty body (blank separator line, nothing after)
    i += 1
    add("empty-body", assemble(base_headers(rng, i), b""))

    # 7. body of only empty lines (simple keeps one CRLF, relaxed none)
    i += 1
    add("blank-lines-body", assemble(base_headers(rng, i), CRLF * 5))

    # 8. trailing empty lines after text
    i += 1
    add("trailing-blank-lines",
        assemble(base_headers(rng, i), lines_body(body_lines(rng, 3)) + CRLF * 3))

    # 9. body without a final CRLF
    i += 1
    add("no-final-crlf", assemble(base_headers(rng, i),
                                  lines_body(body_lines(rng, 4), final_crlf=False)),
        limits={"opendkim@*/relaxed": ODK_NO_CRLF})

    # 10. body without final CRLF whose last line ends in whitespace
    i += 1
    add("no-final-crlf-wsp", assemble(base_headers(rng, i),
                                      lines_body(body_lines(rng, 2), False) + b" \t "),
        limits={"opendkim@*/relaxed": ODK_NO_CRLF, "dkimpy@*/relaxed": DKIMPY_LAST_WSP})

    # 11. 8-bit body (UTF-8 text, raw, Content-Transfer-Encoding: 8bit)
    i += 1
    h = base_headers(rng, i)
    h.append(b"Content-Transfer-Encoding: 8bit")
    lines = [" ".join(rng.choice(WORDS_8BIT) for _ in range(6)).encode() for _ in range(6)]
    add("8bit-utf8-body", assemble(h, lines_body(lines)))

    # 12. 8-bit Latin-1 bytes in the body (not valid UTF-8)
    i += 1
    h = base_headers(rng, i)
    h[8] = b"Content-Type: text/plain; charset=iso-8859-1"
    lines = [bytes(rng.choice(range(0xA0, 0x100)) for _ in range(40)) + b" " + words(rng, 3)
             for _ in range(5)]
    add("8bit-latin1-body", assemble(h, lines_body(lines)))

    # 13. raw 8-bit bytes in a header (UTF-8 subject without encoded-words)
    i += 1
    add("8bit-header", assemble(base_headers(rng, i, subject="Grüße aus Köln — 日本".encode()),
                                lines_body(body_lines(rng, 3))))

    # 14. long body lines (2,000 and 10,000 bytes, no folding)
    i += 1
    lines = [words(rng, 400)[:2000], b"short", words(rng, 2000)[:10000], b"end"]
    add("long-body-lines", assemble(base_headers(rng, i), lines_body(lines)))

    # 15. duplicate headers, both signed (h= lists the name twice)
    i += 1
    h = base_headers(rng, i)
    h.append(b"X-Tag: first")
    h.append(b"Received: from relay2.example.net by mail.example.com")
    h.append(b"X-Tag: second")
    add("duplicate-headers", assemble(h, lines_body(body_lines(rng, 3))),
        headers=["from", "to", "subject", "date", "x-tag", "x-tag"])

    # 16. over-signed headers: h= names Subject, To and X-Tag once more
    #     than present, and an absent header (Reply-To)
    i += 1
    h = base_headers(rng, i)
    h.append(b"X-Tag: only")
    add("oversigned-headers", assemble(h, lines_body(body_lines(rng, 3))),
        headers=["from", "to", "subject", "date", "x-tag"],
        oversign=["from", "to", "subject", "x-tag", "reply-to"])

    # 17. header names in odd case, signed in lower case
    i += 1
    h = base_headers(rng, i)
    h[2] = h[2].replace(b"From:", b"FROM:")
    h[4] = h[4].replace(b"Subject:", b"sUbJeCt:")
    add("header-name-case", assemble(h, lines_body(body_lines(rng, 3))))

    # 18. a bigger message (about 100 KB of body)
    i += 1
    add("large-body", assemble(base_headers(rng, i), lines_body(body_lines(rng, 1500, 70))))

    # 19. body lines that are only whitespace between text lines, and a
    #     line starting with a dot and with "From " (mbox-style)
    i += 1
    lines = [b"first", b"   ", b"\t", b".dot line", b"From the start", b"", b"last"]
    add("whitespace-only-lines", assemble(base_headers(rng, i), lines_body(lines)))

    # 20. header continuation with trailing whitespace on the folded lines
    i += 1
    h = base_headers(rng, i)
    h[4] = b"Subject: folded with \t \r\n\t trailing  \r\n   spaces "
    add("folded-trailing-wsp", assemble(h, lines_body(body_lines(rng, 2))))

    # 21. obsolete syntax (RFC 5322 section 4.5): whitespace between the
    #     field name and the colon.  dkimpy refuses such a message outright.
    i += 1
    h = base_headers(rng, i)
    h.append(b"X-Before-Colon \t: value after spaced name")
    add("obs-wsp-before-colon", assemble(h, lines_body(body_lines(rng, 2))),
        headers=["from", "to", "subject", "date", "x-before-colon"],
        limits={"dkimpy": "dkimpy 1.1.4 rejects WSP before the colon "
                          "(MessageFormatError: Unexpected characters in RFC822 header)",
                "opendkim": "OpenDKIM 2.11 stops at the header (returns ACCEPT at "
                            "end of header, unsigned) on WSP before the colon"})

    return cases


def bench_body(rng, size):
    """bench_body - a text body of about size bytes, 76-byte lines."""
    out = bytearray()
    while len(out) < size:
        line = b""
        while len(line) < 72:
            line += (b" " if line else b"") + rng.choice(WORDS)
        out += line + CRLF
    return bytes(out[:size - 2]) + CRLF if size > 2 else bytes(out)


def bench_list(per_size, seed=7, sizes=(2048, 20480, 204800)):
    """bench_list - per_size messages for each body size: (name, bytes)."""
    rng = random.Random(seed)
    out = []
    for size in sizes:
        for n in range(per_size):
            msg = assemble(base_headers(rng, n), bench_body(rng, size))
            out.append(("b%d-%05d" % (size // 1024, n), msg))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--bench", type=int, default=0,
                    help="messages per body size (bench corpus)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.bench:
        items = bench_list(args.bench, seed=args.seed if args.seed is not None else 7)
    else:
        items = [(n, m) for n, m, _ in case_list(args.seed if args.seed is not None else 1)]
    for name, msg in items:
        with open(os.path.join(args.out, name + ".eml"), "wb") as f:
            f.write(msg)
    print("%d messages in %s" % (len(items), args.out))


if __name__ == "__main__":
    main()
