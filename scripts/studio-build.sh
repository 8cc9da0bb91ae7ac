#!/usr/bin/env bash
# Builds the browser studio (web/studio) into hosts/UnimoG.Studio/wwwroot, whose files are committed so that a fresh
# clone serves the page with no npm step (docs/studio.md). Offline apart from the npm registry:
#   1. npm ci            the exact packages of web/studio/package-lock.json (no install scripts)
#   2. buf generate      the client from contract/unimog/v1/*.proto with protoc-gen-es (a local plugin)
#   3. tsc --noEmit      type-check the page
#   4. node build.mjs    esbuild bundles it: index.html, studio-HASH.js, studio-style-HASH.css, byte-for-byte reproducible
#
#   scripts/studio-build.sh            rebuild the committed assets
#   scripts/studio-build.sh --check    rebuild into a temporary folder and compare with the committed assets byte for
#                                      byte; exit 1 naming each file that differs, is missing or is extra
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web/studio"
assets="$root/hosts/UnimoG.Studio/wwwroot"

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: scripts/studio-build.sh [--check]" >&2; exit 2 ;;
esac

command -v npm >/dev/null || { echo "studio-build: npm is not installed (apt-get install npm)" >&2; exit 3; }

cd "$web"
echo "studio-build: npm ci (web/studio/package-lock.json)" >&2
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2
echo "studio-build: generating the client from contract/ (buf + protoc-gen-es)" >&2
npm run -s generate >&2
echo "studio-build: type-checking (tsc)" >&2
npm run -s typecheck >&2

if ! $check; then
  node build.mjs "$assets" >&2
  echo "studio-build: wrote $(ls "$assets" | tr '\n' ' ')into hosts/UnimoG.Studio/wwwroot" >&2
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node build.mjs "$tmp/wwwroot" >/dev/null
status=0
while IFS= read -r f; do
  if [[ ! -f $assets/$f ]]; then
    echo "studio-build --check: hosts/UnimoG.Studio/wwwroot/$f is missing (the sources build it)" >&2; status=1
  elif ! cmp -s "$tmp/wwwroot/$f" "$assets/$f"; then
    echo "studio-build --check: hosts/UnimoG.Studio/wwwroot/$f differs from what web/studio builds" >&2; status=1
  fi
done < <(cd "$tmp/wwwroot" && find . -type f | sed 's|^\./||' | sort)
if [[ -d $assets ]]; then
  while IFS= read -r f; do
    [[ -f $tmp/wwwroot/$f ]] || { echo "studio-build --check: hosts/UnimoG.Studio/wwwroot/$f is not built by web/studio (stale or hand-made)" >&2; status=1; }
  done < <(cd "$assets" && find . -type f | sed 's|^\./||' | sort)
fi
if ((status)); then
  echo "studio-build --check: the committed studio assets do not match web/studio: run scripts/studio-build.sh and commit hosts/UnimoG.Studio/wwwroot" >&2
else
  echo "studio-build --check: hosts/UnimoG.Studio/wwwroot matches web/studio" >&2
fi
exit $status
