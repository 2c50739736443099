# hvlab: build a RISC-V hypervisor stage by stage, run it under QEMU, watch
# its exits, grade it. `make help` lists the targets.
#
# Conventions (borrowed from xv6): `make stepN` builds stage N and boots it;
# `make qemu-gdb STEP=N` boots it halted for gdb, `make gdb` attaches.
# Every target that needs a Debian package checks for it first and installs
# it if missing (mk/deps.sh); when nothing is missing apt is never called.

STAGES := step1-vmxon step2-vmcs step3-guest step4-mem step5-devices
STEP ?= 3
H ?= on
ARGS ?=
ifneq ($(filter-out on off,$(H))$(words $(H)),1)
$(error H must be on or off, not '$(H)')
endif
# ARGS reaches QEMU's -append byte for byte: its raw text ($(value): make
# expands nothing in it, not $H, not $(...)) goes into the recipes'
# environment, and the shell reads it only as "$$HVLAB_ARGS", one quoted
# word (no ;, `...`, $... or quotes in it are ever interpreted).
# (ARGS itself is not exported: make would expand it to do so.)
export HVLAB_ARGS := $(value ARGS)
unexport ARGS
# Two builds of the hypervisor. The default is the teaching build: no
# optimisation and no link-time inlining, so that every function on the exit
# path can be broken on by name, a file:line breakpoint stops on its line,
# and next/step follow the source. OPT=1 is the optimised build (-O2, LTO)
# that `make bench` builds by itself and measures; it lives in build-opt/.
OPT ?= 0
ifeq ($(OPT),1)
BUILD := build-opt
RVOPT := -O2 -flto
else
BUILD := build
RVOPT := -O0 -fno-omit-frame-pointer
endif
# SAN=1: the host programs and tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer, in a build directory of their own (build-san/;
# the stages are rebuilt there too, so everything a test runs comes from
# one place).
SAN ?= 0
ifeq ($(SAN),1)
BUILD := $(BUILD)-san
endif
V ?= 0
ifeq ($(V),0)
Q := @
endif

# A stage exists once its directory has a main.c.
PRESENT := $(foreach n,1 2 3 4 5,$(if $(wildcard $(word $(n),$(STAGES))/main.c),$(n)))
sdir = $(word $(1),$(STAGES))

.PHONY: all help stages host deps deps-build deps-qemu deps-host deps-gdb deps-uboot deps-dtc \
        qemu run qemu-gdb gdb test grade monitor demo bench clean compdb handout gradescope \
        step1 step2 step3 step4 step5
.DEFAULT_GOAL := help

help:
	@echo "hvlab make targets:"
	@echo "  make stepN            build stage N (1-5) and boot it in QEMU; N present: $(PRESENT)"
	@echo "  make qemu STEP=N      the same (make run STEP=N too)"
	@echo "      GUEST=image       stage 4+: boot a guest from a file (raw or ELF)"
	@echo "      GUEST_ARGS='...'  its /chosen bootargs; GUEST_INITRD=file its initrd"
	@echo "      GUEST_HARTS=n     stage 5: the guest's harts, 1-4 (QEMU -smp n)"
	@echo "      GUEST_DISK=file   stage 5: a raw disk image for the guest's virtio disk"
	@echo "      H=off             run on a CPU without the H extension"
	@echo "      ARGS='k=v ...'    boot arguments for the stage (QEMU -append)"
	@echo "  make qemu-gdb STEP=N  boot stage N halted, with a gdbstub on a free port"
	@echo "  make gdb              attach gdb-multiarch to it (run in a second terminal)"
	@echo "  make test             build everything and run all tests (T=name: some)"
	@echo "      SAN=1             with ASan and UBSan in every host program (build-san/)"
	@echo "  make grade            grade every stage (STEP=N: one; T=name: one test)"
	@echo "  make monitor STEP=N   boot stage N with the live VM-exit monitor"
	@echo "  make demo             the lecture demo: a guest with changing exits, in the monitor"
	@echo "  make handout          write the student edition (STEP=N: stages 1..N, N to do)"
	@echo "  make gradescope       a Gradescope autograder zip of the student edition"
	@echo "  make bench            benchmarks: exit costs, grader, monitor, stage 5 (B=name)"
	@echo "  make all              build every stage and the host tools"
	@echo "  make compdb           write compile_commands.json for clangd"
	@echo "  make format           format the C sources (.clang-format; make test checks)"
	@echo "  make labs             rewrite the handouts' file:line and gdb transcripts"
	@echo "  make fuzz             fuzz the RSP, ELF and DTB readers (FUZZ_SECONDS=30 each)"
	@echo "  make deps             install every Debian package hvlab uses"
	@echo "  make clean            remove build output"
	@echo "  V=1                   show the commands being run"

all: stages host guests

# ---- Debian packages -------------------------------------------------------
deps-build:
	$(Q)mk/deps.sh "gcc-riscv64-unknown-elf|gcc-riscv64-linux-gnu" gcc make
deps-qemu:
	$(Q)mk/deps.sh qemu-system-misc && mk/qemu-check.sh
deps-host:
	$(Q)mk/deps.sh gcc libelf-dev libdw-dev libncurses-dev
deps-gdb:
	$(Q)mk/deps.sh gdb-multiarch
# Debian's S-mode U-Boot: a guest for stage 5 (make run GUEST=..., the tests,
# and the grader's uboot_console_gdb, which fails while it is missing).
deps-uboot:
	$(Q)mk/deps.sh u-boot-qemu
