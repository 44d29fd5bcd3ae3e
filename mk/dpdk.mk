# Linking DPDK statically from Debian's libdpdk-dev (22.11).
#
# Debian's `pkg-config --static --libs libdpdk` does not link statically
# (no libisal.a; libpcap.a pulls in libsystemd; librte_bpf and libpcap both
# define bpf_validate), so the archives are chosen here: the drivers named
# in PMDS with the buses and common code they need, inside --whole-archive
# (drivers register themselves from constructors nothing references), then
# the libraries in one group.

# Drivers to link. Virtual devices for labs and tests, then common NICs.
PMDS ?= net_tap net_af_packet net_memif net_ring net_null \
	net_ixgbe net_i40e net_iavf net_ice net_virtio

VDEV_PMDS := net_tap net_af_packet net_memif net_ring net_null net_pcap
DPDK_BUSES := $(if $(filter $(VDEV_PMDS),$(PMDS)),bus_vdev) \
	      $(if $(filter-out $(VDEV_PMDS),$(PMDS)),bus_pci)
DPDK_COMMON := $(if $(filter net_iavf net_ice,$(PMDS)),common_iavf)
DPDK_WHOLE := $(DPDK_BUSES) mempool_ring $(DPDK_COMMON) $(PMDS)
DPDK_GROUP := ethdev gso hash net mbuf mempool rcu ring pci cryptodev security meter eal \
	      telemetry kvargs
SYS_LIBS := -lxxhash -lnuma -lbsd -lmd -latomic -lm -lpthread -ldl -lrt

# Evaluated when used, so that a fresh machine can run `make deps` first.
DPDK_LIBDIR = $(shell pkg-config --variable=libdir libdpdk 2>/dev/null)
# -I becomes -isystem: our warnings are errors, DPDK's headers are not ours to fix.
# -march is ours (mk/flags.mk), not the packager's.
DPDK_CFLAGS = $(patsubst -I%,-isystem %,$(filter-out -march=%,\
	      $(shell pkg-config --cflags libdpdk 2>/dev/null)))

dpdk_archives = $(foreach l,$(1),$(DPDK_LIBDIR)/librte_$(l).a)

# Every archive PMDS asks for must exist: say which is missing and why. The
# stamp holds the driver set and changes only when it does, so that
# `make PMDS=...` relinks exactly when the set differs from the last build.
$(BUILD)/dpdk-libs.ok: FORCE | $(BUILD)
	@pkg-config --exists libdpdk || { echo "DPDK not found: run 'make deps'" >&2; exit 1; }
	@for a in $(call dpdk_archives,$(DPDK_WHOLE) $(DPDK_GROUP)); do \
		[ -f "$$a" ] || { echo "$$a is missing: PMDS names a driver Debian's libdpdk-dev does not ship ($$(basename $$a .a | sed 's/^librte_//'))" >&2; exit 1; }; \
	done
	@echo "$(DPDK_WHOLE) $(SYS_LIBS)" | cmp -s - $@ || echo "$(DPDK_WHOLE) $(SYS_LIBS)" > $@

# $(call dpdk_link,OUTPUT,OBJECTS): a static executable; munmap is wrapped so
# that memif cannot unmap rings under a core's burst (mos_io.c); glibc's warnings about
# dlopen/getpwuid/getaddrinfo in static programs are expected (EAL then loads no
# driver directory) and are kept in the log rather than printed. The sanitizer
# build (SAN=1, mk/test.mk) replaces -static: same archives, dynamic glibc.
DPDK_LINK_MODE ?= -static
define dpdk_link
	$(CC) $(DPDK_LINK_MODE) -march=$(MARCH) $(OPT) -o $(1) $(2) \
		-Wl,-Map,$(BUILD)/$(notdir $(1)).map -Wl,--wrap=munmap \
		-Wl,--whole-archive $(call dpdk_archives,$(DPDK_WHOLE)) -Wl,--no-whole-archive \
		-Wl,--start-group $(call dpdk_archives,$(DPDK_GROUP)) $(SYS_LIBS) -Wl,--end-group \
		2> $(BUILD)/$(notdir $(1)).link.log \
		|| { cat $(BUILD)/$(notdir $(1)).link.log >&2; exit 1; }
	@grep -v 'statically linked applications requires at runtime' $(BUILD)/$(notdir $(1)).link.log \
		| grep -v 'in function' >&2 || true
endef
