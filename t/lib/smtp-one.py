#!/usr/bin/python3
# smtp-one.py - send one message to one envelope recipient written exactly
# as given (quotes, trailing dot, UTF-8), and print the server's answers,
# for tests of how recipients are spelled.
#
# Usage: smtp-one.py PORT SENDER RECIPIENT FILE
#
# With SMTP_SOURCE set (a loopback address such as 127.0.0.2) the
# connection comes from there, as from another client.
# Prints "rcpt CODE TEXT" and, when the recipient was taken, "data CODE
# TEXT".  SMTPUTF8 is asked for when the recipient holds 8-bit octets.
# Exits 0 when the message was accepted, 1 otherwise.
import os
import smtplib
import sys


def main():
    port, sender, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], \
        sys.argv[4]
    with open(path, "rb") as f:
        msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    src = os.environ.get("SMTP_SOURCE")
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.mailacd.test",
                     timeout=30, source_address=(src, 0) if src else None)
    s.ehlo()
    opts = ["SMTPUTF8"] if any(ord(c) > 127 for c in rcpt) else []
    code, text = s.mail(sender, opts)
    if code != 250:
        print("mail", code, text.decode("utf-8", "replace"))
        return 1
    # written as given: smtplib's rcpt() would re-quote the address
    s.putcmd("rcpt", "TO:<%s>" % rcpt)
    code, text = s.getreply()
    print("rcpt", code, text.decode("utf-8", "replace"))
    if code not in (250, 251):
        s.quit()
        return 1
    code, text = s.data(msg)
    print("data", code, text.decode("utf-8", "replace"))
    s.quit()
    return 0 if code == 250 else 1


if __name__ == "__main__":
    sys.exit(main())