deps:
	$(Q)mk/deps.sh "gcc-riscv64-unknown-elf|gcc-riscv64-linux-gnu" gcc make \
	  qemu-system-misc libelf-dev libdw-dev libncurses-dev gdb-multiarch \
	  device-tree-compiler u-boot-qemu tmux bear clang-format \
	  clang libclang-rt-dev
	$(Q)mk/qemu-check.sh

# ---- Cross compiler for the hypervisor -------------------------------------
# Either Debian cross toolchain works. CROSS is looked up the first time it
# is used (after deps-build has had a chance to install one), then cached.
CROSS ?= $(eval CROSS := $(shell \
  if command -v riscv64-unknown-elf-gcc >/dev/null 2>&1; then echo riscv64-unknown-elf-; \
  elif command -v riscv64-linux-gnu-gcc >/dev/null 2>&1; then echo riscv64-linux-gnu-; fi))$(CROSS)
RVCC = $(CROSS)gcc
# Freestanding HS-mode code: C11 plus GNU inline asm (gnu11), no libc, no FPU,
# code and data anywhere in the address space (medany).
# -mabi=lp64 with rv64imac works with both toolchains because we link no libs.
RVARCH := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
RVCFLAGS := $(RVOPT) -std=gnu11 -Wall -Wextra -Werror=implicit-function-declaration -g3 \
  $(RVARCH) \
  -ffreestanding -fno-builtin -fno-common -fno-stack-protector -fno-pie \
  -MMD -MP
RVASFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -g -MMD -MP \
  -Wa,-march=rv64imac_zicsr_zifencei_h
RVLDFLAGS := $(RVOPT) -g $(RVARCH) -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments \
  -T runtime/riscv/kernel.ld

# Objects depend on a stamp holding the compiler and flags they were built
# with; it is rewritten only when those change, so editing a flag here (or
# switching toolchains) rebuilds everything without a `make clean`.
.PHONY: FORCE
$(BUILD)/rvflags: FORCE | deps-build
	@mkdir -p $(@D)
	@echo '$(RVCC) $(RVCFLAGS) $(RVASFLAGS) $(RVLDFLAGS)' | cmp -s - $@ || \
	  echo '$(RVCC) $(RVCFLAGS) $(RVASFLAGS) $(RVLDFLAGS)' > $@

