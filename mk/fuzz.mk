# Fuzzing with clang's libFuzzer. `make fuzz` builds every target of
# FUZZ_TARGETS (mk/test.mk) with -fsanitize=fuzzer,address,undefined into
# $(FUZZ_DIR) and runs each, one after the other, for FUZZ_TIME seconds from
# its seeds in test/corpus/NAME. New inputs go to $(FUZZ_DIR)/corpus/NAME,
# crash inputs to $(FUZZ_DIR)/crashes/NAME, libFuzzer's log to
# $(FUZZ_DIR)/fuzz_NAME.log; nothing is written into the repository. A
# crash found and fixed goes into test/corpus/NAME by hand, so that
# `make test` replays it from then on.
#   make fuzz FUZZ_TIME=600 FUZZ_TARGETS=packet
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_DIR  := $(BUILD)/fuzz

# -max_len per target: a few dozen segments; a whole configuration file; a
# command line; a response header at its limit (HTTP_HEADER_MAX) and a body;
# a few requests at their limit (EPS_HEADER_MAX); well past PIPE_MAX pipelined
# requests and the operations that deliver them.
FUZZ_MAXLEN_packet := 4096
FUZZ_MAXLEN_conf   := 8192
FUZZ_MAXLEN_cli    := 2048
FUZZ_MAXLEN_http   := 12288
FUZZ_MAXLEN_eps_http := 20480
FUZZ_MAXLEN_epserver := 4096

# Modules built without coverage feedback, still under ASan and UBSan: each
# jump of fuzz_packet's clock visits up to 4096 slots of the timer wheel, and
# tracing those comparisons made the target three times slower while telling
# the fuzzer nothing about packets.
FUZZ_NOCOV_packet := mos_timer.c

FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  = $(filter-out -O2 -MMD -MP,$(CFLAGS)) -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_BINS   := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
$(foreach t,$(FUZZ_TARGETS),$(eval FUZZ_NOCOV_OBJS_$(t) := \
	$(patsubst %.c,$(FUZZ_DIR)/nocov/%.o,$(FUZZ_NOCOV_$(t)))))

$(FUZZ_DIR)/nocov/%.o: %.c $(wildcard *.h) | $(FUZZ_DIR)/nocov
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: test/fuzz_%.c $$(FUZZ_MODS_$$*) $$(FUZZ_NOCOV_OBJS_$$*) \
		    $(wildcard *.h test/*.h) | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(filter-out $(FUZZ_NOCOV_$*),$(FUZZ_MODS_$*)) $(FUZZ_NOCOV_OBJS_$*) -lxxhash -lm -lpthread

$(FUZZ_DIR) $(FUZZ_DIR)/nocov:
	mkdir -p $@

.PRECIOUS: $(FUZZ_DIR)/nocov/%.o

rparen := )
fuzz: deps-ok $(FUZZ_BINS)
	@fail=0; for t in $(FUZZ_TARGETS); do \
		case $$t in $(foreach t,$(FUZZ_TARGETS),$(t)$(rparen) max=$(FUZZ_MAXLEN_$(t));;) esac; \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
		log=$(FUZZ_DIR)/fuzz_$$t.log; \
		echo "fuzz_$$t: $(FUZZ_TIME) s, -max_len=$$max"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -max_len=$$max -timeout=60 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ \
			$(FUZZ_DIR)/corpus/$$t test/corpus/$$t > $$log 2>&1; rc=$$?; \
		echo "fuzz_$$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $$log) executions," \
		     "$$(sed -n 's/^stat::peak_rss_mb: *//p' $$log) MB peak;" \
		     "corpus $$(ls $(FUZZ_DIR)/corpus/$$t | wc -l) new inputs," \
		     "crashes $$(ls $(FUZZ_DIR)/crashes/$$t | wc -l) in $(FUZZ_DIR)/crashes/$$t"; \
		if [ $$rc -ne 0 ]; then \
			echo "fuzz_$$t: FAILED (exit $$rc), the end of $$log:"; tail -n 30 $$log; fail=1; \
		fi; \
	done; [ $$fail -eq 0 ]

.PHONY: fuzz
