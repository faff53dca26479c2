#!/usr/bin/python3
"""milter_client.py - one SMTP transaction sent to a milter the way an MTA
sends it (the milter protocol, version 6), for tests of what the milter
negotiates and when it answers (tests/cli/milter-protocol.sh).

    milter_client.py PORT|/SOCKET --offer HEX --ip IP --helo NAME --from ADDR
                     --rcpt ADDR [--rcpt ADDR...] MESSAGE

It offers the protocol flags HEX (what the MTA can do), prints the
negotiated flags, then sends each step; a step the milter negotiated
without a reply is followed at once by the next one (as Postfix does), any
other step waits for its reply.  The end of the message is answered by
the modifications and one final reply.  After QUIT nothing more may
come: bytes there are printed as "stray" (a reply the MTA did not wait
for).  Output, one line each:

    negotiated actions=0x... protocol=0x...
    STEP: REPLY            (for each answered step: c, a, r, t or y CODE TEXT)
    eom: insheader NAME: VALUE | addheader ... | chgheader ... | quarantine ...
    eom: REPLY
    stray: ...             (only when there are bytes after QUIT)
    closed
"""
import argparse
import socket
import struct
import sys

# what a reply to each step is named by (SMFIP_NR_* bits of the protocol)
NR = {"connect": 0x1000, "helo": 0x2000, "mail": 0x4000, "rcpt": 0x8000,
      "header": 0x80, "eoh": 0x40000, "body": 0x80000}
FINAL = set(b"acrtyd")
TIMEOUT_S = 20  # seconds a reply may take (the milter evaluates at the end)


def packet(cmd, data=b""):
    """packet - one command: length, command byte, data"""
    return struct.pack("!I", len(data) + 1) + cmd + data


def read_packet(sock):
    """read_packet - (command byte, data) of the next reply, or None at EOF"""
    head = recv_exact(sock, 4)
    if head is None:
        return None
    n = struct.unpack("!I", head)[0]
    body = recv_exact(sock, n)
    if body is None or n == 0:
        return None
    return body[:1], body[1:]


def recv_exact(sock, n):
    """recv_exact - n bytes, or None if the connection ends first"""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def show(cmd, data):
    """show - a reply as text"""
    c = cmd.decode()
    if c == "y":
        return "y " + data.rstrip(b"\0").decode(errors="replace")
    if c in ("h", "i", "m"):
        if c != "h":
            data = data[4:]
        name, _, value = data.rstrip(b"\0").partition(b"\0")
        word = {"h": "addheader", "i": "insheader", "m": "chgheader"}[c]
        return "%s %s:%s" % (word, name.decode(errors="replace"),
                             value.decode(errors="replace").replace("\n", "\\n"))
    if c == "q":
        return "quarantine " + data.rstrip(b"\0").decode(errors="replace")
    return c


def split_message(raw):
    """split_message - ([(name, value)], body) of a message (LF line ends);
    folded values keep their line breaks as LF, as MTAs pass them"""
    head, _, body = raw.partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + b"\n" + line)
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name, value))
    return fields, body.replace(b"\n", b"\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", help="TCP port on 127.0.0.1, or a unix socket path")
    ap.add_argument("--offer", required=True)
    ap.add_argument("--ip", required=True)
    ap.add_argument("--helo", required=True)
    ap.add_argument("--from", dest="mail_from", required=True)
    ap.add_argument("--rcpt", action="append", required=True)
    ap.add_argument("message")
    a = ap.parse_args()
    fields, body = split_message(open(a.message, "rb").read())

    if a.port.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT_S)
        sock.connect(a.port)
    else:
        sock = socket.create_connection(("127.0.0.1", int(a.port)), TIMEOUT_S)
    sock.settimeout(TIMEOUT_S)
    # actions: every one an MTA of protocol 6 has
    sock.sendall(packet(b"O", struct.pack("!III", 6, 0x1FF, int(a.offer, 16))))
    rep = read_packet(sock)
    if rep is None or rep[0] != b"O":
        print("negotiation failed: %r" % (rep,))
        return 1
    _, actions, proto = struct.unpack("!III", rep[1][:12])
    print("negotiated actions=0x%x protocol=0x%x" % (actions, proto))

    def step(name, pkt):
        sock.sendall(pkt)
        if proto & NR[name]:
            return
        r = read_packet(sock)
        print("%s: %s" % (name, "EOF" if r is None else show(*r)))

    step("connect", packet(b"C", b"client.example\0" + b"4" + struct.pack("!H", 2525)
                           + a.ip.encode() + b"\0"))
    step("helo", packet(b"H", a.helo.encode() + b"\0"))
    step("mail", packet(b"M", b"<" + a.mail_from.encode() + b">\0"))
    for r in a.rcpt:
        step("rcpt", packet(b"R", b"<" + r.encode() + b">\0"))
    for name, value in fields:
        step("header", packet(b"L", name + b"\0" + value + b"\0"))
    step("eoh", packet(b"N"))
    step("body", packet(b"B", body))
    sock.sendall(packet(b"D", b"E" + b"i\0TESTQID\0") + packet(b"E"))
    while True:
        r = read_packet(sock)
        if r is None:
            print("eom: EOF")
            return 1
        print("eom: " + show(*r))
        if r[0][0] in FINAL:
            break
    sock.sendall(packet(b"Q"))
    rest = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            rest += chunk
    except socket.timeout:
        print("no close after QUIT")
    if rest:
        print("stray: %r" % rest[:200])
    print("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
