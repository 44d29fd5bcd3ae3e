# Tests. Unit tests build without DPDK (the I/O module is replaced by
# test/fake_dpdk.c where a module needs it), so they run anywhere, with no
# EAL and no hugepages. End-to-end scripts (test/e2e_*.sh) run the static
# binary. test/run.sh runs both and prints the total "N passed, N failed".

# test_NAME: test/test_NAME.c linked with these modules.
TEST_MODS_conf := conf_parse.c mos_rss.c
TEST_MODS_rss  := mos_rss.c
TEST_MODS_pool := mos_pool.c
TEST_MODS_core := mos_core.c conf_parse.c mos_log.c mos_pool.c mos_rss.c test/fake_dpdk.c

UNIT_TESTS := conf rss pool core
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
	$(TEST_CC) $(filter-out -MMD -MP,$(TEST_CFLAGS)) -o $@ $< $(TEST_MODS_$*)

$(BUILD)/test:
	mkdir -p $@

unit: $(UNIT_BINS)

test: deps-ok $(UNIT_BINS) epwget
	test/run.sh $(UNIT_BINS) $(E2E_TESTS)

.PHONY: unit test
