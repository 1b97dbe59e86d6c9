#!/usr/bin/python3
# dkim-corpus.py - send a varied set of messages byte for byte over SMTP,
# for the DKIM interoperability test.
#
# Usage: dkim-corpus.py PORT TAG FROM[,FROM...] [CASE...]
#
# For every sending address FROM and every case (all when none is named)
# it sends one message from FROM to ana@customer.test through the SMTP
# server on 127.0.0.1:PORT, with Message-ID <TAG.CASE.N@DOMAIN-OF-FROM>,
# and prints "CASE FROM MESSAGE-ID" for each.  Messages are built as bytes
# with CR LF line ends and sent with smtplib, which dot-stuffs but changes
# nothing else (swaks and shell quoting would lose trailing blank lines and
# the missing final line break).
import base64
import os
import smtplib
import sys

CRLF = b"\r\n"


def lines(*ls):
    """Lines joined with CR LF, each ending in CR LF."""
    return b"".join(l.encode("utf-8") + CRLF for l in ls)


def head(frm, mid, subject="Your order", extra=()):
    """An ordinary header block."""
    return lines("From: Acme Support <%s>" % frm,
                 "To: Ana <ana@customer.test>",
                 "Subject: %s" % subject,
                 "Date: Fri, 04 Dec 2026 10:00:00 +0000",
                 "Message-ID: %s" % mid, *extra)


def plain(frm, mid):
    return head(frm, mid, extra=("MIME-Version: 1.0",
                "Content-Type: text/plain; charset=us-ascii")) + CRLF + \
        lines("Hello Ana,", "", "your parcel left today.", "", "-- ", "Acme")


def multipart(frm, mid):
    att = base64.encodebytes(bytes(range(256)) * 24).replace(b"\n", CRLF)
    return head(frm, mid, subject="Invoice attached", extra=(
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="=-b0undary-="')) + CRLF + \
        lines("This is a multi-part message in MIME format.", "",
              "--=-b0undary-=",
              'Content-Type: multipart/alternative; boundary="alt-1"', "",
              "--alt-1", "Content-Type: text/plain; charset=utf-8",
              "Content-Transfer-Encoding: quoted-printable", "",
              "Se=C3=B1ora Pe=C3=B1a, la factura va adjunta.", "",
              "--alt-1", "Content-Type: text/html; charset=utf-8", "",
              "<html><body><p>Se&ntilde;ora, la factura.</p></body></html>",
              "--alt-1--", "",
              "--=-b0undary-=",
              'Content-Type: application/octet-stream; name="inv.bin"',
              "Content-Transfer-Encoding: base64",
              'Content-Disposition: attachment; filename="inv.bin"', "") + \
        att + lines("--=-b0undary-=--")


def utf8(frm, mid):
    return head(frm, mid, subject="=?UTF-8?Q?Su_pedido_=C2=BFqu=C3=A9_tal=3F?=",
                extra=("MIME-Version: 1.0",
                       "Content-Type: text/plain; charset=UTF-8",
                       "Content-Transfer-Encoding: 8bit")) + CRLF + \
        lines("Hola, señora Peña — ¿qué tal? ünïcödé ✓", "日本語のテキスト",
              "Привет")


def encoded_names(frm, mid):
    return lines("From: =?UTF-8?B?%s?= <%s>" % (
        base64.b64encode("Atención al Cliente".encode()).decode(), frm),
        'To: =?ISO-8859-1?Q?Ana_Pe=F1a?= <ana@customer.test>,',
        ' "=?UTF-8?Q?J=C3=BCrgen?=" <j@customer.test>',
        "Subject: =?UTF-8?Q?R=C3=A9ponse?=",
        "Date: Fri, 04 Dec 2026 10:00:00 +0000",
        "Message-ID: %s" % mid) + CRLF + lines("Bonjour.")


def long_headers(frm, mid):
    words = " ".join("word%d" % i for i in range(120))
    subj = words[:70]
    subj_lines = [subj] + ["\t" + words[i:i + 70] for i in range(70, len(words), 70)]
    tos = ["Customer %d <c%d@customer.test>," % (i, i) for i in range(40)]
    tos[-1] = tos[-1].rstrip(",")
    hdr = ["From: Acme Support <%s>" % frm, "To: " + tos[0]] + \
        [" " + t for t in tos[1:]] + ["Subject: " + subj_lines[0]] + \
        subj_lines[1:] + ["Date: Fri, 04 Dec 2026 10:00:00 +0000",
                          "Message-ID: %s" % mid,
                          "X-Long: " + "y" * 900]
    return lines(*hdr) + CRLF + lines("Long headers.")


def empty_body(frm, mid):
    return head(frm, mid, subject="empty") + CRLF


def no_final_crlf(frm, mid):
    return head(frm, mid, subject="no final line break") + CRLF + \
        b"first line\r\nlast line without a line break"


def trailing_blank(frm, mid):
    return head(frm, mid, subject="trailing blank lines") + CRLF + \
        lines("text", "", "", "", "")


def existing_sig(frm, mid):
    sig = lines("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"
                " d=elsewhere.test; s=x;",
                "\th=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;",
                "\tb=AAAA")
    return sig + head(frm, mid, subject="already signed once") + CRLF + \
        lines("Someone signed this before us.")


def dot_lines(frm, mid):
    return head(frm, mid, subject="dots") + CRLF + \
        lines("one", ".", "..", ".leading dot", "...", "end .", ".")


def lowercase(frm, mid):
    return lines("from: Acme Support <%s>" % frm, "to: ana@customer.test",
                 "subject: lower case names",
                 "date: Fri, 04 Dec 2026 10:00:00 +0000",
                 "message-id: %s" % mid, "mime-version: 1.0",
                 "content-type: text/plain") + CRLF + lines("lower")


def whitespace(frm, mid):
    return head(frm, mid, subject="  spaced   out  ",
                extra=("X-Tabs:\t a \t b\t",)) + CRLF + \
        lines("trailing spaces   ", "\ttabs\tinside\t", "  ", "end")


def crlf_only(frm, mid):
    return head(frm, mid, subject="blank lines only") + CRLF + lines("", "", "")


def long_line(frm, mid):
    return head(frm, mid, subject="a body line of 1500 octets") + CRLF + \
        lines("short", "z" * 1500, "short again")


CASES = {
    "plain": plain, "multipart": multipart, "utf8": utf8,
    "encoded-names": encoded_names, "long-headers": long_headers,
    "empty-body": empty_body, "no-final-crlf": no_final_crlf,
    "trailing-blank": trailing_blank, "existing-signature": existing_sig,
    "dot-lines": dot_lines, "lowercase-names": lowercase,
    "whitespace": whitespace, "blank-lines-only": crlf_only,
    "long-line": long_line,
}
# the long-line case is sent only when asked for by name
DEFAULT = [c for c in CASES if c != "long-line"]


def main():
    port, tag, froms = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    cases = sys.argv[4:] or DEFAULT
    n = 0
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.mailacd.test",
                     timeout=60)
    for frm in froms:
        for c in cases:
            n += 1
            mid = "<%s.%s.%d@%s>" % (tag, c, n, frm.split("@")[1])
            msg = CASES[c](frm, mid)
            s.sendmail(frm, ["ana@customer.test"], msg)
            print(c, frm, mid)
    s.quit()


if __name__ == "__main__":
    main()
