#!/usr/bin/env bash
# Installs the build into a temporary prefix as a user would, moves that prefix elsewhere
# (the pkg-config file and the CMake package must not name where they were installed),
# then builds and runs a C program against it with pkg-config and with find_package(beyla),
# and imports pybeyla from the prefix's site-packages.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR C_COMPILER PYTHON_BUILT(ON|OFF)
set -euo pipefail
build=$1 src=$2 cc=$3 python_built=$4
tmp=$(mktemp -d /tmp/beyla-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/first" >"$tmp/install.log"
mv "$tmp/first" "$tmp/prefix"
prefix=$tmp/prefix
if grep -rqs "$tmp/first" "$prefix"; then
	echo "FAIL: installed files name the install prefix:" >&2
	grep -rl "$tmp/first" "$prefix" >&2
	exit 1
fi
if grep -rqs "$build" "$prefix" --include='*.pc' --include='*.cmake'; then
	echo "FAIL: installed package files name the build tree" >&2
	exit 1
fi

pc=$(find "$prefix" -name libbeyla.pc -print -quit)
[ -n "$pc" ] || { echo "FAIL: no libbeyla.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir libbeyla)
[ -e "$libdir/libbeyla.so.0" ] || { echo "FAIL: pkg-config libdir $libdir has no libbeyla.so.0" >&2; exit 1; }
[ -e "$(pkg-config --variable=includedir libbeyla)/beyla/beyla.h" ] || { echo "FAIL: no header" >&2; exit 1; }

echo "== pkg-config"
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Werror -o "$tmp/consumer_pc" "$src/tests/install/consumer/consumer.c" \
	$(pkg-config --cflags --libs libbeyla) -Wl,-rpath,"$libdir"
"$tmp/consumer_pc"
ldd "$tmp/consumer_pc" | grep -q "$libdir/libbeyla.so.0" || { echo "FAIL: not linked to the prefix's library" >&2; exit 1; }

echo "== find_package(beyla)"
cmake -S "$src/tests/install/consumer" -B "$tmp/consumer_build" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" >"$tmp/consumer_cmake.log" || { cat "$tmp/consumer_cmake.log" >&2; exit 1; }
cmake --build "$tmp/consumer_build" >"$tmp/consumer_build.log" || { cat "$tmp/consumer_build.log" >&2; exit 1; }
"$tmp/consumer_build/consumer"

echo "== pybeyla"
mod=$(find "$prefix" -name 'pybeyla*.so' -print -quit)
if [ -z "$mod" ]; then
	[ "$python_built" = ON ] && { echo "FAIL: pybeyla was built but not installed" >&2; exit 1; }
	echo "OK (pybeyla not built)"
	exit 0
fi
pydir=$(dirname "$mod")
[ -e "$pydir/pybeyla.pyi" ] || { echo "FAIL: no pybeyla.pyi next to $mod" >&2; exit 1; }
runpath=$(readelf -d "$mod" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p;s/.*(RPATH).*\[\(.*\)\]/\1/p')
case "$runpath" in
*"$build"*) echo "FAIL: the installed module's RUNPATH names the build tree: $runpath" >&2; exit 1 ;;
esac
# No LD_LIBRARY_PATH: the module finds the library through its $ORIGIN-relative RUNPATH.
env -u LD_LIBRARY_PATH PYTHONPATH="$pydir" /usr/bin/python3 -c '
import os, sys, pybeyla
prefix = sys.argv[1]
assert os.path.realpath(pybeyla.__file__).startswith(os.path.realpath(prefix)), pybeyla.__file__
libs = [l.split()[-1] for l in open("/proc/self/maps") if "libbeyla.so" in l]
assert libs and all(os.path.realpath(l).startswith(os.path.realpath(prefix)) for l in libs), libs
c = pybeyla.capabilities(files_only=True)
print("pybeyla", pybeyla.__version__, "from", os.path.dirname(pybeyla.__file__), "- can_trace:", c.can_trace)
' "$prefix"
echo "OK"
