# Makefile - build, test, demo and benchmark mailacd.
#
#   make            build programs into build/
#   make asan       build with AddressSanitizer + UBSan into build-asan/
#   make test       run the TAP suite under prove (builds first)
#   make test-asan  run the TAP suite against the sanitizer build
#   make demo       private Redis + Postfix + milter, sample mail in, decisions out
#   make bench      throughput/latency: no milter vs no-op milter vs mailacd-milter,
#                   and language detection: CLD2 vs libexttextcat, and
#                   replies with a header and footer vs without
#   make deps       install build and test dependencies (root, Debian 12)
#   make install    install programs, man pages, example config (PREFIX, DESTDIR);
#                   for systems without a package: see INSTALL below
#   make install-units  the systemd units, paths filled in (UNITDIR)
#   make deb        the Debian packages (dpkg-buildpackage -us -uc -b) into ..
#   make fresh-check  make test as the first command in a fresh Debian 12
#                   debootstrap root (root; contrib/fresh-check.sh)
#   make fuzz-build build the libFuzzer targets (fuzz/) with clang into
#                   build-fuzz/
#   make fuzz       build them, then run each for FUZZ_SECONDS (60) on a
#                   scratch copy of its seed corpus (fuzz/corpus/NAME)
#
# WERROR=0 relaxes -Werror for packagers; CFLAGS/LDFLAGS are honoured.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= /etc/systemd/system
B	?= build
WERROR	?= 1
PKG_CONFIG ?= pkg-config

PKGS	= milter hiredis libconfig libcrypto gmime-3.0 jansson opendkim libcurl \
	  ldns libpsl libidn2 libsystemd libmicrohttpd libpcre2-8 glib-2.0
# Evaluated when the Makefile is read: the targets that install
# dependencies first (test, demo, bench, test-asan) build in a second make
# so that these see the libraries just installed.
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
PKG_OK     := $(shell $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null && echo yes)
# Each program links only the libraries it calls (what `readelf -d` lists
# as NEEDED when linked with -Wl,--as-needed); the unit tests and the fuzz
# targets, which link every module, take them all (PKG_LIBS).
# (the configuration compiles flows' patterns with PCRE2 and loads
# schedules' time zones with GLib: every program that loads it links both)
MILTER_LIBS := $(shell $(PKG_CONFIG) --libs milter hiredis libconfig \
	       libcrypto gmime-3.0 opendkim libpsl libidn2 libsystemd \
	       libpcre2-8 glib-2.0 2>/dev/null)
# (the router composes acknowledgements and responses with GMime)
ROUTER_LIBS := $(shell $(PKG_CONFIG) --libs hiredis libconfig libcrypto \
	       libcurl ldns libpsl libidn2 libsystemd jansson libmicrohttpd \
	       libpcre2-8 glib-2.0 gmime-3.0 2>/dev/null)
CTL_LIBS    := $(shell $(PKG_CONFIG) --libs hiredis libconfig libcrypto libcurl \
	       jansson ldns libpsl libidn2 libpcre2-8 gmime-3.0 glib-2.0 \
	       2>/dev/null)
NOOP_LIBS   := $(shell $(PKG_CONFIG) --libs milter 2>/dev/null)
# Language detection (common/lang.c) is CLD2, a C++ library without a
# .pc file, called through common/lang_cld2.cc.  The milter and mailacdctl
# take it --as-needed: it becomes NEEDED once they call lang_detect().
CLD2_HDR    = /usr/include/cld2/public/compact_lang_det.h
LANG_LIBS   = -lcld2 -lstdc++
LANG_LINK   = -Wl,--push-state,--as-needed $(LANG_LIBS) -Wl,--pop-state
MILTER_LIBS += $(LANG_LINK)
CTL_LIBS    += $(LANG_LINK)
# libexttextcat only for the language benchmark, which compares it with
# CLD2 (bench/lang.sh); no program links it
TEXTCAT_CFLAGS := $(shell $(PKG_CONFIG) --cflags libexttextcat 2>/dev/null)
TEXTCAT_LIBS   := $(shell $(PKG_CONFIG) --libs libexttextcat 2>/dev/null)
RBENCH_LIBS := $(shell $(PKG_CONFIG) --libs hiredis libcrypto 2>/dev/null)

WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
	     -Icommon -Imilter -Irouter $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
# the one C++ file (common/lang_cld2.cc): the same optimisation, sanitizers
# and dependency files, C++'s warnings
CXXWARN	= -Wall -Wextra -Wshadow -Wformat=2
ifeq ($(WERROR),1)
CXXWARN	+= -Werror
endif
ALL_CXXFLAGS = -std=c++11 $(CXXWARN) $(CFLAGS) $(SANFLAGS) -Icommon -MMD -MP

COMMON_SRC = $(wildcard common/*.c)
MILTER_SRC = $(wildcard milter/*.c)
ROUTER_SRC = $(wildcard router/*.c)
UNIT_SRC   = $(wildcard t/unit/*.c)
CTL_SRC    = $(wildcard ctl/*.c)

COMMON_CXX = $(wildcard common/*.cc)
COMMON_OBJ = $(COMMON_SRC:%.c=$(B)/%.o) $(COMMON_CXX:%.cc=$(B)/%.o) \
	     $(B)/common/mailacd_lua.o
MILTER_OBJ = $(MILTER_SRC:%.c=$(B)/%.o)
CTL_OBJ    = $(CTL_SRC:%.c=$(B)/%.o)
ROUTER_OBJ = $(ROUTER_SRC:%.c=$(B)/%.o)
# milter modules without libmilter glue: unit tests link them
MILTER_LIB_OBJ = $(filter-out $(B)/milter/main.o $(B)/milter/mlfi.o \
	     $(B)/milter/durable.o $(B)/milter/nodelay.o,$(MILTER_OBJ))
UNIT_BIN   = $(UNIT_SRC:t/unit/%.c=$(B)/t/%)

PROGS	= $(B)/mailacd-milter $(B)/mailacd-router $(B)/bench/noop-milter
PROGS	+= $(B)/mailacdctl $(B)/bench/router-bench
VERSION	= $(shell cat VERSION)

all: pkg-check $(PROGS) $(UNIT_BIN) $(B)/t/fakeclock.so

# programs - only what is installed (the Debian package builds this)
programs: pkg-check $(B)/mailacd-milter $(B)/mailacd-router $(B)/mailacdctl

# pkg-check - a clear message instead of "hiredis.h: No such file" when a
# library is missing
pkg-check:
ifneq ($(PKG_OK),yes)
	@echo "missing libraries: $$($(PKG_CONFIG) --print-errors --exists $(PKGS) 2>&1 | head -3)" >&2
	@echo "run 'make deps' as root (or 'make test', which installs them)" >&2
	@exit 1
endif
	@test -e $(CLD2_HDR) || { echo "missing library: CLD2 ($(CLD2_HDR));" \
	    "run 'make deps' as root (or 'make test', which installs it)" >&2; \
	    exit 1; }

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(VERSION_DEF) -c -o $@ $<

$(B)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

# The objects that spell MAILACD_VERSION (the programs' -V and start-up
# lines) get it, and are built again when VERSION changes; no other object
# depends on VERSION.
VERSION_SRC := $(shell grep -l MAILACD_VERSION $(COMMON_SRC) $(MILTER_SRC) \
	       $(ROUTER_SRC) $(CTL_SRC) $(wildcard bench/*.c fuzz/*.c) \
	       2>/dev/null)
$(VERSION_SRC:%.c=$(B)/%.o): VERSION
$(VERSION_SRC:%.c=$(B)/%.o): VERSION_DEF = -DMAILACD_VERSION='"$(VERSION)"'

# the Redis function library as loaded: its "#!lua" line, the Lua
# translation of common/keys.h (keys, formats, versions: spelled there
# once), then the rest of common/mailacd.lua
$(B)/common/mailacd.lua: common/mailacd.lua common/keys.h common/keys2lua.awk
	@mkdir -p $(@D)
	{ sed -n 1p common/mailacd.lua; \
	  awk -f common/keys2lua.awk common/keys.h; \
	  sed 1d common/mailacd.lua; } > $@.tmp && mv $@.tmp $@

# ... compiled in as a string (common/fn.c)
$(B)/common/mailacd_lua.c: $(B)/common/mailacd.lua
	@mkdir -p $(@D)
	{ echo '/* generated from common/mailacd.lua and common/keys.h; do not edit */'; \
	  echo 'const char mailacd_lua[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

$(B)/common/mailacd_lua.o: $(B)/common/mailacd_lua.c
	$(CC) $(ALL_CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<

# made anew, not updated: a member whose source moved or went away (ar
# keeps what it is not told to replace) would be linked twice
$(B)/libmailacd_common.a: $(COMMON_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/mailacd-milter: $(MILTER_OBJ) $(B)/libmailacd_common.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MILTER_LIBS)

$(B)/mailacd-router: $(ROUTER_OBJ) $(B)/libmailacd_common.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ROUTER_LIBS)

$(B)/mailacdctl: $(CTL_OBJ) $(B)/libmailacd_common.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CTL_LIBS)

$(B)/libmailacd_milter.a: $(MILTER_LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

# router modules without main(): unit tests link them
$(B)/libmailacd_router.a: $(filter-out $(B)/router/main.o,$(ROUTER_OBJ))
	rm -f $@ && $(AR) rcs $@ $^

$(B)/bench/noop-milter: $(B)/bench/noop-milter.o $(B)/milter/nodelay.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NOOP_LIBS)

$(B)/bench/router-bench: $(B)/bench/router-bench.o $(B)/libmailacd_common.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RBENCH_LIBS)

