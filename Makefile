# epwget - the event-driven HTTP load generator of mOS/mTCP on a user-space
# TCP/IP stack over DPDK. `make` builds the static ./epwget; `make help` lists
# the rest. The recipes live in mk/.

# The stack and the application, one flat module a file.
STACK_SRCS := conf_lex.c conf_parse.c conf_epwget.c mos_log.c mos_pool.c mos_rss.c mos_tuple.c \
	      mos_timer.c mos_buf.c mos_net.c mos_tcp.c mos_tcp_in.c mos_tcp_out.c mos_arp.c mos_socket.c \
	      mos_epoll.c mos_fault.c mos_loop.c mos_core.c mos_dpdk.c \
	      mos_dpdk_mp.c mos_io.c
# epwget.c and epwget_mp.c: the two programs' main(), each with its mode for epw_main.c.
APP_SRCS   := epw_main.c epw_request.c epw_flow.c epw_stats.c http_parse.c app_cli.c
# The static-file HTTP server on the same stack (the other end of `make bench`).
EPS_SRCS   := epserver.c eps_conn.c eps_http.c app_cli.c

# Modules that need DPDK's headers: compiled with its flags, kept out of unit tests.
DPDK_SRCS  := mos_dpdk.c mos_dpdk_mp.c mos_io.c

# SAN=1 builds everything under sanitizers, apart (mk/test.mk): epwget too.
ifeq ($(SAN),1)
BUILD ?= build-san
EPWGET := $(BUILD)/epwget
EPWGET_MP := $(BUILD)/epwget-mp
EPSERVER := $(BUILD)/epserver
else
BUILD ?= build
EPWGET := epwget
EPWGET_MP := epwget-mp
EPSERVER := epserver
endif
OBJS := $(patsubst %.c,$(BUILD)/%.o,$(STACK_SRCS) $(APP_SRCS))

all: $(EPWGET) $(EPWGET_MP) $(EPSERVER)

include mk/flags.mk
include mk/dpdk.mk
include mk/deps.mk
include mk/test.mk
include mk/fuzz.mk

OBJS := $(patsubst %.c,$(BUILD)/%.o,$(STACK_SRCS) $(APP_SRCS))
STACK_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(STACK_SRCS))
EPS_OBJS := $(STACK_OBJS) $(patsubst %.c,$(BUILD)/%.o,$(EPS_SRCS))

# Objects are rebuilt when the flags change (MARCH=, OPT=, EXTRA_CFLAGS=).
$(BUILD)/cflags.stamp: FORCE | $(BUILD)
	@echo "$(CC) $(CFLAGS)" | cmp -s - $@ || echo "$(CC) $(CFLAGS)" > $@

$(BUILD)/%.o: %.c $(BUILD)/cflags.stamp | $(BUILD)
	$(CC) $(CFLAGS) $(if $(filter $<,$(DPDK_SRCS)),$(DPDK_CFLAGS)) -c $< -o $@

$(BUILD):
	mkdir -p $@

# epwget: a thread per core; epwget-mp: one process per core (mos.conf multiprocess).
$(EPWGET): $(OBJS) $(BUILD)/epwget.o $(BUILD)/dpdk-libs.ok
	$(call dpdk_link,$@,$(OBJS) $(BUILD)/epwget.o)
$(EPWGET_MP): $(OBJS) $(BUILD)/epwget_mp.o $(BUILD)/dpdk-libs.ok
	$(call dpdk_link,$@,$(OBJS) $(BUILD)/epwget_mp.o)

$(EPSERVER): $(EPS_OBJS) $(BUILD)/dpdk-libs.ok
	$(call dpdk_link,$@,$(EPS_OBJS))

# Run the main job with the shipped configuration; CORES=N overrides its core count.
# The shipped configuration is a veth lab with nginx (mk/run-lab.sh builds and removes it).
CORES ?=
run: deps-ok epwget
	mk/run-lab.sh $(CORES)

# The multi-process mode: a master and CORES-1 slaves against nginx over net_tap.
run-mp: deps-ok epwget-mp
	mk/run-mp.sh $(CORES)

# Flows per second against the kernel on the same two cores (mk/bench.sh);
# BENCH_SMOKE=1 for one short run. Results in build/bench/results-<date>.md.
bench: deps-ok epwget epserver
	mk/bench.sh

audit: epwget
	mk/audit.sh epwget $(BUILD)/epwget.map

clean:
	rm -rf $(BUILD) epwget epwget-mp epserver

help:
	@echo "make              build ./epwget (static; PMDS=\"net_ixgbe ...\" picks the drivers)"
	@echo "make run CORES=N  run epwget with conf/mos.conf and conf/epwget.conf"
	@echo "make run-mp CORES=N  epwget-mp: a master and N-1 slave processes (hugepages, net_tap)"
	@echo "make test         unit tests and end-to-end tests (SAN=1: with sanitizers)"
	@echo "make bench        epwget -> epserver (memif) against wrk/ab/h2load -> nginx, flows/s (BENCH_SMOKE=1: short)"
	@echo "make fuzz         run each fuzz target for FUZZ_TIME seconds (60; clang libFuzzer)"
	@echo "make audit        every archive linked into ./epwget, with its Debian package"
	@echo "make deps         install the Debian packages needed to build, run and test"
	@echo "make clean        remove build outputs"

FORCE:

.PHONY: all run run-mp bench audit clean help FORCE

-include $(OBJS:.o=.d) $(BUILD)/epwget.d $(BUILD)/epwget_mp.d $(EPS_OBJS:.o=.d)
