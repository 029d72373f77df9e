# heed: one non-recursive Makefile. Entry points:
#   make            build build/heed
#   make test       build and run every test (unit + integration on a private
#                   PostgreSQL); ends with "N passed, N failed"
#   make demo       the main job end to end on a private cluster under ./var
#   make asan       the whole test suite under ASan + UBSan
#   make bench      throughput/latency figures beside their baselines
#   make fuzz       libFuzzer targets (clang)
#   make check T=test_cfg   run one test alone
# Dependencies come from pkg-config only; `make deps` installs what is missing.

VERSION    := 0.1.0
PKG_CONFIG ?= pkg-config
PKGS       := libcurl jansson libpcre2-8 libpq inih libutf8proc
BUILD      ?= build
CC         ?= cc

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wno-missing-field-initializers -MMD -MP -pthread \
           -DPCRE2_CODE_UNIT_WIDTH=8 -DHEED_VERSION='"$(VERSION)"' \
           -Ilib/include $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDFLAGS += -pthread
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
TEST_LDLIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

ifdef DEVELOPER
CFLAGS  += -Werror
endif
ifdef SANITIZE
CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Everything but cli/ goes into libheed.a: components are libraries, and the
# CLI is a thin client of them.
LIB_SRCS  := $(wildcard lib/*.c classifier/*.c collectors/*.c responder/*.c digest/*.c)
CLI_SRCS  := $(wildcard cli/*.c)
SUP_SRCS  := $(wildcard tests/support/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
INT_SRCS  := $(wildcard tests/integration/test_*.c)
FAKE_SRCS := $(wildcard tests/fakes/*.c)
BENCH_SRCS := $(wildcard bench/*.c)
FAKE_LIB_SRCS := $(wildcard tests/fakes/fake/*.c)

SCHEMA    := $(sort $(wildcard schema/[0-9][0-9][0-9][0-9]_*.sql))
GEN_SCHEMA := $(BUILD)/gen/schema_sql.c
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(GEN_SCHEMA:.c=.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
SUP_OBJS  := $(SUP_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
INT_BINS  := $(INT_SRCS:%.c=$(BUILD)/%)
FAKE_BINS := $(FAKE_SRCS:%.c=$(BUILD)/%)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)
FAKE_LIB_OBJS := $(FAKE_LIB_SRCS:%.c=$(BUILD)/%.o)
LIBFAKE   := $(BUILD)/libheedfake.a
LIBHEED   := $(BUILD)/libheed.a
LIBSUP    := $(BUILD)/libheedtest.a
HEED      := $(BUILD)/heed

.PHONY: all deps test check check-integration asan demo bench fuzz clean \
        install checkstyle tests
.DEFAULT_GOAL := all

all: $(HEED)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Migrations are compiled into the binary (see mk/embed-schema.sh). The list
# file changes when a migration is added, renamed or removed, which the
# files' own times cannot show.
SCHEMA_LIST := $(BUILD)/gen/schema.list
$(shell mkdir -p $(BUILD)/gen; echo '$(SCHEMA)' | cmp -s - $(SCHEMA_LIST) || \
	echo '$(SCHEMA)' > $(SCHEMA_LIST))
$(GEN_SCHEMA): $(SCHEMA) $(SCHEMA_LIST) mk/embed-schema.sh
	@mkdir -p $(dir $@)
	sh mk/embed-schema.sh $@ $(SCHEMA)

$(GEN_SCHEMA:.c=.o): $(GEN_SCHEMA)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBHEED): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBSUP): $(SUP_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(HEED): $(CLI_OBJS) $(LIBHEED)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIBHEED) $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBSUP) $(LIBHEED)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/support $(LDFLAGS) -o $@ $< $(LIBSUP) $(LIBHEED) $(LDLIBS) $(TEST_LDLIBS)

$(BUILD)/tests/integration/%: tests/integration/%.c $(LIBSUP) $(LIBHEED)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/support $(LDFLAGS) -o $@ $< $(LIBSUP) $(LIBHEED) $(LDLIBS) $(TEST_LDLIBS)

# The fake servers' shared parts (tests/fakes/fake/) go into one archive.
$(LIBFAKE): $(FAKE_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/fakes/%: tests/fakes/%.c $(LIBFAKE) $(LIBHEED)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBFAKE) $(LIBHEED) $(LDLIBS) -lmicrohttpd

$(BUILD)/bench/%: bench/%.c $(LIBHEED)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBHEED) $(LDLIBS)

tests: $(HEED) $(UNIT_BINS) $(INT_BINS) $(FAKE_BINS)

deps:
	@sh mk/deps.sh

# T=name runs one test binary (unit or integration) alone.
test: deps
	@$(MAKE) --no-print-directory tests
	@HEED_BIN=$(abspath $(HEED)) HEED_BUILD=$(abspath $(BUILD)) HEED_SRCDIR=$(CURDIR) \
	  sh tests/run.sh $(if $(T),$(filter %/$(T),$(UNIT_BINS) $(INT_BINS)),$(UNIT_BINS) $(INT_BINS))

check: deps
	@$(MAKE) --no-print-directory tests
	@HEED_BIN=$(abspath $(HEED)) HEED_BUILD=$(abspath $(BUILD)) HEED_SRCDIR=$(CURDIR) \
	  sh tests/run.sh $(if $(T),$(filter %/$(T),$(UNIT_BINS) $(INT_BINS)),$(UNIT_BINS))

check-integration: deps
	@$(MAKE) --no-print-directory tests
	@HEED_BIN=$(abspath $(HEED)) HEED_BUILD=$(abspath $(BUILD)) HEED_SRCDIR=$(CURDIR) \
	  sh tests/run.sh $(INT_BINS)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=address,undefined \
	  CC=$(CC) test

demo: deps all $(FAKE_BINS)
	@sh mk/demo.sh $(abspath $(HEED))

bench: deps all $(BENCH_BINS)
	@sh mk/bench.sh $(abspath $(BUILD))

fuzz: deps
	@sh mk/fuzz.sh

install: all
	install -d $(DESTDIR)/usr/local/bin $(DESTDIR)/usr/local/share/heed/schema
	install -m 0755 $(HEED) $(DESTDIR)/usr/local/bin/heed
	install -m 0644 schema/*.sql $(DESTDIR)/usr/local/share/heed/schema/
	install -m 0644 $(CLS_DATA) $(DESTDIR)/usr/local/share/heed/

checkstyle:
	@sh mk/checkstyle.sh

clean:
	rm -rf build

include mk/classifier.mk

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(SUP_OBJS:.o=.d)
-include $(UNIT_BINS:=.d) $(INT_BINS:=.d)
-include $(FAKE_LIB_OBJS:.o=.d) $(FAKE_BINS:=.d)
