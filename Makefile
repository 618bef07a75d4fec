# The commands the README tells people to type. The build itself is Meson.
.POSIX:
.PHONY: all deps build run demo test fuzz bench clean

BUILD = build

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD)

# Until porterd, porter-hub and porter-cam land, "run" shows what runs
# today: the offline credential demo.
run: build
	@sh scripts/demo.sh $(BUILD)/porter

demo: build
	@sh scripts/demo.sh $(BUILD)/porter

test: deps
	@sh scripts/test.sh

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} sh scripts/fuzz.sh

bench: build
	@sh bench/run.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz
