#!/usr/bin/python3
# smtp-burst.py - send N small messages one after the other over one SMTP
# session and say which the server accepted, for tests that crash a
# server in the middle of a burst.
#
# Usage: smtp-burst.py PORT N TAG FROM TO
#
# Message i has Message-ID <TAG.i@customer.test> and a fixed Date (else
# Postfix adds one): the same TAG sends the same messages again, as an
# MTA's retry would.  For each message one
# line: "accepted <id>" after 250 to DATA, "refused <id> CODE" otherwise;
# a dropped connection is reopened.  Exits 0.  With BURST_TIME=1 in the
# environment each line ends with the wall clock in milliseconds.
import os
import smtplib
import sys
import time


def stamp():
    """" MS" when BURST_TIME is set, else nothing."""
    if os.environ.get("BURST_TIME") != "1":
        return ""
    return " %d" % int(time.time() * 1000)


def connect(port):
    """A session to the server under test."""
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.mailacd.test",
                     timeout=30)
    s.ehlo()
    return s


def main():
    port, n, tag, frm, to = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
        sys.argv[4], sys.argv[5]
    s = connect(port)
    for i in range(n):
        mid = "<%s.%d@customer.test>" % (tag, i)
        msg = ("From: Customer <%s>\r\nTo: %s\r\nSubject: burst %d\r\n"
               "Date: Fri, 04 Dec 2026 12:00:00 +0000\r\n"
               "Message-ID: %s\r\n\r\nMessage %d of a burst.\r\n"
               % (frm, to, i, mid, i)).encode()
        try:
            s.sendmail(frm, [to], msg)
            print("accepted", mid + stamp(), flush=True)
        except smtplib.SMTPResponseException as e:
            print("refused", mid, str(e.smtp_code) + stamp(), flush=True)
            try:
                s.rset()
            except smtplib.SMTPException:
                s = connect(port)
        except (smtplib.SMTPException, OSError) as e:
            print("refused", mid, "0" + stamp(), flush=True)
            s = connect(port)
    s.quit()


if __name__ == "__main__":
    main()
