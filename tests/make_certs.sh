#!/bin/sh
# Throw-away certificates for the TLS tests, made at test time with the
# openssl command: a CA, the manager's certificate signed by it (names
# localhost and 127.0.0.1, as DNS names too: mbedTLS matches the server
# name against DNS names only), a client certificate signed by it, a
# certificate with only IP:127.0.0.1 (the name trap), and a second CA
# nobody trusts with a manager certificate of its own.
# usage: make_certs.sh DIR
set -eu
dir=$1
if [ -f "$dir/done" ]; then
    exit 0
fi
# Made aside and renamed into place: tests running at once may both make
# them, and none sees a half-made set.
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"
days=30
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # name subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "$2" -days $days -out "$1.crt"
}
leaf() { # name subject ca san [clientAuth]
    key "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$4" "${5:-serverAuth}" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" \
        -CAcreateserial -days $days -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
ca ca "/CN=mgr test CA"
ca other-ca "/CN=another CA"
leaf server "/CN=localhost" ca "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1"
leaf client "/CN=test client" ca "DNS:client" clientAuth
leaf ip-only "/CN=ip only" ca "IP:127.0.0.1"
leaf untrusted "/CN=localhost" other-ca "DNS:localhost,DNS:127.0.0.1"
chmod 600 ./*.key
touch done
cd ..
mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
[ -f "$dir/done" ]
