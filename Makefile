# Thin wrapper over Meson + Ninja.  See README.md.
#   make          build build/inkan, libinkan and inkan.pc
#   make run      install what is missing, build, run the main job on the example
#   make test     build and run every test (unit, integration, ASan+UBSan, fuzz smoke)
#   make fuzz     run the fuzz targets (FUZZ_SECONDS each, default 300)
#   make bench    run the benchmarks under bench/
#   make soak     long runs and huge inputs (tests/soak/*.sh), not in `make test`
#   make install  PREFIX=/usr/local [DESTDIR=/staging/root]
#                 (PREFIX applies even if build/ was set up with another)

PREFIX ?= /usr/local
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
# Seconds each fuzz target runs inside `make test`.
TEST_FUZZ_SECONDS ?= 30

.PHONY: all deps run test test-unit test-asan test-fuzz fuzz bench soak install clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@./scripts/install-deps.sh
	@# the browser test's playwright-core, from its lockfile (needs the network
	@# once; the test itself downloads nothing and drives Debian's chromium)
	@[ -d tests/browser/node_modules/playwright-core ] || \
	    (cd tests/browser && npm ci --no-audit --no-fund >/dev/null) || \
	    echo "deps: npm ci in tests/browser failed: the browser test will be skipped" >&2

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(abspath $(PREFIX))

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined \
	    -Db_lundef=false -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' \
	    -Ddefault_library=static -Dbuildtype=debugoptimized

run: all
	./scripts/run-example.sh $(BUILD)/inkan

test: deps
	./scripts/test-all.sh

test-unit: all
	meson test -C $(BUILD) --print-errorlogs

test-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    meson test -C $(ASAN_BUILD) --print-errorlogs

test-fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	./scripts/fuzz.sh $(FUZZ_BUILD) $(TEST_FUZZ_SECONDS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	./scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

soak: all
	./scripts/soak.sh $(BUILD)

bench: all
	./bench/run-all.sh $(BUILD)

# The build directory keeps the prefix it was set up with (`make` and
# `make run` set it up with the default): reconfigure when PREFIX differs,
# so `make install PREFIX=DIR` installs into DIR whatever ran before.
install: all
	@want='$(abspath $(PREFIX))'; \
	have=$$(meson introspect --buildoptions $(BUILD) | python3 -c \
	    'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])') || exit 1; \
	if [ "$$have" != "$$want" ]; then \
	    echo "make install: prefix $$want (the build was set up with $$have)"; \
	    meson configure $(BUILD) --prefix="$$want" || exit 1; \
	fi
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir '$(abspath $(DESTDIR))')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
