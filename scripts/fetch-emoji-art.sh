#!/usr/bin/env bash
# Installs the Noto emoji art (emoji-datasource-google: Apache-2.0 art, MIT metadata) into a git-ignored
# folder, idempotently (a second run with the package present does nothing). Prints the art folder on stdout.
#   scripts/fetch-emoji-art.sh [DEST]      DEST defaults to artifacts/emoji under the repository.
# The EmojiWorld composer reads DEST/node_modules/emoji-datasource-google/{emoji.json,img/google/64/}.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$root/artifacts/emoji}"
packages=(emoji-datasource-google@16.0.0)
art="$dest/node_modules/emoji-datasource-google"

installed() {
  local spec name version
  for spec in "${packages[@]}"; do
    name="${spec%@*}"; version="${spec##*@}"
    [[ -f $dest/node_modules/$name/package.json ]] || return 1
    grep -q "\"version\": *\"$version\"" "$dest/node_modules/$name/package.json" || return 1
  done
  [[ -f $art/emoji.json && -d $art/img/google/64 ]]
}

if ! installed; then
  command -v npm >/dev/null || { echo "fetch-emoji-art: npm is not installed (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dest"
  # A package.json of our own keeps npm from walking up to some other project's.
  [[ -f $dest/package.json ]] || echo '{ "name": "unimog-emoji-art", "private": true }' >"$dest/package.json"
  echo "fetch-emoji-art: installing ${packages[*]} into $dest" >&2
  (cd "$dest" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "${packages[@]}" >&2)
  installed || { echo "fetch-emoji-art: install finished but $art is incomplete" >&2; exit 1; }
fi
echo "$art"
