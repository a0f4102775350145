# hetsgd: the two commands a user needs are `make demo` and `make test`.
# Every target installs missing Debian packages first (tools/install_deps.sh is idempotent).

BUILD ?= build
JOBS ?= 2
BUILD_TYPE ?= Release
CONFIG ?= config/examples/default.toml
export OPENBLAS_NUM_THREADS := 1

SOAK_SECONDS ?= 600
FUZZ_SECONDS ?= 60

.PHONY: all deps lint-deps configure build demo test test-asan test-tsan fuzz format \
	format-check tidy cppcheck bench soak clean

all: build

deps:
	@bash tools/install_deps.sh

# clang, clang-format, clang-tidy, cppcheck and libFuzzer's runtime: for the checks below only.
lint-deps:
	@HETSGD_LINT=1 bash tools/install_deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > $(BUILD).configure.log 2>&1 \
	  || { cat $(BUILD).configure.log; exit 1; }

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/hetsgd run $(CONFIG) --out runs/demo

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j$(JOBS)

# The suite built with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan (.ci/run runs
# it too); ThreadSanitizer over the actor and end-to-end tests in build-tsan.
test-asan: deps
	bash tools/test_sanitized.sh asan build-asan $(JOBS)

test-tsan: deps
	bash tools/test_sanitized.sh tsan build-tsan $(JOBS)

# libFuzzer on the config loader, the fault schedule and the network messages, FUZZ_SECONDS each.
fuzz: deps lint-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash tools/fuzz.sh build-fuzz

# clang-format with .clang-format: `format` rewrites, `format-check` fails on a difference (CI).
format: lint-deps
	bash tools/check_format.sh --fix

format-check: lint-deps
	bash tools/check_format.sh

# Static analysis: clang-tidy with .clang-tidy over the compile database of $(BUILD), and cppcheck.
tidy: lint-deps configure
	JOBS=$(JOBS) bash tools/tidy.sh $(BUILD)

cppcheck: lint-deps
	bash tools/cppcheck.sh

bench: build
	@HETSGD_EXTRAS=1 bash tools/install_deps.sh  # python3-torch, for the PyTorch DDP baseline
	bash bench/run_all.sh $(BUILD)

# Random fault schedules against random policies in simulated time, for SOAK_SECONDS of wall
# time; a failure prints the seed and the command that replays it (tools/soak.py).
soak: build
	python3 tools/soak.py --build $(BUILD) --seconds $(SOAK_SECONDS) --out runs/soak

clean:
	rm -rf $(BUILD) $(BUILD).configure.log
