#!/bin/sh
# 4030-ctl-dkim.t - mailacdctl dkim genkey: RSA and Ed25519 keys written as
# PKCS#8 PEM, mode 0600, that openssl reads; the TXT record printed in
# zone-file syntax (character-strings of at most 255 octets) and as JSON,
# checked against the key with openssl and by signing a message with
# python3-dkim and verifying it against the printed record (a tampered body
# must fail); an existing key is refused (73) unless -f, which replaces it
# through a temporary file; bad domains, selectors, sizes and types are
# refused (64, one line); a missing directory (73); a directory others may
# write (a warning); no configuration file needed.  No root, no Redis.
. "$(dirname "$0")/lib/harness.sh"
require_tools openssl
require_build mailacdctl
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 not installed"
CTL=$MAILACD_BUILD/mailacdctl
NOCONF=$T_TMP/no-such.conf	# never exists: dkim reads no configuration
KD=$T_TMP/keys
mkdir -m 700 "$KD"

# run ARGS...: run mailacdctl; OUT, ERR and RC hold what happened, and
# every stderr is kept in all.err for the sanitizer check at the end
run() {
	"$CTL" -c "$NOCONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	cat "$T_TMP/err" >>"$T_TMP/all.err"
}

# line N: line N of OUT
line() { printf '%s\n' "$OUT" | sed -n "$1p"; }
# nlines TEXT: how many lines TEXT has
nlines() { printf '%s\n' "$1" | grep -c .; }
# mode FILE: its permission bits, octal
mode() { stat -c %a "$1"; }
# nfiles: entries in the key directory, dot files too
nfiles() { ls -A "$KD" | wc -l; }
# pubkey_b64 KEY: base64 of the DER SubjectPublicKeyInfo, as openssl has it
pubkey_b64() { openssl pkey -in "$1" -pubout -outform DER | base64 -w0; }
# raw_pub_b64 KEY: base64 of an Ed25519 key's 32 raw public octets
raw_pub_b64() {
	openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w0
}

# strings LINE: the character-strings of a zone-file TXT line, one per
# line, each prefixed with its length; "BAD" when the line does not parse
strings() {
	printf '%s\n' "$1" | /usr/bin/python3 -c '
import re, sys
l = sys.stdin.readline().rstrip("\n")
m = re.fullmatch(r"(\S+)\. IN TXT \( ((?:\"[^\"\\]*\" )+)\)", l)
if not m:
    print("BAD")
    sys.exit()
for s in re.findall(r"\"([^\"]*)\"", m.group(2)):
    print(len(s), s)'
}

# joined LINE: the TXT value of a zone-file line, its strings concatenated
joined() { strings "$1" | sed 's/^[0-9]* //' | tr -d '\n'; }

# verify KEY SELECTOR DOMAIN RECORD ALGORITHM TAMPER: sign a message with
# python3-dkim and KEY, then verify it with RECORD as the only answer to
# SELECTOR._domainkey.DOMAIN (TAMPER 1: after changing the body); prints
# True or False
cat >"$T_TMP/dkimcheck.py" <<'EOF'
import base64, subprocess, sys
import dkim
key, sel, dom, record, algo, tamper = sys.argv[1:7]
msg = (b"From: Alice <alice@" + dom.encode() + b">\r\n"
       b"To: bob@example.net\r\nSubject: a signed message\r\n\r\n"
       b"Hello, Bob.\r\n")
