#!/bin/sh
# Fails when the shared library exports a symbol outside the beyla_ namespace.
set -eu
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v -E '^(beyla_|LIBBEYLA_)' || true)
count=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^beyla_' || true)
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
echo "exported beyla_ symbols: $count; SONAME: $soname"
[ "$soname" = "libbeyla.so.0" ] || { echo "unexpected SONAME $soname"; exit 1; }
[ "$count" -gt 0 ] || { echo "no beyla_ symbols exported"; exit 1; }
if [ -n "$bad" ]; then echo "unexpected exports:"; echo "$bad"; exit 1; fi
