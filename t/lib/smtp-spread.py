#!/usr/bin/python3
# smtp-spread.py - send N small messages over several SMTP sessions spread
# across several relays (MX hosts), and retry what a relay tempfailed on
# the next relay, as a sending MTA with two MX records does; for tests
# that crash a server in the middle of the burst.
#
# Usage: smtp-spread.py PORTS N TAG FROM TO
#
# PORTS is a comma-separated list of relay ports on 127.0.0.1.  SESSIONS
# (environment, default 4) sessions run at once, session j on relay
# j mod len(PORTS); each takes the next message to send, or first a
# refused one whose retry is due (RETRY_DELAY seconds after its refusal,
# default 1), which it sends on the relay after the one that refused it.
# Message i has Message-ID <TAG.i@customer.test> and a fixed Date (else
# Postfix adds one), so a retry sends the same bytes.  RATE (messages a
# second over all sessions, default 0: as fast as they go) paces first
# attempts.  After the last first attempt, refused messages are retried
# for RETRY_FOR seconds (default 120) at most.
#
# One line per attempt on stdout, with the wall clock in milliseconds, the
# relay's port and the attempt's number (1 = first):
#   accepted <id> MS PORT TRY           250 to DATA
#   refused <id> CODE MS PORT TRY       any other reply; CODE 0: the
#                                       session failed (it is reopened)
#   gaveup <id>                         still refused when RETRY_FOR ran out
# Exits 0.
import os
import smtplib
import sys
import threading
import time

LOCK = threading.Lock()


def out(line):
    """Print one result line whole."""
    with LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def connect(port):
    """A session to the relay on PORT."""
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.mailacd.test",
                     timeout=30)
    s.ehlo()
    return s


class Work:
    """What is left to send: new messages in order, refused ones by due
    time, each for the relay it should go to next."""

    def __init__(self, n, ports, rate):
        self.n, self.ports, self.rate = n, ports, rate
        self.next = 0
        self.retry = []            # (due, index, port, try)
        self.done = set()
        self.start = time.time()
        self.first_done = None
        self.cv = threading.Condition()

    def take(self, port):
        """The next (index, try) for a session on PORT, or None: finished."""
        deadline = float(os.environ.get("RETRY_FOR", "120"))
        with self.cv:
            while True:
                now = time.time()
                if len(self.done) == self.n:
                    return None
                if self.first_done is not None and \
                        now - self.first_done > deadline:
                    return None
                for k, (due, i, p, t) in enumerate(self.retry):
                    if due <= now and (p == port or len(self.ports) == 1):
                        del self.retry[k]
                        return i, t
                if self.next < self.n:
                    if self.rate > 0:
                        at = self.start + self.next / self.rate
                        if at > now:
                            self.cv.wait(min(at - now, 0.05))
                            continue
                    i = self.next
                    self.next += 1
                    if self.next == self.n:
                        self.first_done = time.time()
                    return i, 1
                self.cv.wait(0.05)

    def result(self, i, port, t, accepted):
        """Record an attempt; a refusal is retried on the next relay."""
        with self.cv:
            if accepted:
                self.done.add(i)
            else:
                nxt = self.ports[(self.ports.index(port) + 1) % len(self.ports)]
                delay = float(os.environ.get("RETRY_DELAY", "1"))
                self.retry.append((time.time() + delay, i, nxt, t + 1))
            self.cv.notify_all()

    def left(self):
        """Indexes never accepted."""
        with self.cv:
            return sorted(set(range(self.n)) - self.done)


def session(work, port, tag, frm, to):
    """One SMTP session: send what WORK hands out until it is finished."""
    s = None
    while True:
        job = work.take(port)
        if job is None:
            break
        i, t = job
        mid = "<%s.%d@customer.test>" % (tag, i)
        msg = ("From: Customer <%s>\r\nTo: %s\r\nSubject: burst %d\r\n"
               "Date: Fri, 04 Dec 2026 12:00:00 +0000\r\n"
               "Message-ID: %s\r\n\r\nMessage %d of a burst.\r\n"
               % (frm, to, i, mid, i)).encode()
        try:
            if s is None:
                s = connect(port)
            s.sendmail(frm, [to], msg)
            out("accepted %s %d %d %d" % (mid, time.time() * 1000, port, t))
            work.result(i, port, t, True)
        except smtplib.SMTPResponseException as e:
            out("refused %s %d %d %d %d" % (mid, e.smtp_code,
                                            time.time() * 1000, port, t))
            work.result(i, port, t, False)
            try:
                s.rset()
            except (smtplib.SMTPException, OSError):
                s = None
        except (smtplib.SMTPException, OSError):
            out("refused %s 0 %d %d %d" % (mid, time.time() * 1000, port, t))
            work.result(i, port, t, False)
            s = None
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def main():
    ports = [int(p) for p in sys.argv[1].split(",")]
    n, tag, frm, to = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    sessions = int(os.environ.get("SESSIONS", "4"))
    work = Work(n, ports, float(os.environ.get("RATE", "0")))
    threads = [threading.Thread(target=session,
                                args=(work, ports[j % len(ports)], tag, frm,
                                      to))
               for j in range(sessions)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for i in work.left():
        out("gaveup <%s.%d@customer.test>" % (tag, i))


if __name__ == "__main__":
    main()
