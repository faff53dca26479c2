#!/usr/bin/env python3
"""smtp_sink.py - a tiny SMTP server for tests (asyncio, loopback only).

Listens on 127.0.0.1 at a free port the kernel picks, writes the port to
--port-file once it listens (so a test never races for a port), and stores
each message it accepts as DIR/NNN.eml, preceded by the envelope in
DIR/NNN.env ("MAIL FROM:<a>" and one "RCPT TO:<b>" line each).  It speaks
just enough of RFC 5321 for libcurl: EHLO/HELO, MAIL, RCPT, DATA (dot
unstuffing), RSET, NOOP, QUIT.  --reject-rcpt ADDR answers 550 for that
recipient.  Stopped by the test with SIGTERM to its PID.
"""
import argparse
import asyncio
import os
import re
import signal

# Bytes of one message accepted (the reports of a test are a few KB).
MESSAGE_MAX = 10 * 1024 * 1024


class Session:
    def __init__(self, args, counter):
        self.args = args
        self.counter = counter
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []


async def handle(reader, writer, args, counter):
    s = Session(args, counter)

    async def reply(line):
        writer.write((line + "\r\n").encode())
        await writer.drain()

    await reply("220 sink.test ESMTP ready")
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.decode("utf-8", "replace").rstrip("\r\n")
        verb = cmd.split(" ", 1)[0].upper()
        if verb == "EHLO":
            await reply("250-sink.test greets " + cmd[5:])
            await reply("250-SIZE %d" % MESSAGE_MAX)
            await reply("250 8BITMIME")
        elif verb == "HELO":
            await reply("250 sink.test")
        elif verb == "MAIL":
            m = re.match(r"(?i)MAIL FROM:\s*<([^>]*)>", cmd)
            if not m:
                await reply("501 syntax")
                continue
            s.reset()
            s.mail_from = m.group(1)
            await reply("250 ok")
        elif verb == "RCPT":
            m = re.match(r"(?i)RCPT TO:\s*<([^>]*)>", cmd)
            if not m or s.mail_from is None:
                await reply("503 bad sequence")
                continue
            if m.group(1).lower() in args.reject_rcpt:
                await reply("550 5.1.1 no such user here")
                continue
            s.rcpts.append(m.group(1))
            await reply("250 ok")
        elif verb == "DATA":
            if not s.rcpts:
                await reply("503 no recipients")
                continue
            await reply("354 go ahead")
            data = bytearray()
            while True:
                l = await reader.readline()
                if not l:
                    return
                if l in (b".\r\n", b".\n"):
                    break
                if l.startswith(b".."):
                    l = l[1:]
                data += l
                if len(data) > MESSAGE_MAX:
                    await reply("552 too big")
                    return
            counter[0] += 1
            base = os.path.join(args.dir, "%03d" % counter[0])
            with open(base + ".env", "w") as f:
                f.write("MAIL FROM:<%s>\n" % s.mail_from)
                for r in s.rcpts:
                    f.write("RCPT TO:<%s>\n" % r)
            with open(base + ".eml", "wb") as f:
                f.write(bytes(data))
            s.reset()
            await reply("250 2.0.0 queued as %03d" % counter[0])
        elif verb == "RSET":
            s.reset()
            await reply("250 ok")
        elif verb == "NOOP":
            await reply("250 ok")
        elif verb == "QUIT":
            await reply("221 bye")
            break
        else:
            await reply("502 not implemented")
    writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--reject-rcpt", action="append", default=[])
    args = ap.parse_args()
    args.reject_rcpt = [a.lower() for a in args.reject_rcpt]
    os.makedirs(args.dir, exist_ok=True)
    counter = [0]
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args, counter), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