if algo == "ed25519-sha256":
    # python3-dkim wants the base64 of the 32-octet seed, which ends the
    # PKCS#8 DER of an Ed25519 key
    der = subprocess.run(["openssl", "pkey", "-in", key, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    priv = base64.b64encode(der[-32:])
else:
    priv = open(key, "rb").read()
name = sel.encode() + b"._domainkey." + dom.encode() + b"."
asked = []
def dns(n, timeout=5):
    asked.append(n)
    return record.encode() if n == name else None
sig = dkim.sign(msg, sel.encode(), dom.encode(), priv,
                include_headers=[b"from", b"to", b"subject"],
                signature_algorithm=algo.encode())
signed = sig + msg
if tamper == "1":
    signed = signed.replace(b"Hello, Bob.", b"Hello, Eve.")
ok = dkim.verify(signed, dnsfunc=dns)
print(ok and asked == [name])
EOF
verify() {
	/usr/bin/python3 "$T_TMP/dkimcheck.py" "$@" 2>>"$T_TMP/py.err"
}
PYDKIM=1
/usr/bin/python3 -c 'import dkim' 2>/dev/null || PYDKIM=0
PYNACL=1
/usr/bin/python3 -c 'import nacl.signing' 2>/dev/null || PYNACL=0

# --- RSA, the default -----------------------------------------------------------
run dkim genkey -d "$KD" Example.COM mail
is "$RC" 0 "genkey exits 0 with no configuration file and no Redis"
is "$ERR" "" "and says nothing on stderr"
KEY=$KD/example.com.mail.key
ok "the key is DIR/DOMAIN.SELECTOR.key, the domain lower-cased" test -f "$KEY"
is "$(mode "$KEY")" 600 "mode 0600"
is "$(head -n 1 "$KEY")/$(tail -n 1 "$KEY")" \
    "-----BEGIN PRIVATE KEY-----/-----END PRIVATE KEY-----" \
    "unencrypted PKCS#8 PEM"
ok "openssl pkey reads it" openssl pkey -in "$KEY" -noout
like "$(openssl pkey -in "$KEY" -noout -text 2>&1 | head -n 1)" \
    "Private-Key: \(2048 bit" "an RSA key of 2048 bits"
is "$(nlines "$OUT")" 3 "three lines: the record, the key, the setting"
TXT=$(line 1)
like "$TXT" '^mail\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; " "p=[^"]+"( "[^"]+")* \)$' \
    "the record in zone-file syntax: the tags, then p="
isnt "$(strings "$TXT")" BAD "the record line parses"
is "$(strings "$TXT" | awk '$1 > 255' | wc -l)" 0 \
    "no character-string is longer than 255 octets"
cmp_ok "$(strings "$TXT" | wc -l)" -ge 3 \
    "a 2048-bit key needs p= split over two strings or more"
REC_MAIL=$(joined "$TXT")
is "$REC_MAIL" "v=DKIM1; k=rsa; p=$(pubkey_b64 "$KEY")" \
    "p= is the base64 of the key's SubjectPublicKeyInfo"
is "$(line 2)" "; key $KEY (RSA, 2048 bits)" "where the key is"
is "$(line 3)" "; mailacd.conf, domain example.com: dkim = { selector = \"mail\"; key_file = \"$KEY\"; };" \
    "the setting for mailacd.conf"

# the setting as printed, in a configuration the loader checks
if "$MAILACD_BUILD/t/cfg_keys" 2>/dev/null | grep -qx 'organizations.domains.dkim'; then
	cat >"$T_TMP/dkim.conf" <<EOF
redis = { port = $(free_port); connect_timeout_ms = 200; };
milter = { socket = "inet:1@127.0.0.1"; };
organizations = ( { id = "acme"; queues = ( { name = "support"; } );
  domains = ( { name = "example.com";
    ${OUT##*: }
    addresses = ( { address = "support@example.com"; queue = "support"; } );
  } ); } );
EOF
	"$CTL" -c "$T_TMP/dkim.conf" -n >"$T_TMP/n.out" 2>"$T_TMP/n.err"
	is "$?/$(cat "$T_TMP/n.out")" "0/configuration OK" \
	    "mailacd.conf with the printed setting loads, key and all"
	grep -v 'persistence not checked' "$T_TMP/n.err" | while read -r l; do diag "$l"; done
else
	skip "the configuration loader has no dkim setting (build t/cfg_keys)"
fi

if [ $PYDKIM = 1 ]; then
	is "$(verify "$KEY" mail example.com "$REC_MAIL" rsa-sha256 0)" True \
	    "python3-dkim: a message signed with the key verifies against the printed record"
	is "$(verify "$KEY" mail example.com "$REC_MAIL" rsa-sha256 1)" False \
	    "python3-dkim: the same message with its body changed does not"
else
	skip "python3-dkim not installed: signing with the RSA key"
	skip "python3-dkim not installed: a tampered body"
fi

# --- JSON -------------------------------------------------------------------
run --json dkim genkey -d "$KD" -b 1024 example.com s1024
is "$RC" 0 "--json genkey -b 1024 exits 0"
json_ok "the answer is JSON"
is "$(nlines "$OUT")" 1 "on one line"
is "$(jq '[d[k] for k in ("domain", "selector", "type", "bits", "key_file", "record_name")]')" \
    "['example.com', 's1024', 'rsa', 1024, '$KD/example.com.s1024.key', 's1024._domainkey.example.com']" \
    "domain, selector, type, bits, key_file, record_name"
is "$(jq 'sorted(d)')" \
    "['bits', 'domain', 'key_file', 'record', 'record_name', 'selector', 'type']" \
    "and record; nothing else"
REC_1024=$(jq 'd["record"]')
is "$REC_1024" "v=DKIM1; k=rsa; p=$(pubkey_b64 "$KD/example.com.s1024.key")" \
    "record: the TXT value, concatenated"
like "$(openssl pkey -in "$KD/example.com.s1024.key" -noout -text 2>&1 | head -n 1)" \
    "Private-Key: \(1024 bit" "-b 1024 makes a 1024-bit key"
if [ $PYDKIM = 1 ]; then
	is "$(verify "$KD/example.com.s1024.key" s1024 example.com "$REC_1024" rsa-sha256 0)" True \
	    "python3-dkim verifies a signature of the 1024-bit key with the JSON record"
	is "$(verify "$KD/example.com.s1024.key" s1024 example.com "$REC_MAIL" rsa-sha256 0)" False \
	    "and not against the record of another key"
else
	skip "python3-dkim not installed: the JSON record"
	skip "python3-dkim not installed: another key's record"
fi

# --- Ed25519 ------------------------------------------------------------------
run dkim genkey -t ed25519 -d "$KD" example.com ed
is "$RC" 0 "-t ed25519 exits 0"
EKEY=$KD/example.com.ed.key
is "$(mode "$EKEY")" 600 "Ed25519 key: mode 0600"
is "$(head -n 1 "$EKEY")" "-----BEGIN PRIVATE KEY-----" "Ed25519 key: PKCS#8 PEM"
ok "openssl pkey reads it" openssl pkey -in "$EKEY" -noout
like "$(openssl pkey -in "$EKEY" -noout -text 2>&1 | head -n 1)" \
    "^ED25519 Private-Key" "an Ed25519 key"
TXT=$(line 1)
is "$TXT" "ed._domainkey.example.com. IN TXT ( \"v=DKIM1; k=ed25519; \" \"p=$(raw_pub_b64 "$EKEY")\" )" \
    "the record: k=ed25519 and p= the base64 of the raw public key (RFC 8463)"
REC_ED=$(joined "$TXT")
is "$(line 2)" "; key $EKEY (Ed25519)" "where the Ed25519 key is"
run --json dkim genkey -t ed25519 -d "$KD" example.com ed2
is "$(jq '[d["type"], d["bits"], len(d["record"])]')" "['ed25519', 256, 66]" \
    "JSON: type ed25519, 256 bits, a 66-octet record (22 of tags, 44 of base64)"
if [ $PYDKIM = 1 ] && [ $PYNACL = 1 ]; then
	is "$(verify "$EKEY" ed example.com "$REC_ED" ed25519-sha256 0)" True \
	    "python3-dkim: an ed25519-sha256 signature verifies against the printed record"
	is "$(verify "$EKEY" ed example.com "$REC_ED" ed25519-sha256 1)" False \
	    "python3-dkim: with its body changed it does not"
else
	skip "python3-dkim or python3-nacl not installed: signing with Ed25519"
	skip "python3-dkim or python3-nacl not installed: a tampered body"
fi

# --- an existing key ------------------------------------------------------------
SUM=$(cksum <"$KEY")
N=$(nfiles)
run dkim genkey -d "$KD" example.com mail
is "$RC" 73 "a key that exists is refused: exit 73"
is "$(nlines "$ERR")/$OUT" "1/" "one line on stderr, nothing on stdout"
like "$ERR" "^mailacdctl: $KEY exists: .*-f" "naming the file and -f"
is "$(cksum <"$KEY")" "$SUM" "the key is unchanged"
run dkim genkey -d "$KD" -f example.com mail
is "$RC" 0 "-f replaces it: exit 0"
isnt "$(cksum <"$KEY")" "$SUM" "the file holds a new key"
is "$(mode "$KEY")/$(nfiles)" "600/$N" "mode 0600, and no temporary file left"
REC_NEW=$(joined "$(line 1)")
is "$REC_NEW" "v=DKIM1; k=rsa; p=$(pubkey_b64 "$KEY")" \
    "the printed record is the new key's"
isnt "$REC_NEW" "$REC_MAIL" "and not the old one's"

# --- refused arguments -------------------------------------------------------
N=$(nfiles)
# bad WHAT RE ARGS...: exit 64, one line on stderr matching RE, no file
bad() {
	_what=$1
	_re=$2
	shift 2
	run dkim genkey -d "$KD" "$@"
	is "$RC/$(nlines "$ERR")/$OUT/$(nfiles)" "64/1//$N" \
	    "$_what: exit 64, one line, no output, no file"
	like "$ERR" "$_re" "$_what: the line says why"
}
LONG=$(printf '%063d' 0)
bad "a domain with an underscore" 'domain "ex_ample\.com": may hold only letters' \
    ex_ample.com mail
bad "a domain label ending with a hyphen" 'ends with a hyphen' example-.com mail
bad "a domain with an empty label" 'empty label' example..com mail
bad "a domain label of 64 octets" 'longer than 63' "a$LONG.com" mail
bad "a domain of 254 octets" 'longer than 253' \
    "$(printf 'a%.0s' $(seq 63)).$(printf 'b%.0s' $(seq 63)).$(printf 'c%.0s' $(seq 63)).$(printf 'd%.0s' $(seq 62))" mail
bad "a selector with a space" 'selector "my sel": may hold only' example.com "my sel"
bad "a selector label beginning with a hyphen" 'begins with a hyphen' \
    example.com s.-x
bad "a selector ending with a dot" 'selector "s1\.": has an empty label' \
    example.com s1.
bad "-b 512" '^mailacdctl: -b 512: RSA keys shorter than 1024 bits are refused' \
    -b 512 example.com small
bad "-b 8192" 'at most 4096' -b 8192 example.com big
bad "-b 2k" 'want a number of bits from 1024 to 4096' -b 2k example.com k
bad "-t dsa" '^mailacdctl: -t dsa: want rsa or ed25519' -t dsa example.com d
bad "-b with -t ed25519" '-b is for RSA' -t ed25519 -b 2048 example.com e

# --- where keys go ---------------------------------------------------------------
run dkim genkey -d "$T_TMP/nonexistent" example.com mail
is "$RC" 73 "a missing directory: exit 73"
like "$ERR" "^mailacdctl: key directory $T_TMP/nonexistent: No such file or directory" \
    "naming it"
if [ -e /etc/mailacd/dkim ]; then
	skip "/etc/mailacd/dkim exists here: the default directory"
else
	run dkim genkey example.com mail
	is "$RC/$ERR" "73/mailacdctl: key directory /etc/mailacd/dkim: No such file or directory (make it, or name another with -d)" \
	    "the default directory is /etc/mailacd/dkim"
fi
mkdir -m 775 "$T_TMP/shared"
chmod 775 "$T_TMP/shared"
run dkim genkey -d "$T_TMP/shared" example.com mail
is "$RC" 0 "a directory its group may write is used"
like "$ERR" "^mailacdctl: warning: key directory $T_TMP/shared can be written by its group" \
    "with a warning on stderr"
(cd "$T_TMP" && "$CTL" -c "$NOCONF" --json dkim genkey -d keys example.org. rel \
    >"$T_TMP/out" 2>>"$T_TMP/all.err")
OUT=$(cat "$T_TMP/out")
is "$(jq 'd["key_file"] + " " + d["domain"]')" "$KD/example.org.rel.key example.org" \
    "a relative -d gives an absolute key_file; the final dot of a domain is dropped"
run dkim genkey example.com Late -d "$KD" --json -t ed25519
is "$RC/$(jq 'd["selector"] + " " + d["type"]')" "0/late ed25519" \
    "options after the names, --json among them; the selector lower-cased"
run -o acme dkim genkey -d "$KD" example.com o
is "$RC" 64 "-o is refused: dkim reads no configuration"
run dkim
is "$RC" 64 "dkim without a subcommand: exit 64"
run dkim genkey example.com
is "$RC" 64 "genkey with one name: exit 64"
like "$ERR" "usage: dkim genkey" "and the usage"

# the other commands still take options after the command name
"$CTL" -c "$NOCONF" queues --json >/dev/null 2>"$T_TMP/err"
like "$(cat "$T_TMP/err")" "$NOCONF" \
    "other commands still read the configuration (and options after the name)"

is "$(cat "$T_TMP/py.err" 2>/dev/null)" "" "python3-dkim raised nothing"
logs_clean "no sanitizer report from mailacdctl" "$T_TMP/all.err"
done_testing
