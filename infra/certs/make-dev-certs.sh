#!/usr/bin/env bash
# Development certificates for mutual TLS between the UNIMO-G services (never for production).
#
#   infra/certs/make-dev-certs.sh [OUT_DIR] [EXTRA_DNS_NAME...]
#
# Writes to OUT_DIR (default: infra/certs/dev, ignored by git):
#   ca.crt, ca.key                 a private CA (EC P-256, 2 years)
#   <service>.crt, <service>.key   one per service (encoder denoiser vae gateway dataprep trainer),
#                                  usable as server AND client certificate (each service calls others),
#                                  SANs: <service>, unimog-<service>, unimog-<service>-headless, localhost,
#                                  127.0.0.1, ::1 and every EXTRA_DNS_NAME
#   client.crt, client.key         a client-only certificate for the CLI and tests
# Point a service at them with Tls__Enabled=true Tls__CertificatePath=... Tls__KeyPath=... Tls__CaPath=.../ca.crt
# (and Tls__RequireClientCertificate=true for mutual TLS). Needs openssl (Debian package `openssl`).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/dev}"
shift || true
extra=("$@")
days_ca=730
days_leaf=365
services=(encoder denoiser vae gateway dataprep trainer)

command -v openssl >/dev/null || { echo "make-dev-certs: openssl is not installed (Debian: apt-get install openssl)" >&2; exit 2; }
mkdir -p "$out"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# CA
key "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days_ca" -subj "/O=UNIMO-G dev/CN=UNIMO-G dev CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$out/ca.crt"

# leaf NAME EKU SAN
leaf() {
  local name=$1 eku=$2 san=$3
  key "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "/O=UNIMO-G dev/CN=$name" -out "$tmp/$name.csr"
  cat > "$tmp/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$eku
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$san
EXT
  openssl x509 -req -in "$tmp/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -sha256 -days "$days_leaf" -extfile "$tmp/$name.ext" -out "$out/$name.crt" 2>/dev/null
  openssl verify -CAfile "$out/ca.crt" "$out/$name.crt" >/dev/null
}

for s in "${services[@]}"; do
  san="DNS:$s,DNS:unimog-$s,DNS:unimog-$s-headless,DNS:localhost,IP:127.0.0.1,IP:::1"
  for n in "${extra[@]+"${extra[@]}"}"; do san="$san,DNS:$n"; done
  leaf "$s" "serverAuth,clientAuth" "$san"
done
leaf client "clientAuth" "DNS:unimog-client"

chmod 600 "$out"/*.key
chmod 644 "$out"/*.crt
echo "Wrote the dev CA and certificates for ${services[*]} and client to $out"
