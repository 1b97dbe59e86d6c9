#!/bin/sh
# 0172-dress.t - what the milter adds to outbound mail (common/dress.c),
# each MIME shape before and after, read back by python3's email package
# (not our parser): text/plain, text/html, multipart/alternative, mixed and
# related; quoted-printable, base64 and 8bit kept; a non-UTF-8 charset; the
# signature not added twice; the contact card accepted by python3-vobject;
# "#response NAME" lines; S/MIME and PGP left untouched; a second pass
# changes nothing; and respond_compose (common/respond.c): the composed
# response read back, threaded, encoded, safe from header injection, the
# same bytes twice.
: "${MAILACD_BUILD:?}"
PY=/usr/bin/python3
$PY -c 'import vobject' 2>/dev/null ||
	{ echo "1..0 # SKIP python3-vobject is missing (contrib/install-deps.sh)"; exit 0; }
exec $PY - "$MAILACD_BUILD/t/dress_test" <<'EOF'
import email, email.policy, os, re, subprocess, sys, tempfile, vobject

drv = sys.argv[1]
n = 0
failed = 0

def ok(cond, what, diag=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond:
        failed += 1
        if diag is not None:
            for l in str(diag).splitlines():
                print("#   " + l)

def is_(got, want, what):
    ok(got == want, what, "got:  %r\nwant: %r" % (got, want))

d = tempfile.mkdtemp(prefix="mailacd_dress.")
def w(name, text):
    with open(os.path.join(d, name), "w", encoding="utf-8") as f:
        f.write(text)

w("h.txt", "Hello {{customer.name|there}} \u2014 this is {{channel.name}}.\n")
w("h.html", '<p class="hdr">Hello {{customer.name}}</p>\n')
w("f.txt", "-- \n{{organization}} ref {{interaction.reference}} {{date}}\n")
w("f.html", '<p class="ftr">{{organization}} ref {{interaction.reference}}</p>\n')
w("s.txt", "{{agent.name}}\nAcme Support desk\n")
w("s.html", '<p class="sig">{{agent.name}}</p>\n')
w("ph.txt", "PLAIN HEADER\n")
w("pf.txt", "PLAIN FOOTER\n")
w("short.txt", "Short & sweet, {{customer.name}}.\n")
w("refund.txt", "Your refund, {{customer.name}}, is on its way.\n")
w("refund.html", '<p class="refund">Your refund, {{customer.name}}, is on its way.</p>\n')
w("c.conf", """
milter = { socket = "inet:8891@127.0.0.1"; };
organizations = ( { id = "acme"; timezone = "Europe/Madrid";
  queues = ( { name = "support"; } );
  responses = ( { name = "refund"; subject = "Your refund";
                  text = "refund.txt"; html = "refund.html"; },
                { name = "short"; subject = "Short"; text = "short.txt"; } );
  domains = ( { name = "example.com"; addresses = (
    { address = "support@example.com"; queue = "support";
      display_name = "Acme Support";
      header = { text = "h.txt"; html = "h.html"; };
      footer = { text = "f.txt"; html = "f.html"; };
      card = { organization = "Acme, Inc."; phone = "+1 (555) 0100";
               url = "https://example.com/help"; title = "Support desk";
               note = "Open mon-fri; 9-18"; }; },
    { address = "plain@example.com"; queue = "support";
      header = { text = "ph.txt"; }; footer = { text = "pf.txt"; }; } ); } );
  agents = ( { id = "alice"; name = "Alice Smith"; address = "alice@corp.test";
    queues = [ "support" ]; signature = { text = "s.txt"; html = "s.html"; }; } );
} );
""")
conf = os.path.join(d, "c.conf")

def dress(raw, addr="support@example.com", agent="alice", card=0, resp=1):
    p = subprocess.run([drv, conf, addr, agent, str(card), str(resp)],
                       input=raw.encode("utf-8") if isinstance(raw, str) else raw,
                       capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode()

def parse(b):
    return email.message_from_bytes(b, policy=email.policy.default)

def text(part):
    # the wire has CRLF; python keeps it in decoded text
    return part.get_content().replace("\r\n", "\n")

HEAD = "From: Acme Support <support@example.com>\nTo: ana@customer.test\nSubject: Re: help\nMessage-ID: <r1@example.com>\n"
H_TXT = "Hello Ana <D\u00edaz> & Co \u2014 this is Acme Support."
H_HTML = '<p class="hdr">Hello Ana &lt;D\u00edaz&gt; &amp; Co</p>'
F_TXT = "Acme, Inc. ref R-7K2Q 2026-12-04 09:30 CET"
F_HTML = '<p class="ftr">Acme, Inc. ref R-7K2Q</p>'

def again(out, what, **kw):
    rc, out2, err = dress(out, **kw)
    ok(rc == 1 and out2 == out, what + ": a second pass changes nothing",
       "rc %d %s" % (rc, err))

def no_defects(m, what):
    bad = [(p.get_content_type(), p.defects) for p in m.walk() if p.defects]
    ok(not bad, what + ": no MIME defects", bad)

# 1. text/plain, us-ascii 7bit: the header holds an em dash -> UTF-8, QP
raw = HEAD + "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nThanks for writing.\nWe fixed it.\n"
rc, out, err = dress(raw)
is_(rc, 0, "text/plain: dressed (%s)" % err.strip())
m = parse(out)
no_defects(m, "text/plain")
is_(m.get_content_type(), "text/plain", "text/plain stays text/plain")
is_(m["Content-Transfer-Encoding"], "quoted-printable", "7bit with 8-bit text added becomes quoted-printable")
is_(m.get_content_charset(), "utf-8", "us-ascii that cannot hold the header becomes utf-8")
t = text(m)
ok(t.startswith(H_TXT + "\nThanks for writing.\nWe fixed it.\n"), "header first, then the text", t)
ok(t.rstrip().endswith("Alice Smith\nAcme Support desk\n-- \n" + F_TXT), "signature, then footer, last", t)
ok("x-mailacd-dressed" in m["Content-Type"], "the part says it is dressed")
is_(m["Subject"], "Re: help", "other headers untouched")
again(out, "text/plain")

# 2. text/html in base64
html = "<html><head><title>x</title></head><body style=\"a\">\n<p>We fixed it.</p>\n</body></html>\n"
import base64
raw = HEAD + "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(html.encode()).decode()
rc, out, err = dress(raw)
is_(rc, 0, "text/html: dressed")
m = parse(out)
no_defects(m, "text/html")
is_(m["Content-Transfer-Encoding"], "base64", "base64 stays base64")
h = text(m)
ok(re.search(r'<body style="a">\s*' + re.escape(H_HTML) + r'\s*<p>We fixed it.</p>\s*<p class="sig">Alice Smith</p>\s*' + re.escape(F_HTML) + r'\s*</body></html>', h) is not None,
   "html: header after <body>, signature and footer before </body>, values escaped", h)
again(out, "text/html")

# 3. multipart/alternative: text in QP, html in 8bit
raw = (HEAD + "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n"
       "--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGr=C3=BC=C3=9Fe, fixed.\n"
       "--b1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n<html><body><p>Gr\u00fc\u00dfe, fixed.</p></body></html>\n"
       "--b1--\n")
rc, out, err = dress(raw)
is_(rc, 0, "alternative: dressed")
m = parse(out)
no_defects(m, "alternative")
parts = list(m.iter_parts())
is_([p.get_content_type() for p in parts], ["text/plain", "text/html"], "alternative keeps its two parts")
is_([p["Content-Transfer-Encoding"] for p in parts], ["quoted-printable", "8bit"], "each part keeps its transfer encoding")
t, h = text(parts[0]), text(parts[1])
ok(t.startswith(H_TXT) and "Gr\u00fc\u00dfe, fixed." in t and t.rstrip().endswith(F_TXT) and "<p" not in t,
   "the text part gets the text variants only", t)
ok(H_HTML in h and F_HTML in h and "Gr\u00fc\u00dfe" in h and H_TXT not in h,
   "the html part gets the html variants only", h)
again(out, "alternative")

# 4. multipart/mixed: text + a PDF attachment, whose bytes stay
pdf = bytes(range(256)) * 8
raw = (HEAD + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m1\"\n\n"
       "--m1\nContent-Type: text/plain; charset=utf-8\n\nSee attached.\n"
       "--m1\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(pdf).decode() +
       "--m1\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nnot the body\n"
       "--m1--\n")
rc, out, err = dress(raw)
is_(rc, 0, "mixed: dressed")
m = parse(out)
no_defects(m, "mixed")
parts = list(m.iter_parts())
t = text(parts[0])
ok(t.startswith(H_TXT) and t.rstrip().endswith(F_TXT), "mixed: the first text part is dressed", t)
is_(parts[1].get_content(), pdf, "mixed: the attachment's bytes are unchanged")
is_(text(parts[2]), "not the body", "mixed: a text attachment is not dressed")
again(out, "mixed")

# 5. multipart/related: html + an inline image
raw = (HEAD + "MIME-Version: 1.0\nContent-Type: multipart/related; boundary=\"r1\"; type=\"text/html\"\n\n"
       "--r1\nContent-Type: text/html; charset=utf-8\n\n<html><body><img src=\"cid:i1\"><p>logo</p></body></html>\n"
       "--r1\nContent-Type: image/png\nContent-ID: <i1>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
       "--r1--\n")
rc, out, err = dress(raw)
is_(rc, 0, "related: dressed")
m = parse(out)
no_defects(m, "related")
parts = list(m.iter_parts())
h = text(parts[0])
ok(H_HTML in h and F_HTML in h and h.index(H_HTML) < h.index("<img") < h.index(F_HTML), "related: the html is dressed around its content", h)
is_(parts[1].get_content(), base64.b64decode("iVBORw0KGgo="), "related: the image is unchanged")

# 6. mixed > alternative + attachment
raw = (HEAD + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m2\"\n\n"
       "--m2\nContent-Type: multipart/alternative; boundary=\"a2\"\n\n"
       "--a2\nContent-Type: text/plain\n\nplain body\n--a2\nContent-Type: text/html\n\n<p>html body</p>\n--a2--\n"
       "--m2\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=x.bin\n\nxyz\n"
       "--m2--\n")
rc, out, err = dress(raw)
m = parse(out)
no_defects(m, "mixed>alternative")
alt = list(list(m.iter_parts())[0].iter_parts())
ok(text(alt[0]).startswith(H_TXT) and H_HTML in text(alt[1]) and F_HTML in text(alt[1]),
   "mixed > alternative: both alternatives dressed", out.decode(errors="replace"))

# 7. a non-UTF-8 charset kept when it can hold what is added
raw = HEAD + "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nHola se=F1ora, =BFqu=E9 tal?\n"
rc, out, err = dress(raw, addr="plain@example.com", agent="-")
m = parse(out)
no_defects(m, "iso-8859-1")
is_(m.get_content_charset(), "iso-8859-1", "iso-8859-1 kept when the added text fits")
is_(m["Content-Transfer-Encoding"], "quoted-printable", "iso-8859-1: quoted-printable kept")
is_(text(m), "PLAIN HEADER\nHola se\u00f1ora, \u00bfqu\u00e9 tal?\nPLAIN FOOTER\n", "iso-8859-1: decoded text right")
ok(b"se=F1ora" in out, "iso-8859-1: the octets stay Latin-1")
rc, out, err = dress(raw)
m = parse(out)
is_(m.get_content_charset(), "utf-8", "iso-8859-1 that cannot hold the header becomes utf-8")
ok("Hola se\u00f1ora, \u00bfqu\u00e9 tal?" in text(m), "...and the customer's text survives the change", text(m))

# 8. 8bit stays 8bit
raw = HEAD + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nCaf\u00e9 ready.\n"
rc, out, err = dress(raw)
m = parse(out)
is_(m["Content-Transfer-Encoding"], "8bit", "8bit stays 8bit")
ok(text(m).startswith(H_TXT + "\nCaf\u00e9 ready.\n"), "8bit: text right", text(m))

# 9. no MIME headers at all
raw = HEAD + "\nJust text.\n"
rc, out, err = dress(raw, addr="plain@example.com", agent="-")
m = parse(out)
is_(text(m), "PLAIN HEADER\nJust text.\nPLAIN FOOTER\n", "a message without MIME headers is text/plain")

# 10. signed and encrypted mail is left alone
sealed = {
  "S/MIME signed": "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s1\"\n\n--s1\nContent-Type: text/plain\n\nsigned text\n--s1\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQE=\n--s1--\n",
  "S/MIME enveloped": "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\n",
  "PGP/MIME signed": "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=\"p1\"\n\n--p1\nContent-Type: text/plain\n\nsigned\n--p1\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n--p1--\n",
  "PGP/MIME encrypted": "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e1\"\n\n--e1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e1\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\nxx\n-----END PGP MESSAGE-----\n--e1--\n",
  "inline PGP": "Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhello\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n",
  "signed inside mixed": "Content-Type: multipart/mixed; boundary=\"x1\"\n\n--x1\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"s2\"\n\n--s2\nContent-Type: text/plain\n\nt\n--s2\nContent-Type: application/pkcs7-signature\n\nAA==\n--s2--\n--x1--\n",
}
for what, body in sealed.items():
    raw = HEAD + "MIME-Version: 1.0\n" + body
    rc, out, err = dress(raw, card=1)
    ok(rc == 2 and out == raw.replace("\n", "\r\n").encode(), what + ": untouched, byte for byte (%s)" % err.strip(), "rc %d" % rc)
    ok("untouched" in err, what + ": says why")

# 11. the contact card on a first reply: a vCard python3-vobject accepts
raw = HEAD + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nFirst reply.\n"
rc, out, err = dress(raw, card=1)
m = parse(out)
no_defects(m, "card")
is_(m.get_content_type(), "multipart/mixed", "card: the message becomes multipart/mixed")
parts = list(m.iter_parts())
is_([p.get_content_type() for p in parts], ["text/plain", "text/vcard"], "card: the text, then the card")
is_(parts[1].get_filename(), "Acme Support.vcf", "card: named after the address")
is_(parts[1].get_content_disposition(), "attachment", "card: an attachment")
ok(text(parts[0]).startswith(H_TXT), "card: the text is still dressed")
card = vobject.readOne(parts[1].get_content())
is_(card.version.value, "4.0", "vCard 4.0")
is_(card.fn.value, "Acme Support", "FN: the display name")
is_(card.email.value, "support@example.com", "EMAIL: the address")
is_(str(card.org.value[0]) if isinstance(card.org.value, list) else str(card.org.value), "Acme, Inc.", "ORG, with its comma escaped")
is_(card.tel.value, "tel:+15550100", "TEL: a tel: URI")
is_(card.url.value, "https://example.com/help", "URL")
is_(card.title.value, "Support desk", "TITLE")
is_(card.note.value, "Open mon-fri; 9-18", "NOTE, with its semicolon escaped")
ok(all(len(l) <= 75 for l in parts[1].get_content().encode().split(b"\r\n")), "card lines within 75 octets")
again(out, "card", card=1)
rc, out2, err = dress(raw, card=1)
is_(out2, out, "card: the same message dressed twice gives the same bytes")

# 12. the signature the client already put there is not added again
raw = HEAD + "Content-Type: text/plain\n\nThanks.\n\nAlice Smith\nAcme Support   desk\n"
rc, out, err = dress(raw)
t = text(parse(out))
is_(t.count("Alice Smith"), 1, "signature already there: not added again")
ok("(signature there)" in err, "...and the dresser says so", err)

# 13. #response NAME
raw = HEAD + "Content-Type: text/plain; charset=utf-8\n\n#response refund\n\nKind regards\n"
rc, out, err = dress(raw)
t = text(parse(out))
ok(rc == 0 and "#response" not in t and "Your refund, Ana <D\u00edaz> & Co, is on its way.\n\nKind regards" in t,
   "#response: the line becomes the response", t)
ok("response=refund" in err, "#response: the dresser says which", err)
raw = (HEAD + "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b9\"\n\n"
       "--b9\nContent-Type: text/plain\n\n#response refund\n\nBye\n"
       "--b9\nContent-Type: text/html\n\n<html><body><div>#response refund</div><div><br></div><div>Bye</div></body></html>\n--b9--\n")
rc, out, err = dress(raw)
alt = list(parse(out).iter_parts())
ok(rc == 0 and "#response" not in text(alt[0]) and "#response" not in text(alt[1]), "#response: gone from both alternatives", out.decode(errors="replace"))
ok('<p class="refund">Your refund, Ana &lt;D\u00edaz&gt; &amp; Co, is on its way.</p>' in text(alt[1]), "#response: html gets the html variant, escaped", text(alt[1]))
raw = HEAD + "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>#response short</p><p>Bye &amp; thanks</p></body></html>\n"
rc, out, err = dress(raw, addr="plain@example.com", agent="alice")
h = text(parse(out))
ok(rc == 0 and "#response" not in h and "<div>Short &amp; sweet, Ana &lt;D\u00edaz&gt; &amp; Co.<br>" in h and "Bye &amp; thanks" in h,
   "#response in an html-only reply, a text-only response: escaped, as html", h)
raw = HEAD + "Content-Type: text/plain\n\nHello,\n#response refund\n"
rc, out, err = dress(raw, addr="plain@example.com", agent="alice")
ok("#response refund" in text(parse(out)) and "refund" not in err, "#response that is not the first line is text like any other", err)
raw = HEAD + "Content-Type: text/plain\n\n#response nope\n\nBye\n"
rc, out, err = dress(raw)
ok(rc == 3 and "nope" in err, "#response with an unknown name is refused", err)
rc, out, err = dress(raw, resp=0)
ok("#response nope" in text(parse(out)), "#response lines are only read when asked (agents' replies)")

# 14. respond_compose: what the router sends as an acknowledgement or a
# standard response
def respond(resp, to="ana@customer.test", name="Ana D\u00edaz", irt="<q1@customer.test>",
            refs="<q0@customer.test>", auto="1", mid="<ack1@example.com>", subj="my order"):
    p = subprocess.run([drv, "--respond", conf, "support@example.com", resp, to, name,
                        irt, refs, auto, mid, subj], capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode()
w("ack.txt", "We got \"{{interaction.subject}}\", ref {{interaction.reference}}.\n")
w("ack.html", "<p>We got <b>{{interaction.subject}}</b>, {{customer.name}}.</p>\n")
with open(conf) as f:
    c = f.read()
c = c.replace('responses = (', 'responses = ( { name = "ack"; subject = "Re: {{interaction.subject}} [{{interaction.reference}}]"; text = "ack.txt"; html = "ack.html"; },', 1)
with open(conf, "w") as f:
    f.write(c)
rc, out, err = respond("ack")
m = parse(out)
no_defects(m, "respond")
ok(rc == 0 and b"\r\n" in out and b"\n" not in out.replace(b"\r\n", b""), "respond: CRLF line ends only", err)
is_(str(m["From"]), "Acme Support <support@example.com>", "respond: From is the channel")
is_(str(m["To"]), "Ana D\u00edaz <ana@customer.test>", "respond: To, the name encoded")
ok(re.search(rb"=\?[-a-z0-9]+\?[bq]\?", out.split(b"\r\n\r\n")[0].lower()) is not None and
   all(b < 128 for b in out.split(b"\r\n\r\n")[0]), "respond: encoded words, the header 7-bit")
is_(str(m["Subject"]), "Re: my order [R-7K2Q]", "respond: Subject from its template")
is_(str(m["In-Reply-To"]), "<q1@customer.test>", "respond: In-Reply-To")
is_(str(m["References"]).split(), ["<q0@customer.test>", "<q1@customer.test>"], "respond: References, theirs then the message answered")
is_(str(m["Message-ID"]), "<ack1@example.com>", "respond: the caller's Message-ID")
is_(str(m["Auto-Submitted"]), "auto-replied", "respond: an acknowledgement says so (RFC 3834)")
is_(str(m["Date"]), "Fri, 04 Dec 2026 08:30:00 +0000", "respond: dated now")
is_(m.get_content_type(), "multipart/alternative", "respond: text and html: multipart/alternative")
is_(text(m.get_body(preferencelist=("plain",))), 'We got "my order", ref R-7K2Q.\n', "respond: the text part")
is_(text(m.get_body(preferencelist=("html",))), "<p>We got <b>my order</b>, Ana D\u00edaz.</p>\n", "respond: the html part")
rc, out2, err = respond("ack")
is_(out2, out, "respond: the same input gives the same bytes")
rc, out, err = respond("refund", auto="0", irt="-", refs="-", mid="<r9@example.com>")
m = parse(out)
ok(m["Auto-Submitted"] is None and m["In-Reply-To"] is None and m["References"] is None,
   "respond: a standard response without a thread: no Auto-Submitted, no threading")
rc, out, err = respond("ack", name="Eve\r\nBcc: victim@evil.test", subj="x\r\nBcc: victim@evil.test")
m = parse(out)
ok(rc == 0 and m["Bcc"] is None and b"\r\nBcc:" not in out.split(b"\r\n\r\n")[0], "respond: CR LF in the customer's name or subject adds no header", out[:600])
rc, out, err = respond("ack", to="ana@customer.test>, evil@evil.test")
ok(rc == 4 and out == b"", "respond: a malformed recipient is refused", err)
rc, out, err = respond("ack", mid="no-brackets@example.com")
ok(rc == 4 and "Message-ID" in err, "respond: a malformed Message-ID is refused", err)
rc, out, err = respond("ack", irt="<a@b> <c@d>")
ok(rc == 4 and "In-Reply-To" in err, "respond: an In-Reply-To of more than one id is refused", err)

print("1..%d" % n)
import shutil
shutil.rmtree(d)
sys.exit(1 if failed else 0)
EOF
