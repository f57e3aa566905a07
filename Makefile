# SPDX-License-Identifier: GPL-2.0
#
# Top-level entry points. Kbuild reads ./Kbuild for the module itself; this
# file is what a person (and CI) runs:
#
#   make run     set up, build, boot a VM with one HLB and two DXE models,
#                load the module, show what it found, power off
#   make check   every test: host (cargo), KUnit and selftests in the VM
#   make check-debug  KUnit and selftests on the debug kernel (KASAN,
#                lockdep, kmemleak scans, DMA-API debugging)
#   make shell   like run, but leaves an interactive shell in the VM
#   make bench   the offload layer's benchmarks and the HLB scheduling core
#                against DPDK event_sw (host): tables and plot in build/bench/
#   make modules build lbdx.ko against the cached guest kernel
#   make kernel  build (or find in the cache) the guest kernel
#   make clean   remove build products from the work tree
#
# KCONFIG_VARIANT=debug selects the debug kernel (scripts/kconfig/debug.config).

SCRIPTS := $(CURDIR)/scripts

.PHONY: all setup kernel modules tools run check check-debug shell bench clean

all: modules

setup:
	@$(SCRIPTS)/setup.sh

kernel: setup
	@$(SCRIPTS)/build-kernel.sh >/dev/null

modules: kernel
	@$(SCRIPTS)/build-module.sh

tools:
	@cd tools && cargo build --release --quiet

run:
	@$(SCRIPTS)/vm.sh run

shell:
	@$(SCRIPTS)/vm.sh shell

check:
	@$(SCRIPTS)/check.sh

check-debug:
	@$(SCRIPTS)/check-debug.sh

bench:
	@$(SCRIPTS)/bench.sh

clean:
	@kdir=$$($(SCRIPTS)/build-kernel.sh 2>/dev/null) && \
		$(MAKE) -s -C $$kdir M=$(CURDIR) clean || true
	@cd tools && cargo clean --quiet || true
