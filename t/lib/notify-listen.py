#!/usr/bin/python3
# notify-listen.py - stand in for systemd's notification socket: receive
# what a Type=notify service sends with sd_notify(), one datagram a line,
# for the tests of READY/RELOADING/STOPPING.
#
# Usage: notify-listen.py SOCKET LOG [PORT]
#
# Each datagram's lines are written to LOG, flushed at once.  With PORT,
# a READY=1 is followed by a TCP connection to 127.0.0.1:PORT and the line
# "probe PORT listening" or "probe PORT refused": whether the service
# listened when it said it was ready.  Runs until killed.
import socket
import sys


def main():
    path, log = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(log, "a") as out:
        out.write("bound\n")
        out.flush()
        while True:
            data = s.recv(4096).decode("utf-8", "replace")
            for line in data.splitlines():
                out.write(line + "\n")
                if port and line == "READY=1":
                    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    try:
                        c.connect(("127.0.0.1", port))
                        state = "listening"
                    except OSError:
                        state = "refused"
                    c.close()
                    out.write("probe %d %s\n" % (port, state))
            out.flush()


if __name__ == "__main__":
    main()
