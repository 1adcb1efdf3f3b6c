# anyway — top-level entry points. `make test` is what CI runs (.ci/run).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
export AW_BUILD := $(abspath $(BUILD))
export AW_ASAN_BUILD := $(abspath $(ASAN_BUILD))

.PHONY: all build asan test unit golden e2e fuzz demo deb clean format

all: build

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# Everything: unit + fuzz (plain and ASan/UBSan), golden packets (plain and
# ASan/UBSan), end-to-end in namespaces. Last line: "N passed, N failed".
test: build asan
	@bash tests/run_all.sh

unit: build
	meson test -C $(BUILD) --suite unit --suite fuzz --print-errorlogs

golden: build
	/usr/bin/python3 -m pytest -q tests/golden

e2e: build
	/usr/bin/python3 -m pytest -q tests/e2e

# libFuzzer build (clang; the libraries and the data plane instrumented, with
# ASan/UBSan), its instrumentation check, then every target for FUZZ_SECONDS
# each, one at a time (tests/fuzz/README.md). Non-zero on a crash; the
# reproducers stay under $(FUZZ_BUILD)/fuzz-out/artifacts/.
$(FUZZ_BUILD)/build.ninja:
	@bash tests/fuzz/install_fuzz_deps.sh
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true

fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	meson test -C $(FUZZ_BUILD) --suite fuzzcov --print-errorlogs
	FUZZ_BUILD=$(abspath $(FUZZ_BUILD)) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run_fuzz.sh

demo:
	@bash tests/install_deps.sh
	@bash tests/e2e/demo.sh
	@/usr/bin/python3 tests/e2e/demo_anycast.py

# Debian packages (anyway-dataplane, anyway-control, anyway-bench) into
# build-deb/ (with .buildinfo/.changes). Unit tests are `make test`'s job:
# nocheck unless DEB_BUILD_OPTIONS says otherwise. Needs debhelper.
DEB_DIR ?= build-deb
deb:
	@bash tests/pkg/build_deb.sh $(abspath $(DEB_DIR))

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(DEB_DIR)
