#!/usr/bin/python3
# fake-sentinel.py - Sentinels and Redis nodes that answer what a test
# tells them to, to test common/sentinel.c against a Sentinel that names
# a replica, a master that is gone, or nothing at all.
#
#   fake-sentinel.py PORTFILE LISTENER...
#
# Each LISTENER is NAME=KIND[,OPTION...] and gets a free loopback port;
# when all listen, "NAME PORT" lines are written to PORTFILE.  KINDs:
#   sentinel:TARGET  answers SENTINEL get-master-addr-by-name with the
#                    address of listener TARGET (or "dead": a port that
#                    nobody listens on)
#   nil              a Sentinel that does not know the master
#   silent           accepts connections and never answers
#   master, slave    a data node whose ROLE says so
#   readonly         ROLE says master, every other command -READONLY
# OPTIONs: pass=SECRET (AUTH required first), user=NAME (and as that ACL
# user: AUTH NAME SECRET), switch=TARGET (after a
# SUBSCRIBE to +switch-master, publish a switch to TARGET 0.3 s later).
# PORTFILE also names "closed": a port nobody listens on.
# FAKE.COUNT answers how many commands other than AUTH a listener saw.
import asyncio
import os
import socket
import sys

NAME = "mymaster"
ports = {}
counts = {}


def bulk(s):
    b = s.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(bulk(i) for i in items)


async def read_cmd(reader):
    line = await reader.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        return line.decode().split()
    n = int(line[1:])
    out = []
    for _ in range(n):
        ln = await reader.readline()
        size = int(ln[1:])
        data = await reader.readexactly(size + 2)
        out.append(data[:-2].decode())
    return out


def dead_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def handler(name, kind, opts):
    async def serve(reader, writer):
        authed = "pass" not in opts
        try:
            while True:
                cmd = await read_cmd(reader)
                if cmd is None:
                    break
                if kind == "silent":
                    continue
                verb = cmd[0].upper() if cmd else ""
                if verb == "AUTH":
                    # with user=NAME, only AUTH NAME SECRET (Redis ACLs)
                    want = ([opts["user"], opts.get("pass")] if "user" in opts
                            else [opts.get("pass")])
                    if cmd[1:] == want:
                        authed = True
                        writer.write(b"+OK\r\n")
                    else:
                        writer.write(b"-WRONGPASS invalid username-password "
                                     b"pair or user is disabled.\r\n")
                    await writer.drain()
                    continue
                counts[name] = counts.get(name, 0) + 1
                if verb == "FAKE.COUNT":
                    writer.write(b":%d\r\n" % counts[name])
                elif not authed:
                    writer.write(b"-NOAUTH Authentication required.\r\n")
                elif verb == "SENTINEL" and kind.startswith("sentinel:"):
                    t = kind.split(":", 1)[1]
                    if len(cmd) == 3 and cmd[2] == NAME:
                        p = dead if t == "dead" else ports[t]
                        writer.write(array(["127.0.0.1", str(p)]))
                    else:
                        writer.write(b"*-1\r\n")
                elif verb == "SENTINEL" and kind == "nil":
                    writer.write(b"*-1\r\n")
                elif verb == "SUBSCRIBE":
                    writer.write(b"*3\r\n" + bulk("subscribe") +
                                 bulk(cmd[1]) + b":1\r\n")
                    if "switch" in opts:
                        await writer.drain()
                        await asyncio.sleep(0.3)
                        t = opts["switch"]
                        msg = "%s 127.0.0.1 1 127.0.0.1 %d" % (NAME, ports[t])
                        # a message about another master comes first
                        writer.write(array(["message", "+switch-master",
                                            "other 127.0.0.1 1 127.0.0.1 2"]))
                        writer.write(array(["message", "+switch-master",
                                            msg]))
                elif verb == "ROLE" and kind in ("master", "readonly"):
                    writer.write(b"*3\r\n" + bulk("master") + b":0\r\n*0\r\n")
                elif verb == "ROLE" and kind == "slave":
                    writer.write(b"*5\r\n" + bulk("slave") +
                                 bulk("127.0.0.1") + b":6379\r\n" +
                                 bulk("connected") + b":0\r\n")
                elif kind == "readonly":
                    writer.write(b"-READONLY You can't write against a read "
                                 b"only replica.\r\n")
                elif verb == "PING":
                    writer.write(b"+PONG\r\n")
                elif verb == "SELECT":
                    writer.write(b"+OK\r\n")
                else:
                    writer.write(b"+OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        writer.close()
    return serve


async def main():
    global dead
    portfile = sys.argv[1]
    dead = dead_port()
    servers = []
    for spec in sys.argv[2:]:
        name, rest = spec.split("=", 1)
        parts = rest.split(",")
        kind = parts[0]
        opts = dict(p.split("=", 1) for p in parts[1:])
        srv = await asyncio.start_server(handler(name, kind, opts),
                                         "127.0.0.1", 0)
        ports[name] = srv.sockets[0].getsockname()[1]
        servers.append(srv)
    with open(portfile + ".tmp", "w") as f:
        for n, p in ports.items():
            f.write("%s %d\n" % (n, p))
        f.write("closed %d\n" % dead)
    os.rename(portfile + ".tmp", portfile)
    await asyncio.gather(*(s.serve_forever() for s in servers))


asyncio.run(main())
