#!/usr/bin/env bash
# Builds a stand-alone source tarball of the R package ctxstats. A tarball cannot reach the
# repository's ../csrc, so the core's sources are copied into src/core of a staging copy of
# r-bindings/ (src/Makevars compiles src/core when it exists), and R CMD build runs there.
# The repository tree is not touched.
# Usage: build_tarball.sh [output directory, default dist]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

cp -R "$root/r-bindings" "$stage/ctxstats"
rm -f "$stage"/ctxstats/src/*.o "$stage"/ctxstats/src/*.so "$stage"/ctxstats/src/*.dll
mkdir "$stage/ctxstats/src/core"
cp "$root"/csrc/*.hpp "$stage/ctxstats/src/core/"  # the public header; the sources live in the folders
# The core's folders by concern (options/, ...), without the Python binding.
for dir in "$root"/csrc/*/; do
  name=$(basename "$dir")
  [ "$name" = python ] && continue
  mkdir "$stage/ctxstats/src/core/$name"
  find "$dir" -maxdepth 1 \( -name '*.cpp' -o -name '*.hpp' \) -exec cp {} "$stage/ctxstats/src/core/$name/" \;
done
(cd "$stage" && R CMD build --no-build-vignettes --no-manual ctxstats)
cp "$stage"/ctxstats_*.tar.gz "$out/"
echo "wrote $(ls "$out"/ctxstats_*.tar.gz)"
