#!/usr/bin/env bash
# package-lambda.sh: the Lambda package (provided.al2023, x86_64) as a reproducible zip that carries
# everything the engine needs, so a binary built on Debian runs on Amazon Linux: a static `bootstrap`,
# the stripped drsorch, the dynamic loader and every shared library drsorch links (ldd's closure), the
# CA bundle, and the built console (web/dist) when there is one. Same inputs, same bytes: sorted entries,
# fixed timestamps (SOURCE_DATE_EPOCH, default 1980-01-01), fixed permissions, no extra attributes.
#
#   scripts/package-lambda.sh [--output FILE] [--build-dir DIR] [--binary PATH] [--no-build]
#
#   --output FILE    the zip (default build/lambda/drsorch-lambda.zip)
#   --build-dir DIR  the release build to build and take drsorch from (default build/release)
#   --binary PATH    package this drsorch instead of building one (it must not be sanitized)
# Prints the zip's path, size and SHA-256. docs/deploy.md shows where the zip goes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
output=build/lambda/drsorch-lambda.zip
build_dir=build/release
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package-lambda: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(uname -m)" = x86_64 ] || { echo "package-lambda: the package is x86_64; this machine is $(uname -m)" >&2; exit 1; }
for tool in cc strip ldd python3; do
  command -v "$tool" >/dev/null || { echo "package-lambda: '$tool' is needed" >&2; exit 1; }
done

if [ -z "$binary" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DORCH_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" --target drsorch >/dev/null
  binary=$build_dir/drsorch
fi
[ -x "$binary" ] || { echo "package-lambda: no drsorch binary at $binary" >&2; exit 1; }
if ldd "$binary" | grep -Eq 'lib(a|ub|t|l)san'; then
  echo "package-lambda: $binary is built with sanitizers; package a release build" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/etc/ssl/certs"

cc -static -O2 -Wall -Wextra -Werror -o "$stage/bootstrap" scripts/lambda/bootstrap.c
strip --strip-all "$stage/bootstrap"
cp "$binary" "$stage/bin/drsorch"
strip --strip-unneeded "$stage/bin/drsorch"

# Every library ldd resolves ("libx.so.1 => /path (addr)") and the loader ("/lib64/ld-linux-x86-64.so.2
# (addr)"), copied under the name the binary asks for, symlinks followed.
missing=$(ldd "$binary" | awk '/=> not found/ {print $1}')
[ -z "$missing" ] || { echo "package-lambda: unresolved libraries: $missing" >&2; exit 1; }
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
  cp -L "$path" "$stage/lib/$name"
done
loader=$(ldd "$binary" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')
[ -n "$loader" ] || { echo "package-lambda: no dynamic loader in ldd's output" >&2; exit 1; }
cp -L "$loader" "$stage/lib/ld-linux-x86-64.so.2"
strip --strip-unneeded "$stage"/lib/*.so* 2>/dev/null || true

ca=/etc/ssl/certs/ca-certificates.crt
[ -r "$ca" ] || { echo "package-lambda: no CA bundle at $ca (apt-get install ca-certificates)" >&2; exit 1; }
cp -L "$ca" "$stage/etc/ssl/certs/ca-certificates.crt"
if [ -d web/dist ]; then
  mkdir -p "$stage/web"
  cp -RL web/dist/. "$stage/web/"
fi

mkdir -p "$(dirname "$output")"
python3 - "$stage" "$output" <<'PY'
import os, stat, sys, time, zipfile
stage, output = sys.argv[1], sys.argv[2]
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
stamp = time.gmtime(max(epoch, 315532800))[:6]
executable = {"bootstrap", "bin/drsorch", "lib/ld-linux-x86-64.so.2"}
entries = []
for base, dirs, files in os.walk(stage):
    for f in files:
        entries.append(os.path.relpath(os.path.join(base, f), stage))
tmp = output + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in sorted(entries):
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.create_system = 3  # unix, so the mode below is honoured
        mode = 0o755 if name in executable or name.endswith(".so") or ".so." in name else 0o644
        info.external_attr = (stat.S_IFREG | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(stage, name), "rb") as fh:
            z.writestr(info, fh.read(), compresslevel=9)
os.replace(tmp, output)
PY
size=$(stat -c %s "$output")
sum=$(sha256sum "$output" | cut -d' ' -f1)
echo "package-lambda: $output ($size bytes, sha256 $sum, $(unzip -Z1 "$output" | wc -l) files)"
