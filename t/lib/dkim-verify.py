#!/usr/bin/python3
# dkim-verify.py - verify DKIM signatures with python3-dkim (dkimpy), which
# shares no code with libopendkim, on messages exactly as received.
#
# Usage: dkim-verify.py RECORDS DOMAIN FILE...
#
# RECORDS holds one "NAME TEXT" line per key record (NAME like
# s1._domainkey.example.com, TEXT the record's text); DNS look-ups are
# answered from it alone.  For each FILE the signature of DOMAIN (d=) is
# verified and "pass FILE" or "fail FILE: reason" printed.  Exit 0 when
# every file passed.
import sys

import dkim


def main():
    recs = {}
    with open(sys.argv[1]) as f:
        for line in f:
            name, _, text = line.rstrip("\n").partition(" ")
            recs[name.rstrip(".").lower()] = text.encode()

    def dns(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        return recs.get(n.rstrip(".").lower())

    domain = sys.argv[2].encode()
    bad = 0
    for path in sys.argv[3:]:
        with open(path, "rb") as f:
            msg = f.read()
        d = dkim.DKIM(msg)
        sigs = [i for i, (k, v) in enumerate(d.headers)
                if k.lower() == b"dkim-signature"]
        why = "no DKIM-Signature of d=%s" % domain.decode()
        ok = False
        # verify() counts signatures, not headers: the Nth signature is
        # its index when Received headers were added above it
        for nth, idx in enumerate(sigs):
            tags = dkim.util.parse_tag_value(
                b"".join(d.headers[idx][1].split()))
            if tags.get(b"d", b"").lower() != domain:
                continue
            try:
                ok = d.verify(idx=nth, dnsfunc=dns)
                why = "signature did not verify"
            except dkim.DKIMException as e:
                why = str(e)
            if ok:
                break
        if ok:
            print("pass", path)
        else:
            bad += 1
            print("fail %s: %s" % (path, why))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
