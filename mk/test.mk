# Tests. Unit tests build without DPDK (the I/O module is replaced by
# test/fake_dpdk.c where a module needs it), so they run anywhere, with no
# EAL and no hugepages. End-to-end scripts (test/e2e_*.sh) run the static
# binary. test/run.sh runs both and prints the total "N passed, N failed".

# test_NAME: test/test_NAME.c linked with these modules.
TEST_MODS_conf := conf_parse.c mos_rss.c
TEST_MODS_rss  := mos_rss.c
TEST_MODS_pool := mos_pool.c
TEST_MODS_flow := mos_flow.c
TEST_MODS_timer := mos_timer.c
TEST_MODS_sbuf := mos_sbuf.c
TEST_MODS_net  := mos_net.c conf_parse.c mos_rss.c
# the stack without DPDK: everything above the I/O module, which the fake replaces
STACK_NO_IO    := mos_core.c conf_parse.c mos_log.c mos_pool.c mos_rss.c mos_flow.c mos_timer.c \
		  mos_sbuf.c mos_net.c mos_tcp.c mos_tcp_in.c mos_tcp_out.c test/fake_dpdk.c
TEST_MODS_core := $(STACK_NO_IO) mos_socket.c mos_epoll.c
TEST_MODS_tcp  := $(STACK_NO_IO)
TEST_MODS_socket := mos_socket.c mos_epoll.c mos_pool.c mos_rss.c
TEST_MODS_stats := epw_stats.c
TEST_MODS_http := http_parse.c
TEST_MODS_eps  := eps_http.c

UNIT_TESTS := conf rss pool flow timer sbuf net tcp socket core stats http eps
UNIT_BINS  := $(patsubst %,$(BUILD)/test/test_%,$(UNIT_TESTS))
E2E_TESTS  := $(sort $(wildcard test/e2e_*.sh))

# SAN=1: unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (clang).
ifeq ($(SAN),1)
TEST_CC     := clang
TEST_CFLAGS := $(filter-out -O2,$(CFLAGS)) -O1 -fno-omit-frame-pointer \
	       -fsanitize=address,undefined -fno-sanitize-recover=all
else
TEST_CC     := $(CC)
TEST_CFLAGS := $(CFLAGS)
endif

# Each links its modules from source (several modules per command, so no
# per-object dependency files): any header change rebuilds the tests.
.SECONDEXPANSION:
$(BUILD)/test/test_%: test/test_%.c $$(TEST_MODS_$$*) $(wildcard *.h test/*.h) | $(BUILD)/test
	$(TEST_CC) $(filter-out -MMD -MP,$(TEST_CFLAGS)) -o $@ $< $(TEST_MODS_$*) -lxxhash -lm

$(BUILD)/test:
	mkdir -p $@

# A client on the stack for the interoperability tests: static, like epwget.
PROBE_OBJS = $(filter-out $(BUILD)/epwget.o,$(OBJS)) $(BUILD)/test/mos_probe.o
$(BUILD)/test/mos_probe.o: test/mos_probe.c $(BUILD)/cflags.stamp | $(BUILD)/test
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/test/mos_probe: $(PROBE_OBJS) $(BUILD)/dpdk-libs.ok
	$(call dpdk_link,$@,$(PROBE_OBJS))
# The kernel-socket peer of those tests.
$(BUILD)/test/ksock: test/ksock.c | $(BUILD)/test
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o $@ $< -lxxhash

unit: $(UNIT_BINS)

test: deps-ok $(UNIT_BINS) epwget epserver $(BUILD)/test/mos_probe $(BUILD)/test/ksock
	test/run.sh $(UNIT_BINS) $(E2E_TESTS)

.PHONY: unit test
