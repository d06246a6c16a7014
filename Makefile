# rdsim build. `make` builds bin/rds-controlplane, bin/rds-agent, bin/rdsctl, bin/rds-backup.
# `make check` installs what is missing, builds, and runs every test.
# SANITIZE=address|undefined builds (into build/<variant>) and tests the same.

SANITIZE ?=
VARIANT  := $(if $(SANITIZE),$(SANITIZE),default)
B        := build/$(VARIANT)

CC      ?= cc
PG_INC  := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wwrite-strings -Wno-format-nonliteral -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I. -I$(PG_INC)
LDLIBS  := -levent -levent_openssl -lcares -lcjson -lcbor -lz -lsqlite3 -lpq -lssl -lcrypto -lm
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# One static library per folder; main.c of each program stays out of it so
# unit tests can link any module.
LIB_SRC  := $(wildcard lib/*.c) $(wildcard dns/*.c)
CP_SRC   := $(wildcard controlplane/*/*.c)
AG_SRC   := $(filter-out agent/main.c,$(wildcard agent/*.c))
CLI_SRC  := $(filter-out cli/main.c,$(wildcard cli/*.c))
BK_SRC   := $(filter-out backup/main.c,$(wildcard backup/*.c))
TEST_SRC := $(wildcard tests/unit/*/test_*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))
LIBRDSIM := $(B)/librdsim.a
LIBCP    := $(B)/libcp.a
LIBAG    := $(B)/libagent.a
LIBCLI   := $(B)/libcli.a
LIBBK    := $(B)/libbackup.a
TESTS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(TEST_SRC))
PROGS    := bin/rds-controlplane bin/rds-agent bin/rdsctl bin/rds-backup bin/pam_rdsim_iam.so

