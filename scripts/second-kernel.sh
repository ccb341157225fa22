#!/usr/bin/env bash
# Runs libbeyla on a second real kernel: Debian bookworm's cloud kernel (6.1, from
# linux-image-cloud-amd64) booted under qemu-system-x86_64 with TCG, from an initramfs that holds
# busybox, the kernel test suite, the beyla CLI with the libraries they load, curl and a small
# HTTP server. Inside: `beyla caps --json`, the kernel tests and one end-to-end capture
# (tests/second_kernel/init); the host checks the serial console (check_console.py) and exits
# non-zero when any part failed, the VM did not finish in time, or it could not be set up.
# The kernel packages are downloaded once into the cache directory.
# Usage: scripts/second-kernel.sh [build-dir]        (root or not; no KVM needed)
# Env: BEYLA_SECOND_KERNEL_TIMEOUT  seconds for the whole VM run (default 780)
#      BEYLA_SECOND_KERNEL_SMP      virtual CPUs (default 2)
#      BEYLA_SECOND_KERNEL_DIR      cache and work directory (default <build-dir>/second-kernel)
#      BEYLA_SECOND_KERNEL_FILTER   Catch2 test spec for the kernel tests, or "skip"
#      BEYLA_SECOND_KERNEL_REQUESTS requests of the end-to-end capture (default 20)
#      BEYLA_SECOND_KERNEL_BUILD=0  use the binaries in build-dir as they are, do not build
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(realpath -m "${1:-build}")
work=$(realpath -m "${BEYLA_SECOND_KERNEL_DIR:-$build/second-kernel}")
timeout_s=${BEYLA_SECOND_KERNEL_TIMEOUT:-780}
smp=${BEYLA_SECOND_KERNEL_SMP:-2}
requests=${BEYLA_SECOND_KERNEL_REQUESTS:-20}
filter=${BEYLA_SECOND_KERNEL_FILTER:-}
t0=$(date +%s)
say() { echo "second-kernel: $*"; }
fail() { say "FAIL: $*" >&2; exit 1; }

# Packages (scripts/setup.sh lists them too). busybox-static: the VM's shell, mounts, wget.
packages=(qemu-system-x86 busybox-static binutils gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# What goes into the VM, built if needed.
if [ "${BEYLA_SECOND_KERNEL_BUILD:-1}" = 0 ]; then
    : # the caller has just built them (scripts/test.sh)
elif [ ! -f "$build/CMakeCache.txt" ]; then
    scripts/setup.sh "$build"
else
    cmake --build "$build" -j"$(nproc)" --target beyla_kernel_tests beyla_cli >/dev/null
fi
ktests=$build/tests/beyla_kernel_tests
cli=$build/examples/beyla
for f in "$ktests" "$cli"; do [ -x "$f" ] || fail "$f was not built"; done

# The kernel: the versioned package linux-image-cloud-amd64 depends on, unpacked once.
mkdir -p "$work/debs"
kdir=$work/kernel
if ! compgen -G "$kdir/boot/vmlinuz-*" >/dev/null; then
    download() { # whether it worked is seen by the file; the warning: root downloads, not _apt
        (cd "$work/debs" && apt-get download "$1" 2>&1) | grep -v '^W: Download is performed unsandboxed' || true
    }
    rm -f "$work"/debs/linux-image-cloud-amd64_*.deb
    download linux-image-cloud-amd64
    if ! compgen -G "$work/debs/linux-image-cloud-amd64_*.deb" >/dev/null; then
        apt-get update -q >/dev/null
        download linux-image-cloud-amd64
    fi
    meta=$(compgen -G "$work/debs/linux-image-cloud-amd64_*.deb" | head -1) ||
        fail "apt-get download linux-image-cloud-amd64 failed"
    pkg=$(dpkg-deb -f "$meta" Depends | grep -o 'linux-image-[0-9][^ ,]*-cloud-amd64' | head -1) ||
        fail "no versioned kernel package in the Depends of $meta"
    compgen -G "$work/debs/${pkg}_*.deb" >/dev/null || download "$pkg"
    deb=$(compgen -G "$work/debs/${pkg}_*.deb" | head -1) || fail "apt-get download $pkg failed"
    rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
    dpkg-deb -x "$deb" "$kdir.tmp"
    # Only /boot is used (the initramfs needs no modules): drop the rest, it is large.
    rm -rf "$kdir.tmp/lib" "$kdir.tmp/usr"
    rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
fi
vmlinuz=$(compgen -G "$kdir/boot/vmlinuz-*" | head -1)
release=${vmlinuz##*/vmlinuz-}
say "kernel $release ($vmlinuz)"

# The root file system.
root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,boot,opt/beyla}
mkdir -p "$root"/{proc,sys,dev,tmp,run,root}
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
busybox=$(command -v busybox)
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || busybox=/bin/busybox
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
# Binaries and, through ldd, every library they load (the loader included), debug info stripped.
libs=()
add_binary() { # add_binary FILE DEST_DIR
    local dest
    dest=$root$2/$(basename "$1")
    cp -L "$1" "$dest"
    strip --strip-debug "$dest" 2>/dev/null || true
    while read -r lib; do libs+=("$lib"); done < <(ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}
add_binary "$ktests" /opt/beyla
add_binary "$cli" /opt/beyla
add_binary /usr/bin/curl /usr/bin # process_test execs it (exec-time glob matching)
gcc -O2 -static -o "$work/tiny_httpd" "$src/tests/second_kernel/tiny_httpd.c"
cp "$work/tiny_httpd" "$root/opt/beyla/"
for lib in $(printf '%s\n' "${libs[@]}" | sort -u); do
    case "$lib" in
    */ld-linux-x86-64.so.2) dir=/usr/lib64 ;;
    *) dir=/usr/lib/x86_64-linux-gnu ;;
    esac
    [ -e "$root$dir/$(basename "$lib")" ] && continue
    cp -L "$lib" "$root$dir/"
    strip --strip-debug "$root$dir/$(basename "$lib")" 2>/dev/null || true
done
cp "$src/tests/second_kernel/init" "$root/init"
chmod 755 "$root/init"
cp "$kdir/boot/config-$release" "$root/boot/" # what `beyla caps` reads as config.*
cp -L /etc/os-release "$root/etc/os-release"   # the user space is this machine's bookworm
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
(cd "$root" && find . | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$work/initrd.gz"
say "initramfs $(du -h "$work/initrd.gz" | cut -f1), set up in $(($(date +%s) - t0)) s"

# Boot. The VM powers off when done; panic=-1 and -no-reboot end it on a kernel panic too,
# timeout on anything else.
log=$work/console.log
t1=$(date +%s)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -smp "$smp" -m 1024 \
    -nodefaults -no-reboot -display none -serial "file:$log" \
    -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 loglevel=1 panic=-1 rdinit=/init sk.requests=$requests ${filter:+sk.filter=$filter}" \
    </dev/null
qrc=$?
set -e
t2=$(date +%s)
[ $qrc -eq 124 ] && say "the VM did not power off within ${timeout_s} s (BEYLA_SECOND_KERNEL_TIMEOUT)"
[ $qrc -eq 0 ] || [ $qrc -eq 124 ] || say "qemu exited with status $qrc"
rc=0
/usr/bin/python3 "$src/tests/second_kernel/check_console.py" "$log" --requests "$requests" || rc=1
say "VM ran $((t2 - t1)) s; whole run $((t2 - t0)) s; console: $log"
[ $qrc -eq 0 ] || rc=1
if [ $rc -eq 0 ]; then say "PASS"; else say "FAIL"; fi
exit $rc
