# Debian packages: what building, running and testing epwget needs.
# `make deps` installs the missing ones (idempotent: nothing to do when all
# are present); `make run` and `make test` call it through deps-ok.
DEB_BUILD := gcc make binutils libc6-dev pkg-config libdpdk-dev libxxhash-dev libnuma-dev \
	     libbsd-dev libmd-dev
DEB_TEST  := file python3 iproute2 ethtool nftables nginx-light procps util-linux
DEB_SAN   := clang libclang-rt-dev llvm	# `make fuzz` and SAN=1 only
# make bench (mk/bench.sh): the kernel's clients, and tcpdump for the first SYN
DEB_BENCH := wrk apache2-utils nghttp2-client tcpdump
DEB_PACKAGES := $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH) \
		$(if $(or $(filter 1,$(SAN)),$(filter fuzz,$(MAKECMDGOALS))),$(DEB_SAN))

deps_missing = $(shell for p in $(DEB_PACKAGES); do \
		 dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null | grep -qx installed || echo $$p; \
		 done)

deps:
	@missing="$(deps_missing)"; \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEB_PACKAGES)) Debian packages present"; exit 0; fi; \
	echo "deps: installing $$missing"; \
	if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	$$SUDO apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing

# A quick check first, the install only when something is missing.
deps-ok:
	@[ -z "$(deps_missing)" ] || $(MAKE) --no-print-directory deps

.PHONY: deps deps-ok
