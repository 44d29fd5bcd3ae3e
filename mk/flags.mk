# Compiler flags. C11 with GNU/POSIX library extensions (pthread affinity,
# strtok_r); -march is explicit: the Debian DPDK baseline by default, or the
# appliance's own (`make MARCH=native`, `make MARCH=skylake-avx512`).
ifeq ($(origin CC),default)
CC := gcc
endif
MARCH ?= corei7
OPT   ?= -O2 -g

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wpointer-arith -Wcast-align -Wwrite-strings -Wformat=2 -Wundef

CFLAGS := -std=c11 -D_GNU_SOURCE -march=$(MARCH) $(OPT) $(WARNINGS) -I. -MMD -MP $(EXTRA_CFLAGS)