RT_DIR := runtime/riscv
RT_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(wildcard $(RT_DIR)/*.c $(RT_DIR)/*.S)))
# The stages' include paths: stage N sees the runtime and stages 1..N.
upto = $(wordlist 1,$(1),1 2 3 4 5)
stage_incs = -Iinclude -I$(RT_DIR) -I$(BUILD)/gen $(foreach k,$(call upto,$(1)),-I$(call sdir,$(k)))
# A stage's reusable objects: everything but its main.c and build-time-only
# asm-offsets.c. Later stages link these; only stage N links its own main.
lib_objs = $(patsubst %,$(BUILD)/obj/%.o,$(basename $(filter-out $(1)/main.c $(1)/asm-offsets.c,\
  $(wildcard $(1)/*.c $(1)/*.S))))

$(BUILD)/obj/$(RT_DIR)/%.o: $(RT_DIR)/%.c $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RVCC) $(RVCFLAGS) -Iinclude -I$(RT_DIR) -c $< -o $@
$(BUILD)/obj/$(RT_DIR)/%.o: $(RT_DIR)/%.S $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(RVCC) $(RVASFLAGS) -Iinclude -I$(RT_DIR) -c $< -o $@

# Rules for stage $(1), in directory $(2).
define STAGE_RULES
$(BUILD)/obj/$(2)/%.o: $(2)/%.c $(BUILD)/rvflags | deps-build
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	$(Q)$$(RVCC) $(RVCFLAGS) $(call stage_incs,$(1)) -c $$< -o $$@
$(BUILD)/obj/$(2)/%.o: $(2)/%.S $(BUILD)/rvflags | deps-build
	@mkdir -p $$(@D)
	@echo "  AS      $$<"
	$(Q)$$(RVCC) $(RVASFLAGS) $(call stage_incs,$(1)) -c $$< -o $$@
STAGE$(1)_OBJS := $(RT_OBJS) $(foreach k,$(call upto,$(1)),$(call lib_objs,$(call sdir,$(k)))) \
  $(BUILD)/obj/$(2)/main.o
# (Relinked when any shared header changes, even one this stage does not
# include: the grader calls an image older than any of them stale.)
$(BUILD)/step$(1)/hv.elf: $$(STAGE$(1)_OBJS) $(RT_DIR)/kernel.ld $(wildcard include/hvlab/*.h)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(RVCC) $(RVLDFLAGS) $$(STAGE$(1)_OBJS) -o $$@
	$(Q)$$(CROSS)objdump -d -S $$@ > $(BUILD)/step$(1)/hv.asm
endef
$(foreach n,$(PRESENT),$(eval $(call STAGE_RULES,$(n),$(call sdir,$(n)))))
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Assembly needs struct offsets: compile asm-offsets.c to assembly text and
# turn its "->NAME value" markers into #defines (the Linux/Bao technique).
$(BUILD)/gen/asm-offsets.h: step3-guest/asm-offsets.c step2-vmcs/vcpu.h $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)$(RVCC) $(filter-out -flto -MMD -MP -g3,$(RVCFLAGS)) $(call stage_incs,3) -S $< -o $(@:.h=.s)
	$(Q){ echo "// Generated from step3-guest/asm-offsets.c: do not edit."; \
	  sed -n 's/^->\([A-Z_0-9]*\) \(-*[0-9][0-9]*\).*/#define \1 \2/p' $(@:.h=.s); } > $@
$(patsubst %.S,$(BUILD)/obj/%.o,$(wildcard step3-guest/*.S step4-mem/*.S step5-devices/*.S)): \
  $(BUILD)/gen/asm-offsets.h

# The grader's own guests (grader/guests/): built from the grader's tree,
# loaded by QEMU at 0x84000000 when a test runs one (guest=image).
GRADER_GUESTS := $(patsubst grader/guests/%.S,$(BUILD)/grader/%.elf,$(wildcard grader/guests/*.S))
$(BUILD)/grader/%.elf: grader/guests/%.S grader/guests/guest.ld include/hvlab/layout.h \
  include/hvlab/sbi_ids.h $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  AS+LD   $@"
	$(Q)$(RVCC) $(RVARCH) -Iinclude -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments \
	  -T grader/guests/guest.ld $< -o $@

.PHONY: guests
guests: $(GRADER_GUESTS)

# Stage 4's built-in guest is a program of its own: step4-mem/guest/ and
# stage 3's guest library, linked at 0x80200000 like a kernel for virt.
# Its bytes ride in the hypervisor's image (step4-mem/guest_image.S), which
# copies them into guest RAM.
G4_SRCS := $(wildcard step4-mem/guest/*.c step4-mem/guest/*.S) step3-guest/guest_lib.c
G4_OBJS := $(patsubst %,$(BUILD)/g4/%.o,$(basename $(G4_SRCS)))
G4_INCS := -Iinclude -I$(RT_DIR) -Istep3-guest -Istep4-mem
$(BUILD)/g4/%.o: %.c $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $< (guest)"
	$(Q)$(RVCC) $(RVCFLAGS) $(G4_INCS) -c $< -o $@
$(BUILD)/g4/%.o: %.S $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  AS      $< (guest)"
	$(Q)$(RVCC) $(RVASFLAGS) $(G4_INCS) -c $< -o $@
$(BUILD)/gen/guest4.elf: $(G4_OBJS) step4-mem/guest/guest.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(RVCC) $(filter-out -T $(RT_DIR)/kernel.ld,$(RVLDFLAGS)) \
	  -T step4-mem/guest/guest.ld $(G4_OBJS) -o $@
$(BUILD)/gen/guest4.bin: $(BUILD)/gen/guest4.elf
	$(Q)$(CROSS)objcopy -O binary $< $@
$(BUILD)/obj/step4-mem/guest_image.o: $(BUILD)/gen/guest4.bin

# Stage 5's guest device trees: guest.dts through the C preprocessor, once
# per hart count (HARTS=1..4), then dtc; step5-devices/guest_dtb.S carries
# them in the hypervisor's image.
$(BUILD)/gen/guest5-%.dtb: step5-devices/guest.dts step5-devices/virt5.h $(BUILD)/rvflags \
    | deps-build deps-dtc
	@mkdir -p $(@D)
	@echo "  DTC     $@"
	$(Q)$(RVCC) -E -P -nostdinc -undef -x assembler-with-cpp -DHARTS=$* -Istep5-devices \
	  step5-devices/guest.dts -o $@.dts
	$(Q)dtc -q -I dts -O dtb -o $@ $@.dts
$(BUILD)/obj/step5-devices/guest_dtb.o: $(foreach n,1 2 3 4,$(BUILD)/gen/guest5-$(n).dtb)
deps-dtc:
	$(Q)mk/deps.sh device-tree-compiler

STAGE_ELFS := $(foreach n,$(PRESENT),$(BUILD)/step$(n)/hv.elf)
stages: $(STAGE_ELFS)

# A guest built independently of the hypervisor, for stage 4's GUEST= tests:
# an S-mode program for virt (tests/guests/), as an ELF and as a raw image.
# (vblk_guest: a virtio block driver, for stage 5's GUEST_DISK= tests.)
$(BUILD)/guests/%.elf: tests/guests/%.S tests/guests/%.c \
    tests/guests/sbi_hello.ld $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(RVCC) -O1 -g $(RVARCH) -ffreestanding -nostdlib -static -no-pie \
	  -Wall -Wextra -Wl,--no-warn-rwx-segments -T tests/guests/sbi_hello.ld \
	  tests/guests/$*.S tests/guests/$*.c -o $@
$(BUILD)/guests/sbi_hello.bin: $(BUILD)/guests/sbi_hello.elf
	$(Q)$(CROSS)objcopy -O binary $< $@
# Stage 5's outside checks: sbitest (SBI conformance, run natively under
# OpenSBI and under stage 5; also stage 5's built-in guest, so its sources
# are in step5-devices/guest/) and hostile5 (tests/guests/: a guest that
# misbehaves), on a small runtime of their own (vguest.*), not hvlab's.
G5_DIR := step5-devices/guest
VGUEST_RT := $(G5_DIR)/vguest.S $(G5_DIR)/vguest.c $(G5_DIR)/vguest.h $(G5_DIR)/vguest.ld
VGUEST_CC = $(RVCC) -O1 -g $(RVARCH) -ffreestanding -nostdlib -static -no-pie \
  -Wall -Wextra -Wl,--no-warn-rwx-segments -I$(G5_DIR) -T $(G5_DIR)/vguest.ld \
  $(G5_DIR)/vguest.S $(G5_DIR)/vguest.c
$(BUILD)/guests/sbitest.elf: $(G5_DIR)/sbitest.c $(VGUEST_RT) $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(VGUEST_CC) $< -o $@
$(BUILD)/guests/hostile5.elf: tests/guests/hostile5.c $(VGUEST_RT) $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(VGUEST_CC) $< -o $@
VGUESTS := $(BUILD)/guests/sbitest.elf $(BUILD)/guests/hostile5.elf
# Stage 5 without GUEST= runs sbitest, carried in the hypervisor's image
# as a guest package (step5-devices/guest_pkg.S) of its raw image, .bss
# included.
$(BUILD)/gen/sbitest.bin: $(BUILD)/guests/sbitest.elf
	@mkdir -p $(@D)
	$(Q)$(CROSS)objcopy -O binary --set-section-flags .bss=alloc,load,contents $< $@
$(BUILD)/obj/step5-devices/guest_pkg.o: $(BUILD)/gen/sbitest.bin
# Two more, in assembly: smp_pair (two harts: HSM hart_start, exits from
# vCPU 1; the monitor's test) and ticks (timer ticks with and without Sstc;
# labs/step5-devices.md).
$(BUILD)/guests/smp_pair.elf $(BUILD)/guests/ticks.elf: $(BUILD)/guests/%.elf: \
    tests/guests/%.S tests/guests/sbi_hello.ld $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  AS      $@"
	$(Q)$(RVCC) $(RVARCH) -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments \
	  -T tests/guests/sbi_hello.ld $< -o $@
# (Only where tests/ is: the student edition has none.)
TEST_GUESTS := $(if $(wildcard tests/guests/sbi_hello.c),$(BUILD)/guests/sbi_hello.elf \
  $(BUILD)/guests/sbi_hello.bin $(BUILD)/guests/vblk_guest.elf $(VGUESTS) \
  $(BUILD)/guests/smp_pair.elf $(BUILD)/guests/ticks.elf)
all: $(TEST_GUESTS)
# Stage 5's device test (tests/guests/devtest*), an S-mode program for virt
# that tests the UART, the PLIC and the power-off device from inside.
$(BUILD)/guests/devtest.elf: tests/guests/devtest.S tests/guests/devtest.c \
    tests/guests/devtest.ld $(BUILD)/rvflags | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(RVCC) -O1 -g $(RVARCH) -ffreestanding -nostdlib -static -no-pie \
	  -Wall -Wextra -Wl,--no-warn-rwx-segments -T tests/guests/devtest.ld \
	  tests/guests/devtest.S tests/guests/devtest.c -o $@
all: $(if $(wildcard tests/guests/devtest.c),$(BUILD)/guests/devtest.elf)

# `make bench`'s own guests (bench/guests/): S-mode programs for virt that
# stage 5 boots from a package like any GUEST=. uartbench stores to the
# UART; timer-MODE-IDLE-TICKS takes TICKS timer interrupts, programming
# stimecmp itself (MODE sstc) or through SBI set_timer (MODE sbi), waiting
# for each with wfi (IDLE wfi) or spinning (IDLE spin).
BG_DIR := bench/guests
BG_FLAGS = -O1 -g $(RVARCH) -Iinclude -ffreestanding -nostdlib -static -no-pie \
  -Wall -Wextra -Wl,--no-warn-rwx-segments -T $(BG_DIR)/guest.ld
BG_DEPS := $(BG_DIR)/start.S $(BG_DIR)/guest.h $(BG_DIR)/guest.ld include/hvlab/sbi_ids.h \
  $(BUILD)/rvflags
$(BUILD)/bench-guests/uartbench.elf: $(BG_DIR)/uartbench.c $(BG_DEPS) | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(RVCC) $(BG_FLAGS) $(BG_DIR)/start.S $< -o $@
$(BUILD)/bench-guests/timer-%.elf: $(BG_DIR)/timerbench.c $(BG_DEPS) | deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(RVCC) $(BG_FLAGS) -DSSTC=$(if $(filter sstc,$(word 1,$(subst -, ,$*))),1,0) \
	  -DWFI=$(if $(filter wfi,$(word 2,$(subst -, ,$*))),1,0) \
	  -DTICKS=$(word 3,$(subst -, ,$*)) $(BG_DIR)/start.S $< -o $@
BENCH_GUESTS := $(if $(wildcard $(BG_DIR)/uartbench.c),$(BUILD)/bench-guests/uartbench.elf \
  $(foreach m,sstc sbi,$(foreach i,wfi spin,$(foreach k,100 200,\
    $(BUILD)/bench-guests/timer-$(m)-$(i)-$(k).elf))))
.PHONY: bench-guests
bench-guests: $(BENCH_GUESTS)


# ---- Running a stage in QEMU -------------------------------------------------
QEMU := qemu-system-riscv64
# 256 MiB: stage 4 backs its guest's 128 MiB of RAM with host memory (the
# test harness, grader and monitor use the same size: hostlib/qemu.c).
QEMU_MEM := 256M
QEMU_CPU = rv64,h=$(if $(filter off,$(H)),false,true)
# GUEST=image (stage 4 on): a guest from a file. tools/guestpack checks it
# (raw binary or ELF) and packages it with GUEST_ARGS and GUEST_INITRD;
# QEMU loads the package with -initrd, and the hypervisor finds it there.
GUEST ?=
GUEST_ARGS ?=
GUEST_INITRD ?=
GUEST_PKG := $(BUILD)/guest.pkg
# GUEST_HARTS=n (stage 5): the guest's harts, 1-4; each vCPU has a physical
# hart of its own, so QEMU gets -smp n.
GUEST_HARTS ?= 1
ifneq ($(filter-out 1 2 3 4,$(GUEST_HARTS))$(words $(GUEST_HARTS)),1)
$(error GUEST_HARTS must be 1, 2, 3 or 4, not '$(GUEST_HARTS)')
endif
check-harts = $(if $(filter-out 1,$(GUEST_HARTS)),$(if $(filter 5,$(STEP)),,$(error GUEST_HARTS= needs STEP=5)))
# GUEST_DISK=file (stage 5): a raw disk image for the guest's virtio block
# device. QEMU gets it as a virtio-blk-device with the modern transport,
# which the hypervisor drives (step5-devices/hostblk.c): the guest's writes
# reach the file. (hostlib/qemu.c's `disk` gives QEMU the same options.)
GUEST_DISK ?=
comma := ,
check-disk = $(if $(value GUEST_DISK),$(if $(filter 5,$(STEP)),,$(error GUEST_DISK= needs STEP=5))$(if \
  $(findstring ',$(value GUEST_DISK))$(findstring $$,$(value GUEST_DISK)),$(error \
  GUEST_DISK: a file name with a ' or a $$ in it is not supported)))
disk-ok = $(if $(GUEST_DISK),f='$(GUEST_DISK)'; \
  if [ ! -e "$$f" ]; then echo "hvlab: GUEST_DISK=$$f: no such file" >&2; exit 2; \
  elif [ ! -f "$$f" ]; then echo "hvlab: GUEST_DISK=$$f: not a regular file" >&2; exit 2; \
  elif [ ! -r "$$f" ] || [ ! -w "$$f" ]; then \
    echo "hvlab: GUEST_DISK=$$f: must be readable and writable" >&2; exit 2; fi &&)
DISKOPTS = $(if $(GUEST_DISK),-global virtio-mmio.force-legacy=false \
  -drive 'file=$(subst $(comma),$(comma)$(comma),$(GUEST_DISK))$(comma)if=none$(comma)format=raw$(comma)id=hvdisk' \
  -device virtio-blk-device$(comma)drive=hvdisk)
QEMUOPTS = -M virt -cpu $(QEMU_CPU) -m $(QEMU_MEM) -smp $(GUEST_HARTS) -nographic -bios default \
  -kernel $(BUILD)/step$(STEP)/hv.elf $(if $(HVLAB_ARGS),-append "$$HVLAB_ARGS") \
  $(if $(GUEST),-initrd $(GUEST_PKG)) $(DISKOPTS)
check-guest = $(if $(GUEST),$(if $(filter 4 5,$(STEP)),,$(error GUEST= needs STEP=4 or later)))
# Package the guest (an error stops make before QEMU starts). GUEST_ARGS
# goes the way ARGS goes: raw, through the environment, one quoted word.
export HVLAB_GUEST_ARGS := $(value GUEST_ARGS)
unexport GUEST_ARGS
# (A guest from Debian's u-boot-qemu package is installed with it, like
# every other dependency.)
pack-guest = $(if $(filter /usr/lib/u-boot/%,$(GUEST)),mk/deps.sh u-boot-qemu &&) \
  $(if $(GUEST),$(BUILD)/host/guestpack --args "$$HVLAB_GUEST_ARGS" \
  $(if $(GUEST_INITRD),--initrd '$(GUEST_INITRD)') '$(GUEST)' $(GUEST_PKG) &&)
check-step = $(if $(filter $(STEP),$(PRESENT)),,$(error stage $(STEP) does not exist yet (present: $(PRESENT))))

qemu run: deps-qemu
	$(call check-step)
	$(call check-guest)
	$(call check-harts)
	$(call check-disk)
	$(Q)$(disk-ok) true
	$(Q)$(MAKE) --no-print-directory $(BUILD)/step$(STEP)/hv.elf $(if $(GUEST),$(BUILD)/host/guestpack)
	$(Q)$(pack-guest) true
	@echo "hvlab: booting stage $(STEP) in QEMU (Ctrl-A X quits)"
	@# QEMU quit with Ctrl-A X exits with status 0 too, after printing
	@# "QEMU: Terminated": the console goes through tee to tell them apart.
	$(Q)log=$(BUILD)/step$(STEP)/console.log; \
	  { $(QEMU) $(QEMUOPTS); echo $$? > $$log.status; } | tee $$log; \
	  st=$$(cat $$log.status); rm -f $$log.status; \
	  if [ "$$st" = 0 ] && tail -c 24 $$log | grep -q 'QEMU: Terminated'; then \
	    echo "hvlab: QEMU was quit (Ctrl-A X) before the stage powered off: no verdict"; exit 130; fi; \
	  echo "hvlab: QEMU exited with status $$st"; exit $$st

step1 step2 step3 step4 step5:
	$(Q)$(MAKE) --no-print-directory qemu STEP=$(subst step,,$@)

# `make qemu-gdb` picks a free TCP port, writes .gdbinit for `make gdb`, and
# starts QEMU halted at its first instruction (-S) with a gdbstub there.
qemu-gdb: deps-qemu $(BUILD)/host/freeport $(BUILD)/gdb/target.xml
	$(call check-step)
	$(call check-guest)
	$(call check-harts)
	$(call check-disk)
	$(Q)$(disk-ok) true
	$(Q)$(MAKE) --no-print-directory $(BUILD)/step$(STEP)/hv.elf $(if $(GUEST),$(BUILD)/host/guestpack)
	$(Q)$(pack-guest) port=$$($(BUILD)/host/freeport) && \
	  sed -e "s|@ELF@|$(BUILD)/step$(STEP)/hv.elf|" -e "s|@PORT@|$$port|" \
	      -e "s|@STEP@|$(STEP)|" -e "s|@TDESC@|$(BUILD)/gdb/target.xml|" \
	      mk/gdbinit.in > .gdbinit && \
	  echo "hvlab: stage $(STEP) halted; gdbstub on localhost:$$port." && \
	  echo "hvlab: run 'make gdb' in another terminal (Ctrl-A X quits QEMU)." && \
	  $(QEMU) $(QEMUOPTS) -S -gdb tcp:localhost:$$port

gdb: deps-gdb
	@test -f .gdbinit || { echo "hvlab: no .gdbinit: run 'make qemu-gdb STEP=N' in another terminal first" >&2; exit 1; }
	$(Q)gdb-multiarch -q -nx -x .gdbinit

# ---- Host programs: shared library, tests (and later monitor, grader) -----
HOSTCC ?= cc
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
# gcc's manual warns that the sanitizers raise false positives in its
# flow-based warnings; these two fire on checked pointers under SAN=1 only.
# The plain build keeps every warning. (clang has neither warning.)
SANWARN := $(if $(findstring clang,$(shell $(HOSTCC) --version 2>/dev/null)),,\
  -Wno-format-overflow -Wno-format-truncation)
endif
HOSTCFLAGS := -std=c11 -Wall -Wextra -O2 -g -D_GNU_SOURCE -Iinclude -Ihostlib -MMD -MP \
  $(SANFLAGS) $(SANWARN)
HOSTLDFLAGS := $(SANFLAGS)
HOSTLIB_OBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(wildcard hostlib/*.c))
HOSTLIBS := -lelf -ldw

$(BUILD)/hostflags: FORCE
	@mkdir -p $(@D)
	@echo '$(HOSTCC) $(HOSTCFLAGS) $(HOSTLDFLAGS)' | cmp -s - $@ || \
	  echo '$(HOSTCC) $(HOSTCFLAGS) $(HOSTLDFLAGS)' > $@
$(BUILD)/host/obj/%.o: %.c $(BUILD)/hostflags | deps-host
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@
$(BUILD)/host/libhvhost.a: $(HOSTLIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
-include $(shell find $(BUILD)/host -name '*.d' 2>/dev/null)

$(BUILD)/host/freeport: $(BUILD)/host/obj/tools/freeport.o $(BUILD)/host/obj/hostlib/net.o
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS)
$(BUILD)/host/gdbxml: $(BUILD)/host/obj/tools/gdbxml.o $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS)
$(BUILD)/host/labcheck: $(BUILD)/host/obj/tools/labcheck.o $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS)
$(BUILD)/host/guestpack: $(BUILD)/host/obj/tools/guestpack.o
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ -lelf
# The target description .gdbinit loads (see tools/gdbxml.c for why).
$(BUILD)/gdb/target.xml: $(BUILD)/host/gdbxml
	@mkdir -p $(@D)
	$(Q)$< > $@

# The student edition's builder reads the task table the grader uses.
$(BUILD)/host/handout: $(BUILD)/host/obj/tools/handout.o $(BUILD)/host/obj/grader/tasks.o \
  $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS)

TEST_OBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(wildcard tests/*.c))
# (The tests read the task table, grader/tasks.c, like the grader.)
$(BUILD)/host/run-tests: $(TEST_OBJS) $(BUILD)/host/obj/grader/tasks.o $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS) -lpthread

GRADER_OBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(wildcard grader/*.c))
$(BUILD)/host/grade: $(GRADER_OBJS) $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS) -lpthread

MONITOR_OBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(wildcard monitor/*.c))
$(BUILD)/host/monitor: $(MONITOR_OBJS) $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS) -lncurses -lpthread

BENCH_OBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(wildcard bench/*.c))
$(BUILD)/host/bench: $(BENCH_OBJS) $(BUILD)/host/libhvhost.a
	$(Q)$(HOSTCC) $(HOSTLDFLAGS) -o $@ $^ $(HOSTLIBS) -lpthread

# (The student edition has no tests/, bench/, tools/handout.c or
# tools/labcheck.c: the programs they make are only built where they are.)
HOST_PROGS := $(BUILD)/host/freeport $(if $(TEST_OBJS),$(BUILD)/host/run-tests) \
  $(if $(BENCH_OBJS),$(BUILD)/host/bench) $(BUILD)/gdb/target.xml \
  $(if $(wildcard tools/labcheck.c),$(BUILD)/host/labcheck) \
  $(if $(wildcard tools/handout.c),$(BUILD)/host/handout) \
  $(if $(wildcard tools/guestpack.c),$(BUILD)/host/guestpack) \
  $(if $(GRADER_OBJS),$(BUILD)/host/grade) $(if $(MONITOR_OBJS),$(BUILD)/host/monitor)
host: $(HOST_PROGS)

# `make test`: every present stage, the host tools, then the test runner.
# T=name runs only the tests whose name contains it.
# SAN=1: the same tests, with every host program they run built with the
# sanitizers (into build-san/). A report ends the program that hits it
# with status 66, which no test expects of any program; ASan's reports
# (leaks included) also go to a file under build-san/san-log/, as a test
# may be capturing the stderr they would go to: any file there fails the
# run too. (UBSan, a separate runtime under gcc, always writes to stderr.)
SANLOG := $(CURDIR)/$(BUILD)/san-log
SANENV := ASAN_OPTIONS=detect_leaks=1:exitcode=66:log_path=$(SANLOG)/asan \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=66
test: deps-build deps-qemu deps-host deps-gdb
	$(Q)mk/deps.sh tmux clang-format u-boot-qemu  # the monitor's screen runs in tmux; style check; U-Boot, a guest
	$(Q)$(MAKE) --no-print-directory all
	@test -d tests || { echo "hvlab: this edition has no tests of its own: run make grade" >&2; exit 2; }
ifeq ($(SAN),1)
	$(Q)rm -rf $(SANLOG) && mkdir -p $(SANLOG)
	$(Q)HVLAB_BUILD=$(BUILD) $(SANENV) $(BUILD)/host/run-tests $(T); st=$$?; \
	  if [ -n "$$(ls -A $(SANLOG))" ]; then cat $(SANLOG)/*; \
	    echo "hvlab: sanitizer reports (above, and in $(BUILD)/san-log/)" >&2; st=1; \
	  else echo "hvlab: no sanitizer reports"; fi; exit $$st
else
	$(Q)HVLAB_BUILD=$(BUILD) $(BUILD)/host/run-tests $(T)
endif

# `make grade` grades every present stage; STEP=N grades one; T=name runs the
# tests whose name contains it. GRADEFLAGS passes more options (see
# build/host/grade --help), e.g. GRADEFLAGS="--json results.json".
#
# A stage that does not compile is still graded (0 for its tests, with the
# compiler's first errors shown): each stage is built on its own, into
# $(BUILD)/stepN/build.log, and an image its build could not refresh is
# removed, so the grader never runs an image older than its sources.
GRADE_STEPS = $(if $(filter command line environment,$(origin STEP)),$(STEP),$(PRESENT))
grade: deps-build deps-qemu deps-host $(if $(filter 5,$(GRADE_STEPS)),deps-uboot)
	$(Q)$(MAKE) --no-print-directory $(BUILD)/host/grade guests
	$(Q)for n in $(GRADE_STEPS); do \
	  mkdir -p $(BUILD)/step$$n; \
	  if ! $(MAKE) --no-print-directory $(BUILD)/step$$n/hv.elf \
	      > $(BUILD)/step$$n/build.log 2>&1; then \
	    rm -f $(BUILD)/step$$n/hv.elf; \
	    echo "hvlab: stage $$n does not build (the grader shows why; all of it: $(BUILD)/step$$n/build.log)"; \
	  fi; \
	done
	$(Q)HVLAB_BUILD=$(BUILD) $(BUILD)/host/grade \
	  $(if $(filter command line environment,$(origin STEP)),--step $(STEP)) \
	  $(if $(T),--test $(T)) $(GRADEFLAGS)

.PHONY: no-edition
no-edition:
	@test -f tools/handout.c || { echo "hvlab: this is a student edition; make handout and make gradescope run in the reference tree" >&2; exit 2; }

# `make gradescope [STEP=N]`: a Gradescope autograder zip: setup.sh,
# run_autograder and the student edition (tools/handout.c --gradescope).
GRADESCOPE := $(BUILD)/gradescope
.PHONY: gradescope
gradescope: deps-host no-edition $(BUILD)/host/handout
	$(Q)mk/deps.sh zip
	$(Q)rm -f $(GRADESCOPE)/autograder.zip
	$(Q)$(BUILD)/host/handout --gradescope $(GRADESCOPE)/autograder \
	  $(if $(filter command line environment,$(origin STEP)),--step $(STEP))
	$(Q)cd $(GRADESCOPE)/autograder && zip -qr ../autograder.zip .
	@echo "hvlab: upload $(GRADESCOPE)/autograder.zip to Gradescope (Configure Autograder, zip file upload)"

# `make handout [STEP=N] [HANDOUT=dir]`: the student edition (tools/handout.c):
# every task's solution replaced by a stub that stops the run naming the task.
HANDOUT ?= $(BUILD)/handout
.PHONY: handout
handout: deps-host no-edition $(BUILD)/host/handout
	$(Q)$(BUILD)/host/handout --out $(HANDOUT) \
	  $(if $(filter command line environment,$(origin STEP)),--step $(STEP))

# `make bench`: exact instruction counts and same-run ratios (bench/).
# B=name runs only the benchmarks whose name contains it.
# The exit-cost figure is for the optimised build (OPT=1, build-opt/), which
# this builds itself; the teaching build is measured beside it.
bench: deps-build deps-qemu deps-host deps-gdb
	$(Q)mk/deps.sh u-boot-qemu  # the boot-time benchmark's guest
	$(Q)$(MAKE) --no-print-directory stages $(BUILD)/host/bench $(BUILD)/host/guestpack bench-guests
	$(Q)$(MAKE) --no-print-directory OPT=1 stages
	$(Q)HVLAB_BUILD=$(BUILD) HVLAB_BUILD_OPT=build-opt $(BUILD)/host/bench $(B)

# `make demo`: the lecture demo, stage 3's demo guest in the monitor.
demo: deps-build deps-qemu deps-host
	$(Q)$(MAKE) --no-print-directory $(BUILD)/step3/hv.elf $(BUILD)/host/monitor
	$(Q)$(BUILD)/host/monitor --elf $(BUILD)/step3/hv.elf --append guest=demo $(MONITORFLAGS)

# `make monitor STEP=N`: boot stage N under QEMU with the monitor attached.
# GUEST=image (stage 4 on) packs the guest as `make qemu` does;
# GUEST_HARTS=n (stage 5) gives QEMU n harts, as `make qemu` does.
monitor: deps-build deps-qemu deps-host
	$(call check-step)
	$(call check-guest)
	$(call check-disk)
	$(call check-harts)
	$(Q)$(disk-ok) true
	$(Q)$(MAKE) --no-print-directory $(BUILD)/step$(STEP)/hv.elf $(BUILD)/host/monitor \
	  $(if $(GUEST),$(BUILD)/host/guestpack)
	$(Q)$(pack-guest) $(BUILD)/host/monitor --elf $(BUILD)/step$(STEP)/hv.elf \
	  $(if $(GUEST),--initrd $(GUEST_PKG)) $(if $(GUEST_DISK),--disk '$(GUEST_DISK)') \
	  --smp $(GUEST_HARTS) $(MONITORFLAGS)

compdb: deps-build deps-host
	$(Q)mk/deps.sh bear
	$(Q)bear --output compile_commands.json -- $(MAKE) --no-print-directory -B all
	@echo "hvlab: wrote compile_commands.json"

# `make labs`: rewrite the handouts' file:line references and gdb
# transcripts from the code (tools/labcheck.c; make test checks them).
.PHONY: labs
labs: deps-build deps-qemu deps-host deps-gdb
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BUILD)/host/labcheck --update --build $(BUILD)

# `make format`: rewrite every C file to .clang-format (make test checks it).
.PHONY: format
format:
	$(Q)mk/deps.sh clang-format
	$(Q)find runtime step1-vmxon step2-vmcs step3-guest step4-mem step5-devices \
	  include hostlib grader monitor bench tests fuzz tools -name '*.[ch]' \
	  2>/dev/null | xargs clang-format -i

clean:
	rm -rf $(BUILD) build build-opt build-san build-opt-san .gdbinit compile_commands.json

# ---- Fuzzing -----------------------------------------------------------------
# `make fuzz`: each target under libFuzzer (clang) with ASan and UBSan (any
# undefined behaviour is a crash) for FUZZ_SECONDS; each corpus grows in
# $(BUILD)/fuzz-corpus/NAME. FUZZ=name runs one target. The targets:
#   rsp   hostlib's GDB remote-protocol packet decoder and reply parsers
#   elf   hostlib's ELF symbol reader (elfsym.c), on arbitrary files
#   dtb   the hypervisor's device-tree reader (runtime/riscv/dtb.c),
#         compiled for the host as tests/test_dtb.c does
#   bootargs  the hypervisor's boot-argument parser (runtime/riscv/
#         bootargs.c), as soon as fuzz/fuzz_bootargs.c exists (see below)
# `make fuzz-NAME` is `make fuzz FUZZ=NAME`.
.PHONY: fuzz deps-fuzz
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := rsp elf dtb
FUZZ ?= $(FUZZ_TARGETS)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Ihostlib \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS_rsp := fuzz/fuzz_rsp.c hostlib/rsp.c hostlib/rsp_regs.c hostlib/rvnames.c
FUZZ_DEPS_rsp := fuzz/rsp_props.h hostlib/rsp.h
FUZZ_SRCS_elf := fuzz/fuzz_elf.c hostlib/elfsym.c hostlib/file.c
FUZZ_DEPS_elf := hostlib/elfsym.h hostlib/file.h
FUZZ_LIBS_elf := -lelf
FUZZ_SRCS_dtb := fuzz/fuzz_dtb.c
FUZZ_DEPS_dtb := runtime/riscv/dtb.c runtime/riscv/defs.h runtime/riscv/types.h
# >>> The boot-argument parser's target: it comes with the parser itself
# >>> (fuzz_bootargs.c includes runtime/riscv/bootargs.c, as fuzz_dtb.c
# >>> includes dtb.c), and is fuzzed from the moment it is in the tree.
ifneq ($(wildcard fuzz/fuzz_bootargs.c),)
FUZZ_TARGETS += bootargs
FUZZ_SRCS_bootargs := fuzz/fuzz_bootargs.c
FUZZ_DEPS_bootargs := fuzz/bootargs_props.h runtime/riscv/bootargs.c \
  runtime/riscv/bootargs.h runtime/riscv/defs.h runtime/riscv/types.h
endif

deps-fuzz:
	$(Q)mk/deps.sh clang libclang-rt-dev libelf-dev
define FUZZ_RULE
$(BUILD)/fuzz/fuzz_$(1): $(FUZZ_SRCS_$(1)) $(FUZZ_DEPS_$(1)) | deps-fuzz
	@mkdir -p $$(@D)
	@echo "  CLANG   $$@"
	$(Q)clang $(FUZZ_CFLAGS) $(FUZZ_SRCS_$(1)) -o $$@ $(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULE,$(t))))

# Seeds, when they can be had: a stage's image for the ELF reader, QEMU's
# own device tree (cut to its totalsize) for the DTB reader.
fuzz-seeds:
	$(Q)mkdir -p $(BUILD)/fuzz $(BUILD)/fuzz-corpus/elf $(BUILD)/fuzz-corpus/dtb
	$(Q)if [ -f $(BUILD)/step1/hv.elf ]; then \
	  cp $(BUILD)/step1/hv.elf $(BUILD)/fuzz-corpus/elf/seed-step1; fi
	$(Q)d=$(BUILD)/fuzz/virt.dtb; if [ ! -f $(BUILD)/fuzz-corpus/dtb/seed-virt ] && \
	  $(QEMU) -M virt,dumpdtb=$$d -cpu rv64,h=true -m 128M -nographic \
	    >/dev/null 2>&1; then \
	  n=$$(od -An -tx1 -j4 -N4 $$d | tr -d ' \n'); \
	  head -c $$((0x$$n)) $$d > $(BUILD)/fuzz-corpus/dtb/seed-virt; rm -f $$d; fi
.PHONY: fuzz-seeds

fuzz-%:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ=$*
fuzz: $(foreach t,$(FUZZ),$(BUILD)/fuzz/fuzz_$(t)) fuzz-seeds
	$(Q)for t in $(FUZZ); do \
	  mkdir -p $(BUILD)/fuzz-corpus/$$t && \
	  echo "hvlab: fuzzing $$t for $(FUZZ_SECONDS) s" && \
	  $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 $(BUILD)/fuzz-corpus/$$t 2>$(BUILD)/fuzz/$$t.log; \
	  st=$$?; grep -E '^(stat::number_of_executed_units|INFO: Running)' \
	    $(BUILD)/fuzz/$$t.log | sed "s/^/  $$t: /"; \
	  if [ $$st != 0 ]; then cat $(BUILD)/fuzz/$$t.log; \
	    echo "hvlab: fuzz target $$t failed (input saved as ./crash-*)" >&2; \
	    exit 1; fi; \
	done
