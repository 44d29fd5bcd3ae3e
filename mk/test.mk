# Tests. Unit tests build without DPDK (the I/O module is replaced by
# test/fake_dpdk.c where a module needs it), so they run anywhere, with no
# EAL and no hugepages. End-to-end scripts (test/e2e_*.sh) run the static
# binary. test/run.sh runs both, each under a time limit, and prints the
# total "N passed, N failed, N skipped" (its header: the SKIP line forms,
# E2E_TIMEOUT and E2E_TIMEOUT_<suite>).

# test_NAME: test/test_NAME.c linked with these modules.
TEST_MODS_conf := conf_lex.c conf_parse.c conf_epwget.c mos_rss.c
TEST_MODS_rss  := mos_rss.c
TEST_MODS_pool := mos_pool.c
TEST_MODS_tuple := mos_tuple.c
TEST_MODS_timer := mos_timer.c
TEST_MODS_buf  := mos_buf.c
TEST_MODS_net  := mos_net.c conf_lex.c conf_parse.c conf_epwget.c mos_rss.c
# the stack without DPDK: everything above the I/O module, which the fake replaces
STACK_NO_IO    := mos_core.c mos_loop.c conf_lex.c conf_parse.c conf_epwget.c mos_log.c mos_pool.c mos_rss.c \
		  mos_tuple.c mos_timer.c mos_buf.c mos_net.c mos_tcp.c mos_tcp_in.c mos_tcp_out.c mos_arp.c \
		  mos_fault.c test/fake_dpdk.c
TEST_MODS_core := $(STACK_NO_IO) mos_socket.c mos_epoll.c
TEST_MODS_tcp  := $(STACK_NO_IO)
# the injector over the fake I/O module, and two stacks talking through it
TEST_MODS_fault := $(STACK_NO_IO)
TEST_MODS_socket := mos_socket.c mos_epoll.c mos_pool.c mos_rss.c
TEST_MODS_stats := epw_stats.c
TEST_MODS_http := http_parse.c
TEST_MODS_eps  := eps_conn.c eps_http.c mos_log.c

UNIT_TESTS := conf rss pool tuple timer buf net tcp fault socket core stats http eps
UNIT_BINS  := $(patsubst %,$(BUILD)/test/test_%,$(UNIT_TESTS))

# Fuzz targets: test/fuzz_NAME.c, linked with these modules. `make fuzz`
# (mk/fuzz.mk) runs them under libFuzzer; `make test` replays each one's
# corpus, test/corpus/NAME (seeds and the inputs of crashes fixed), through
# the same code with test/fuzz_replay.c's main(), with the test compiler.
FUZZ_TARGETS := packet conf cli http eps_http epserver
FUZZ_MODS_packet = $(STACK_NO_IO)
FUZZ_MODS_conf   = conf_lex.c conf_parse.c conf_epwget.c mos_rss.c
FUZZ_MODS_cli    = $(STACK_NO_IO) mos_socket.c mos_epoll.c epw_main.c epw_request.c epw_flow.c epw_stats.c \
		   http_parse.c app_cli.c
FUZZ_MODS_http   = http_parse.c
FUZZ_MODS_eps_http = eps_http.c mos_log.c
FUZZ_MODS_epserver = eps_conn.c eps_http.c mos_log.c
FUZZ_REPLAY_BINS := $(patsubst %,$(BUILD)/test/fuzz_%,$(FUZZ_TARGETS))
E2E_TESTS  := $(sort $(wildcard test/e2e_*.sh))
# e2e_san.sh checks the sanitizer build's reports: it belongs to SAN=1 runs
# only (elsewhere it would skip, and a skip under root fails the run)
ifneq ($(SAN),1)
E2E_TESTS  := $(filter-out test/e2e_san.sh,$(E2E_TESTS))
endif

# SAN=1: everything - epwget, mos_probe, ksock, the unit tests and the fuzz
# replays - built by clang under AddressSanitizer and UndefinedBehaviorSanitizer
# into build-san/ (Makefile), and the end-to-end scripts run those binaries.
# ASan cannot live in a static glibc program: the DPDK archives are linked as
# always, glibc dynamically (DPDK_LINK_MODE, mk/dpdk.mk).
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CC        := clang
CFLAGS    := $(filter-out -O2,$(CFLAGS)) -O1 $(SAN_FLAGS)
DPDK_LINK_MODE := $(SAN_FLAGS)
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	     LSAN_OPTIONS=suppressions=$(CURDIR)/test/lsan.supp:print_suppressions=0
endif
TEST_CC     := $(CC)
TEST_CFLAGS := $(CFLAGS)
# What the end-to-end scripts run: this build's binaries.
E2E_ENV := EPWGET=./$(EPWGET) EPWGET_MP=./$(EPWGET_MP) EPSERVER=./$(EPSERVER) E2E_BUILD=$(BUILD) E2E_SAN=$(if $(filter 1,$(SAN)),1,0) $(SAN_ENV)

# Each links its modules from source (several modules per command, so no
# per-object dependency files): any header change rebuilds the tests.
.SECONDEXPANSION:
$(BUILD)/test/test_%: test/test_%.c $$(TEST_MODS_$$*) $(wildcard *.h test/*.h) | $(BUILD)/test
	$(TEST_CC) $(filter-out -MMD -MP,$(TEST_CFLAGS)) -o $@ $< $(TEST_MODS_$*) -lxxhash -lm

$(BUILD)/test/fuzz_%: test/fuzz_%.c test/fuzz_replay.c $$(FUZZ_MODS_$$*) $(wildcard *.h test/*.h) \
		      | $(BUILD)/test
	$(TEST_CC) $(filter-out -MMD -MP,$(TEST_CFLAGS)) -DFUZZ_CORPUS='"test/corpus/$*"' -o $@ \
		$< test/fuzz_replay.c $(FUZZ_MODS_$*) -lxxhash -lm -lpthread

$(BUILD)/test:
	mkdir -p $@

# A client on the stack for the interoperability tests: static, like epwget.
PROBE_OBJS = $(filter-out $(BUILD)/epw_main.o,$(OBJS)) $(BUILD)/test/mos_probe.o
$(BUILD)/test/mos_probe.o: test/mos_probe.c $(BUILD)/cflags.stamp | $(BUILD)/test
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/test/mos_probe: $(PROBE_OBJS) $(BUILD)/dpdk-libs.ok
	$(call dpdk_link,$@,$(PROBE_OBJS))
# The kernel-socket peer of those tests.
$(BUILD)/test/ksock: test/ksock.c | $(BUILD)/test
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror $(SAN_FLAGS) -o $@ $< -lxxhash

# The misbehaving servers of test/e2e_hostile.sh.
$(BUILD)/test/hostile_srv: test/hostile_srv.c | $(BUILD)/test
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o $@ $< -lpthread

unit: $(UNIT_BINS) $(FUZZ_REPLAY_BINS)

test: deps-ok $(UNIT_BINS) $(FUZZ_REPLAY_BINS) $(EPWGET) $(EPWGET_MP) $(EPSERVER) \
      $(BUILD)/test/mos_probe $(BUILD)/test/ksock $(BUILD)/test/hostile_srv
	$(E2E_ENV) test/run.sh $(UNIT_BINS) $(FUZZ_REPLAY_BINS) test/layers.py $(E2E_TESTS)

.PHONY: unit test