all: $(PROGS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBRDSIM): $(call obj,$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBCP): $(call obj,$(CP_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBAG): $(call obj,$(AG_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBCLI): $(call obj,$(CLI_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBBK): $(call obj,$(BK_SRC))
	@rm -f $@; ar rcs $@ $^

# The live view's page (controlplane/api/liveview/) compiled in as C
# string literals: nothing is read from disk at run time.
LIVE_ASSETS := $(sort $(wildcard controlplane/api/liveview/*.html controlplane/api/liveview/*.css \
                                 controlplane/api/liveview/*.js))
$(B)/gen/liveassets.inc: scripts/embed-assets.sh $(LIVE_ASSETS)
	@mkdir -p $(dir $@)
	sh scripts/embed-assets.sh $@ $(LIVE_ASSETS)
$(B)/controlplane/api/liveview.o: $(B)/gen/liveassets.inc
$(B)/controlplane/api/liveview.o: CFLAGS += -I$(B)/gen

# The DNS-caching lab's JVM lanes (lab/runtimes/, cli/labruntimes.h),
# compiled against Debian's jars when javac and the jars are installed
# (scripts/install-deps.sh); without them the lab leaves those lanes out.
LAB_JARS := /usr/share/java/postgresql.jar /usr/share/java/HikariCP.jar
ifneq ($(and $(shell command -v javac 2>/dev/null),$(wildcard $(LAB_JARS))),)
all: $(B)/lab-java/LabJdbc.class
endif
$(B)/lab-java/LabJdbc.class: lab/runtimes/LabJdbc.java
	@mkdir -p $(dir $@)
	javac -nowarn -d $(dir $@) -cp $(subst $() $(),:,$(LAB_JARS)) $<

# bin/ always holds the variant built last: the stamp forces a relink when
# the variant changes.
bin/.variant: FORCE
	@mkdir -p bin
	@[ "$$(cat $@ 2>/dev/null)" = "$(VARIANT)" ] || echo "$(VARIANT)" > $@

bin/rds-controlplane: $(B)/controlplane/main.o $(LIBCP) $(LIBRDSIM) bin/.variant
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)
bin/rds-agent: $(B)/agent/main.o $(LIBAG) $(LIBRDSIM) bin/.variant
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)
bin/rdsctl: $(B)/cli/main.o $(LIBCLI) $(LIBRDSIM) bin/.variant
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)
bin/rds-backup: $(B)/backup/main.o $(LIBBK) $(LIBRDSIM) bin/.variant
	$(CC) $(LDFLAGS) -pthread -o $@ $(filter %.o %.a,$^) $(LDLIBS)
# The PAM module of IAM database logins (pam/README.md): loaded by
# PostgreSQL backends, so position-independent, linked to libpam only and
# never sanitized (no sanitizer runtime in a postgres process).
bin/pam_rdsim_iam.so: pam/pam_rdsim_iam.c bin/.variant
	$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=% -MMD -MP,$(CFLAGS)) -fPIC -shared \
	    -o $@ $< -lpam

# A unit test in tests/unit/<folder>/ links that folder's library and the
# shared one, so a test builds while other folders are mid-change.
$(B)/tests/lib/%: $(B)/tests/unit/lib/%.o $(LIBRDSIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/dns/%: $(B)/tests/unit/dns/%.o $(LIBRDSIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/controlplane/%: $(B)/tests/unit/controlplane/%.o $(LIBCP) $(LIBRDSIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/agent/%: $(B)/tests/unit/agent/%.o $(LIBAG) $(LIBRDSIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/cli/%: $(B)/tests/unit/cli/%.o $(LIBCLI) $(LIBRDSIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/backup/%: $(B)/tests/unit/backup/%.o $(LIBBK) $(LIBRDSIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS)

deps:
	@scripts/install-deps.sh

unit: $(TESTS)

# Unit tests first (fast), then the end-to-end tests against real daemons
# (each has its own region on free ports in its own temp dir). Those that
# measure time, change the machine (descriptor limits, RSS bounds) or time
# failovers run one after another (INTEGRATION_SEQ); every other file polls
# conditions and asserts no time, and runs beside that chain two at a
# time, the longest first (INTEGRATION_FIRST, from --timer figures) so that
# no long file starts last. Two prove runs side by side, not one with
# --rules: prove's scheduler starts a seq group only once every parallel
# file has started (TAP::Parser::Scheduler queues nested groups last), and
# the chain is the longest path. The chain's output follows the parallel
# run's. A new file is in the parallel group unless named in INTEGRATION_SEQ.
INTEGRATION_SEQ := agent cluster multiaz netfault netdelay pitr region lab labrt demo_home security_dataloss \
                   security_flood security_sns security_telemetry
INTEGRATION_FIRST := terraform awscli_everyday liveview api14 replicas iam mazrep clusterpg \
                     cloudwatch cluster_backup sns_sqs_attrs
SEQ_FILES := $(INTEGRATION_SEQ:%=tests/integration/%.t)
FIRST_FILES := $(INTEGRATION_FIRST:%=tests/integration/%.t)
PAR_FILES := $(FIRST_FILES) \
             $(filter-out $(SEQ_FILES) $(FIRST_FILES),$(sort $(wildcard tests/integration/*.t)))
check: deps
	@$(MAKE) --no-print-directory all unit
	prove -f tests/scripts/*.t
	prove -f $(TESTS)
	@mkdir -p $(B); \
	prove -f --timer $(SEQ_FILES) >$(B)/check-seq.log 2>&1 & seq=$$!; \
	prove -f --timer -j2 $(PAR_FILES); par=$$?; \
	wait $$seq; sq=$$?; \
	echo "---- the timed sequence (prove -f --timer $(INTEGRATION_SEQ)) ----"; \
	cat $(B)/check-seq.log; \
	[ $$par -eq 0 ] && [ $$sq -eq 0 ]

check-unit: all unit
	prove -f tests/scripts/*.t
	prove -f $(TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	scripts/demo.sh

fuzz:
	@$(MAKE) --no-print-directory -f fuzz/Makefile

clean:
	rm -rf build bin

.PHONY: all deps unit check check-unit demo fuzz clean FORCE
-include $(shell find $(B) -name '*.d' 2>/dev/null)