# built by make bench only (bench/capacity.sh)
$(B)/bench/handoff-bench: $(B)/bench/handoff-bench.o $(B)/libmailacd_common.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RBENCH_LIBS)

# built by make bench only: it needs libexttextcat, which nothing else does
$(B)/bench/lang-bench.o: ALL_CFLAGS += $(TEXTCAT_CFLAGS)
$(B)/bench/lang-bench: $(B)/bench/lang-bench.o $(B)/libmailacd_common.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEXTCAT_LIBS) $(LANG_LIBS)

$(B)/t/%: $(B)/t/unit/%.o $(B)/libmailacd_milter.a $(B)/libmailacd_router.a \
	    $(B)/libmailacd_common.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LANG_LIBS)

# the wall clock tests set for their private redis-server (LD_PRELOAD):
# never sanitized, as the server it is loaded into is not
$(B)/t/fakeclock.so: t/lib/fakeclock.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -shared -o $@ $<

asan:
	$(MAKE) B=build-asan CFLAGS='-O1 -g -fno-omit-frame-pointer' \
	    SANFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all'

deps:
	sh contrib/install-deps.sh

# t/*.t find the programs through MAILACD_BUILD.
test: check-deps
	$(MAKE) all
	if command -v $(FUZZ_CC) >/dev/null 2>&1; then $(MAKE) fuzz-build; fi
	MAILACD_BUILD=$(CURDIR)/$(B) prove -v --timer t/

test-asan: check-deps
	$(MAKE) asan
	MAILACD_BUILD=$(CURDIR)/build-asan \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/t/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1 prove -v --timer t/

check-deps:
	@sh contrib/install-deps.sh --if-missing

demo: check-deps
	$(MAKE) all
	MAILACD_BUILD=$(CURDIR)/$(B) sh contrib/demo.sh

bench: check-deps
	$(MAKE) all $(B)/bench/lang-bench $(B)/bench/handoff-bench
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/lang.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/run.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/router.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/outbound.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/forward.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/gate.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/interactions.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/handoff.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/mailbox.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/dress.sh
	MAILACD_BUILD=$(CURDIR)/$(B) sh bench/capacity.sh

# INSTALL - "make install" is for systems without the Debian package
# (apt install ./mailacd-*.deb does all of this and more).  It copies the
# programs (the daemons to SBINDIR, mailacdctl, which operators and agents'
# scripts run, to BINDIR), the man pages and, unless one is there, the
# example configuration (mode 0640, owned by whoever runs make).  It does
# not create the mailacd user or group, give the configuration to that
# group, install or enable the systemd units (make install-units), start
# anything, or touch the MTA's configuration.  Before starting the daemons
# as mailacd:
#   useradd --system --user-group --home-dir /nonexistent \
#       --shell /usr/sbin/nologin mailacd
#   chgrp mailacd $(SYSCONFDIR)/mailacd/mailacd.conf
install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/mailacd
	install -m 755 $(B)/mailacd-milter $(B)/mailacd-router $(DESTDIR)$(SBINDIR)/
	install -m 755 $(B)/mailacdctl $(DESTDIR)$(BINDIR)/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/mailacd/mailacd.conf || \
	    install -m 640 conf/mailacd.conf $(DESTDIR)$(SYSCONFDIR)/mailacd/
	@echo "make install: not done: the mailacd user, the configuration's" \
	    "group, the systemd units (make install-units); see the Makefile's" \
	    "INSTALL note or README"

# install-units - the systemd units with this installation's paths
# (ExecStart* in SBINDIR, the configuration in SYSCONFDIR) in UNITDIR;
# enabling and starting them is the administrator's:
#   systemctl daemon-reload && systemctl enable --now mailacd-milter
install-units:
	install -d $(DESTDIR)$(UNITDIR)
	for u in mailacd-milter mailacd-router; do \
	    sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
	        -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        contrib/systemd/$$u.service.in >$(DESTDIR)$(UNITDIR)/$$u.service && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
	done

deb:
	dpkg-buildpackage -us -uc -b

clean:
	rm -rf build build-asan build-fuzz build-deb bench/out

fresh-check:
	sh contrib/fresh-check.sh

# --- fuzzing (libFuzzer, clang) ---------------------------------------------
# The product code is compiled again with clang and the fuzzer's coverage
# instrumentation into build-fuzz/ (never build/): the same rules as above
# in a second make with B=build-fuzz.  Each run starts from a scratch copy
# of fuzz/corpus/NAME, so the tree's seeds are not flooded; to keep what a
# run found, merge it back (only inputs that add coverage are copied):
#   build-fuzz/fuzz/fuzz_NAME -merge=1 fuzz/corpus/NAME build-fuzz/run/NAME
FUZZ_CC	?= clang
FUZZ_CXX ?= clang++
FUZZ_SECONDS ?= 60
FUZZ_B	= build-fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES = $(FUZZ_SRC:fuzz/fuzz_%.c=%)
FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
FUZZ_LIBS = $(B)/libmailacd_milter.a $(B)/libmailacd_router.a \
	    $(B)/libmailacd_common.a

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) \
	    CFLAGS='-O1 -g -fno-omit-frame-pointer' \
	    SANFLAGS='-fsanitize=fuzzer-no-link $(FUZZ_SAN)' fuzz-bins

fuzz-bins: pkg-check $(FUZZ_BIN)

# fuzz_outbound gets Redis's answers from the fuzz input: hiredis is left
# out of the link and fuzz/hiredis_stub.c stands in for it
$(B)/fuzz/fuzz_outbound: $(B)/fuzz/fuzz_outbound.o $(B)/fuzz/hiredis_stub.o \
	    $(FUZZ_LIBS)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ \
	    $(filter-out -lhiredis,$(PKG_LIBS)) $(LANG_LIBS)

$(B)/fuzz/fuzz_%: $(B)/fuzz/fuzz_%.o $(FUZZ_LIBS)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) $(LANG_LIBS)

fuzz: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
	    rm -rf $(FUZZ_B)/run/$$n; mkdir -p $(FUZZ_B)/run/$$n; \
	    cp fuzz/corpus/$$n/* $(FUZZ_B)/run/$$n/; \
	    echo "== fuzz_$$n for $(FUZZ_SECONDS) s (log: $(FUZZ_B)/run/$$n.log)"; \
	    rc=0; (cd $(FUZZ_B)/run && ../fuzz/fuzz_$$n \
	        -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$n \
	        >$$n.log 2>&1) || rc=$$?; \
	    grep -E '^#[0-9]+.*(DONE|cov:)' $(FUZZ_B)/run/$$n.log | tail -1; \
	    grep -E '^stat::' $(FUZZ_B)/run/$$n.log || true; \
	    if [ $$rc -ne 0 ]; then tail -40 $(FUZZ_B)/run/$$n.log; exit 1; fi; \
	done

.PHONY: all pkg-check asan deps test test-asan check-deps demo bench install clean \
	fresh-check fuzz fuzz-build fuzz-bins install-units deb programs

# keep intermediate objects (t/unit/*.o): no "rm" after prove's summary
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
