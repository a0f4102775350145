# hetsgd: the two commands a user needs are `make demo` and `make test`.
# Every target installs missing Debian packages first (tools/install_deps.sh is idempotent).

BUILD ?= build
JOBS ?= 2
BUILD_TYPE ?= Release
CONFIG ?= config/examples/default.toml
export OPENBLAS_NUM_THREADS := 1

SOAK_SECONDS ?= 600

.PHONY: all deps configure build demo test bench soak clean

all: build

deps:
	@bash tools/install_deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > $(BUILD).configure.log 2>&1 \
	  || { cat $(BUILD).configure.log; exit 1; }

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/hetsgd run $(CONFIG) --out runs/demo

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j$(JOBS)

bench: build
	@HETSGD_EXTRAS=1 bash tools/install_deps.sh  # python3-torch, for the PyTorch DDP baseline
	bash bench/run_all.sh $(BUILD)

# Random fault schedules against random policies in simulated time, for SOAK_SECONDS of wall
# time; a failure prints the seed and the command that replays it (tools/soak.py).
soak: build
	python3 tools/soak.py --build $(BUILD) --seconds $(SOAK_SECONDS) --out runs/soak

clean:
	rm -rf $(BUILD) $(BUILD).configure.log
