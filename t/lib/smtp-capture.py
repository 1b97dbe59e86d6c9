#!/usr/bin/python3
# smtp-capture.py - a receiving SMTP server for the tests that keeps the
# DATA bytes exactly as a receiver gets them (after dot-unstuffing, CR LF
# and every other byte untouched), so that signatures are verified on what
# the wire carried and not on a tool's rewritten dump.
#
# Usage: smtp-capture.py ADDR PORT DIR RAWDIR
#
# For each message it writes RAWDIR/NAME (the raw bytes) and then
# DIR/NAME, a dump in smtp-sink's layout for the harness's readers:
# X-Client-Addr, X-Client-Proto, X-Helo-Args, X-Mail-Args and one
# X-Rcpt-Args line per recipient, the message with LF line endings, and an
# empty line.  NAME is HHMMSS.SEQUENCE.  It offers PIPELINING, 8BITMIME,
# SMTPUTF8 and ENHANCEDSTATUSCODES (so that Postfix sends 8-bit mail as it
# is instead of converting it) and accepts every message.  It runs until
# killed.
import asyncio
import itertools
import os
import sys
import time

SEQ = itertools.count(1)


def save(ddir, rdir, peer, proto, helo, mail, rcpts, data):
    """Write the raw copy, then the dump (the harness waits for the dump)."""
    name = "%s.%06d" % (time.strftime("%H%M%S"), next(SEQ))
    tmp = os.path.join(rdir, "." + name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(rdir, name))
    head = ["X-Client-Addr: " + peer, "X-Client-Proto: " + proto,
            "X-Helo-Args: " + helo, "X-Mail-Args: " + mail]
    head += ["X-Rcpt-Args: " + r for r in rcpts]
    lf = data.replace(b"\r\n", b"\n")
    tmp = os.path.join(rdir, "." + name + ".dump")
    with open(tmp, "wb") as f:
        f.write(("\n".join(head) + "\n").encode("utf-8", "surrogateescape"))
        f.write(lf)
        f.write(b"\n")
    os.rename(tmp, os.path.join(ddir, name))


async def session(reader, writer, ddir, rdir):
    """One SMTP session: commands in order, pipelined or not."""
    peer = writer.get_extra_info("peername")[0]
    proto, helo, mail, rcpts = "SMTP", "", None, []

    def say(line):
        writer.write(line.encode() + b"\r\n")

    say("220 smtp-capture ESMTP")
    await writer.drain()
    while True:
        raw = await reader.readline()
        if not raw:
            break
        line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        verb = line[:4].upper()
        arg = line[5:] if len(line) > 5 else ""
        if verb == "EHLO":
            proto, helo = "ESMTP", arg
            mail, rcpts = None, []
            say("250-smtp-capture")
            for ext in ("PIPELINING", "8BITMIME", "SMTPUTF8",
                        "ENHANCEDSTATUSCODES", "SIZE 104857600"):
                say("250-" + ext)
            say("250 HELP")
        elif verb == "HELO":
            proto, helo = "SMTP", arg
            mail, rcpts = None, []
            say("250 smtp-capture")
        elif line[:10].upper() == "MAIL FROM:":
            mail, rcpts = line[10:].strip(), []
            say("250 2.1.0 Ok")
        elif line[:8].upper() == "RCPT TO:":
            if mail is None:
                say("503 5.5.1 MAIL first")
            else:
                rcpts.append(line[8:].strip())
                say("250 2.1.5 Ok")
        elif verb == "DATA":
            if not rcpts:
                say("503 5.5.1 RCPT first")
                continue
            say("354 End data with <CR><LF>.<CR><LF>")
            await writer.drain()
            chunks = []
            while True:
                l = await reader.readline()
                if not l:
                    writer.close()
                    return
                if l in (b".\r\n", b".\n"):
                    break
                if l.startswith(b"."):
                    l = l[1:]
                chunks.append(l)
            save(ddir, rdir, peer, proto, helo, mail, rcpts, b"".join(chunks))
            mail, rcpts = None, []
            say("250 2.0.0 Ok: queued")
        elif verb == "RSET":
            mail, rcpts = None, []
            say("250 2.0.0 Ok")
        elif verb == "NOOP":
            say("250 2.0.0 Ok")
        elif verb == "QUIT":
            say("221 2.0.0 Bye")
            await writer.drain()
            break
        else:
            say("502 5.5.2 Error: command not recognized")
        await writer.drain()
    writer.close()


async def guarded(reader, writer, ddir, rdir):
    """A session; a client that goes away mid-way is no error of ours."""
    try:
        await session(reader, writer, ddir, rdir)
    except (ConnectionError, asyncio.IncompleteReadError):
        writer.close()


async def main():
    addr, port, ddir, rdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    os.makedirs(ddir, exist_ok=True)
    os.makedirs(rdir, exist_ok=True)
    server = await asyncio.start_server(
        lambda r, w: guarded(r, w, ddir, rdir), addr, port,
        limit=64 * 1024 * 1024, backlog=256, reuse_address=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.stderr.write("usage: smtp-capture.py ADDR PORT DIR RAWDIR\n")
        sys.exit(2)
    asyncio.run(main())
