#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: the guest part of make check (KUnit, every selftest
# of the main device set, the fault device set) on the debug kernel
# (scripts/kconfig/debug.config: KASAN, lockdep, debug objects, kmemleak,
# DMA-API debugging, Rust debug assertions). Any KASAN, lockdep, DMA-API
# or other WARNING/BUG report fails the boot's "finished cleanly" result
# (scripts/vm.sh); 99-kmemleak.sh fails on any object lbdx leaked, with
# the module loaded, after unloading it and after 20 load/unload cycles.
# Ends "N passed, N failed, N skipped" like make check. Not part of CI: it
# takes longer than CI's limit allows next to make check.
set -uo pipefail
export KCONFIG_VARIANT=debug LBDX_CHECK_PARTS=guest
exec "$(dirname "$0")/check.sh"
