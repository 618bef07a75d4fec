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

# The whole home on this machine, in the foreground, state under ./var
# (docs/run.md). scripts/run.sh installs what is missing and builds first,
# showing each step.
run:
	@sh scripts/run.sh

# The live demo (docs/run.md, "make demo"): the whole stack on free loopback
# ports, one delivery and the attacks on it; exits 0 only if every row holds.
demo: build
	@sh scripts/demo.sh $(BUILD)

test: deps
	@sh scripts/test.sh

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} sh scripts/fuzz.sh

bench: build
	@sh bench/run.sh $(BUILD)
	@sh bench/http.sh $(BUILD)
	@sh bench/http_cg.sh $(BUILD)
	@sh bench/issue.sh $(BUILD)
	@sh bench/durability.sh $(BUILD)
	@bash bench/live.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz
