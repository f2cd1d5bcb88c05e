# sigmesh — one plain Makefile.
#   make            build libraries, sigmeshd, sigmesh, sigmesh-sim
#   make test       build and run every test; ends with "N passed, N failed"
#   make demo       run the J-CSIP FY2014 testnet end to end
#   make SANITIZE=address,undefined test   same code and tests under sanitizers
#   make fuzz       libFuzzer harnesses (clang), each for FUZZ_SECONDS
#   make fuzz-ci    the same, 60 s each, two at a time (CI)
#   make bench      benchmarks, results in bench/RESULTS.md
#   V=1             show full commands; DEBUG=yes for -O0 -g

CC      ?= cc
SANITIZE ?=
BUILD   ?= build
FUZZ_SECONDS ?= 20
SHARED  ?= $(abspath ../shared)

ifeq ($(origin CC),default)
CC = cc
endif

ifeq ($(DEBUG),yes)
OPT = -O0 -g
else
OPT = -O2 -g
endif

ifneq ($(SANITIZE),)
OPT += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD := $(BUILD)-san
endif

PKGS     = libsodium libzmq
GMIME_CFLAGS := $(shell pkg-config --cflags gmime-3.0 2>/dev/null)
GMIME_LIBS   := $(shell pkg-config --libs gmime-3.0 2>/dev/null)
CPPFLAGS += -I. -D_GNU_SOURCE -MMD -MP
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter $(OPT) $(GMIME_CFLAGS)
LDLIBS   += -lsodium -lzmq -llmdb -lmsgpackc -ljansson -linih $(GMIME_LIBS) -lpthread -lm
LDFLAGS  += $(if $(SANITIZE),-fsanitize=$(SANITIZE))

ifneq ($(V),1)
Q = @
quiet = @printf '  %-6s %s\n' $(1) $(2);
else
Q =
quiet =
endif

PROTO_SRC = $(wildcard proto/*.c)
KEYS_SRC  = $(wildcard keys/*.c)
NODE_SRC  = $(filter-out %_main.c,$(wildcard node/*.c))
CLI_SRC   = $(wildcard node/cli/*.c)
SIM_SRC   = $(wildcard sim/*.c)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
TOOL_SRC  = $(wildcard tests/tools/*.c)
BENCH_SRC = $(wildcard bench/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBPROTO = $(BUILD)/libsmproto.a
LIBKEYS  = $(BUILD)/libsmkeys.a
LIBNODE  = $(BUILD)/libsmnode.a
LIBS     = $(LIBNODE) $(LIBKEYS) $(LIBPROTO)

BINS  = $(if $(wildcard node/sigmeshd_main.c),$(BUILD)/sigmeshd) $(if $(CLI_SRC),$(BUILD)/sigmesh) $(if $(SIM_SRC),$(BUILD)/sigmesh-sim)
UNITS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOLS = $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCHES = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all deps test unit demo bench fuzz soak clean check
.SECONDARY:
all: $(BINS) $(UNITS) $(TOOLS) $(BENCHES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBPROTO): $(call obj,$(PROTO_SRC))
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^
$(LIBKEYS): $(call obj,$(KEYS_SRC))
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^
$(LIBNODE): $(call obj,$(NODE_SRC))
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/sigmeshd: $(BUILD)/node/sigmeshd_main.o $(LIBS)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sigmesh: $(call obj,$(CLI_SRC)) $(LIBS)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sigmesh-sim: $(call obj,$(SIM_SRC)) $(LIBS)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@./tests/deps.sh

# Every test: unit binaries, then the multi-process integration scripts.
test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SHARED=$(SHARED) ./tests/run.sh $(TESTS)

unit: all
	@BUILD=$(BUILD) SHARED=$(SHARED) ./tests/run.sh unit

demo: deps
	@$(MAKE) --no-print-directory all
	@$(BUILD)/sigmesh-sim run --profile sim/profiles/jcsip-2014.txt --workload fy2014 --faults demo --out $(BUILD)/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ./bench/run.sh

soak: deps
	@$(MAKE) --no-print-directory all
	@SOAK_SECONDS=$${SOAK_SECONDS:-600} SOAK_STRICT=$${SOAK_STRICT:-1} BUILD=$(BUILD) sh tests/integration/soak.sh

# libFuzzer needs clang; the harnesses link the same sources, rebuilt with
# clang and ASan+UBSan in their own build directory.
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
fuzz: deps
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz \
	    CFLAGS="-std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(GMIME_CFLAGS)" \
	    LDFLAGS="-fsanitize=address,undefined" build-fuzz/libsmnode.a build-fuzz/libsmkeys.a build-fuzz/libsmproto.a
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(or $(FUZZ_JOBS),1) GMIME_CFLAGS="$(GMIME_CFLAGS)" GMIME_LIBS="$(GMIME_LIBS)" ./tests/fuzz/run.sh $(FUZZ_SRC)

# CI (issue 6): every harness for 60 s, two at a time (about 6 minutes for
# 12 harnesses on two cores); fails on any crash, whose input stays in
# build-fuzz/crashes/NAME/.
.PHONY: fuzz-ci
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60 FUZZ_JOBS=2

check:
	scan-build --status-bugs $(MAKE) BUILD=build-scan all

clean:
	rm -rf build build-san build-fuzz build-scan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
