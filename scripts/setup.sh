#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, idempotently, everything the build and the VM tests need on a
# Debian 12 host: build packages, rust-src, a pinned bindgen-cli, libclang,
# a Debian trixie root holding QEMU (with vfio-user-pci) from
# trixie-backports, and the Linux 7.3.x source package. Each step is skipped
# when what it makes is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

HOST_PACKAGES=(flex bison bc libelf-dev libssl-dev cpio kmod xz-utils gzip
	clang-$LLVM_VERSION libclang-$LLVM_VERSION-dev busybox-static debootstrap)

host_packages() {
	local missing=() p
	for p in "${HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing host packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

rust_parts() {
	rustup component list --installed 2>/dev/null | grep -q '^rust-src' ||
		rustup component add rust-src
	if ! bindgen --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
		log "installing bindgen-cli $BINDGEN_VERSION"
		cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION" \
			--root "$LBDX_CACHE/bindgen"
	fi
}

qemu_root() {
	if [ -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ] &&
		qemu_system -device help 2>/dev/null | grep -q vfio-user-pci; then
		return 0
	fi
	log "building a trixie root with QEMU from trixie-backports in $QEMU_ROOT"
	rm -rf "$QEMU_ROOT"
	debootstrap --variant=minbase trixie "$QEMU_ROOT" http://deb.debian.org/debian >/dev/null
	echo 'deb http://deb.debian.org/debian trixie-backports main' \
		>"$QEMU_ROOT/etc/apt/sources.list.d/backports.list"
	chroot "$QEMU_ROOT" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive chroot "$QEMU_ROOT" apt-get install -y -qq \
		--no-install-recommends -t trixie-backports qemu-system-x86 >/dev/null
	chroot "$QEMU_ROOT" apt-get clean
	qemu_system -device help | grep -q vfio-user-pci ||
		die "QEMU in $QEMU_ROOT has no vfio-user-pci device"
}

kernel_source() {
	if ls -d "$KSRC_DIR"/linux-source-7.3*/Makefile >/dev/null 2>&1; then
		return 0
	fi
	log "fetching linux-source-7.3 from trixie-backports"
	mkdir -p "$KSRC_DIR"
	local tmp=$QEMU_ROOT/tmp/ksrc
	rm -rf "$tmp" && mkdir -p "$tmp"
	chroot "$QEMU_ROOT" sh -c 'cd /tmp/ksrc && apt-get download -qq -o APT::Sandbox::User=root -t trixie-backports linux-source-7.3'
	local deb
	deb=$(ls "$tmp"/linux-source-7.3_*.deb)
	dpkg-deb -x "$deb" "$tmp/x"
	local ver
	ver=$(dpkg-deb -f "$deb" Version)
	tar -C "$tmp" -xf "$tmp"/x/usr/src/linux-source-7.3.tar.xz
	mv "$tmp/linux-source-7.3" "$KSRC_DIR/linux-source-7.3_$ver"
	rm -rf "$tmp"
	log "kernel source: $KSRC_DIR/linux-source-7.3_$ver"
}

mkdir -p "$LBDX_CACHE"
exec 9>"$LBDX_CACHE/setup.lock"
flock 9
phase host-packages host_packages
phase rust-toolchain rust_parts
phase qemu-root qemu_root
phase kernel-source kernel_source
