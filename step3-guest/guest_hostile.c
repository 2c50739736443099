// Stage 3: hostile guests (guest=hostile hostile=NAME). Each misbehaves in
// one way -- writes over the hypervisor, runs what only HS-mode may run,
// passes bad hypercall arguments, overflows its stack, drives devices
// directly, spins -- so that tests/test_hostile.c can check what stage 3
// does about each: a report that names the cause, a status that is not a
// pass, or, where stage 3 cannot stop it (its guests share the machine's
// memory: no G-stage yet), the documented outcome (labs/step3-guest.md).
//
// The one-instruction guests are in guest_hostile_asm.S; those that make
// hypercalls or need a stack are here. `make step3 ARGS=help` lists all.

#include "guest.h"
#include "hypercall.h"

// ---- written in C ------------------------------------------------------------

// Forge the workbench's results: hvlab's counters are hypervisor data,
// and a stage 3 guest can write any of it.
static void write_data(void) {
  hvlab.tests_passed = 1000;
  gshutdown(0);
}

// Recurse 24 KB deep on the 16 KB stack: the last 8 KB land in the guard
// below guest_stack (not in the hypervisor's data), and the hypervisor
// finds them there when the guest stops.
static long deep(long n) {
  volatile char frame[1024];
  frame[0] = (char)n;
  if (n == 0)
    return frame[0];
  return deep(n - 1) + frame[0];
}
static void stack_overflow(void) {
  gputs("recursing 24 KB deep on a 16 KB stack\n");
  long r = deep(24);
  gputdec(r);
  gputs(" (the recursion came back)\n");
  gshutdown(0);
}

// An SBI call and its expected error, as a test the hypervisor counts.
static int expect(const char *name, struct sbiret r, long error) {
  return gtest(name, r.error == error);
}

static void srst_bad_type(void) {
  int bad = 0;
  bad += !expect("SRST type 99 is refused",
                 gcall(SBI_EXT_SRST, SBI_SRST_RESET, 99, 0),
                 SBI_ERR_INVALID_PARAM);
  bad += !expect("SRST type ~0 is refused",
                 gcall(SBI_EXT_SRST, SBI_SRST_RESET, ~0UL, 0),
                 SBI_ERR_INVALID_PARAM);
  gshutdown(bad);
}

static void srst_bad_reason(void) {
  int bad = 0;
  bad +=
      !expect("SRST reason 2 is refused",
              gcall(SBI_EXT_SRST, SBI_SRST_RESET, 0, 2), SBI_ERR_INVALID_PARAM);
  bad += !expect("SRST reason 0x100000000 is refused",
                 gcall(SBI_EXT_SRST, SBI_SRST_RESET, 0, 1UL << 32),
                 SBI_ERR_INVALID_PARAM);
  gshutdown(bad);
}

static void srst_bad_fid(void) {
  int bad = 0;
  bad += !expect("SRST function 1 is not supported",
                 gcall(SBI_EXT_SRST, 1, 0, 0), SBI_ERR_NOT_SUPPORTED);
  bad += !expect("SRST function ~0 is not supported",
                 gcall(SBI_EXT_SRST, ~0UL, 0, 0), SBI_ERR_NOT_SUPPORTED);
  gshutdown(bad);
}

// A reboot is not a clean shutdown: stage 3 stops the guest, as failed.
static void srst_reboot(void) {
  gcall(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_COLD_REBOOT,
        SBI_SRST_REASON_NONE);
  gputs("still running after a reboot request\n");
  gshutdown(1);
}

static void srst_failure(void) { gshutdown(1); }

static void base_probe(void) {
  static const struct {
    u64 eid;
    long want;
  } probes[] = {
      {0, 0},  // legacy set_timer: stage 3 has no timer
      {SBI_EXT_LEGACY_PUTCHAR, 1},
      {SBI_EXT_BASE, 1},
      {SBI_EXT_HVLAB, 1},
      {SBI_EXT_HVLAB + 1, 0},
      {SBI_EXT_TIME, 0},
      {~0UL, 0},
      {1UL << 63, 0},
  };
  int bad = 0;
  for (unsigned i = 0; i < ARRAY_SIZE(probes); i++) {
    struct sbiret r = gcall(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, probes[i].eid, 0);
    if (r.error != 0 || r.value != probes[i].want) {
      gputs("probe of ");
      gputhex(probes[i].eid);
      gputs(" answered ");
      gputdec(r.value);
      gputs("\n");
      bad++;
    }
  }
  gtest("BASE probe of odd extension ids", bad == 0);
  gshutdown(bad);
}

// The seed call with the largest a0 values: no overflow in the limit check.
static void seed_max(void) {
  gcall(SBI_EXT_HVLAB, HVLAB_SEED, ~0UL, 2);       // a0 + 1 wraps to 0: goes on
  gcall(SBI_EXT_HVLAB, HVLAB_SEED, ~0UL >> 1, 2);  // LONG_MAX: stops it
  gputs("seed call with a0 = LONG_MAX did not stop the guest\n");
  gshutdown(1);
}

static void bad_ext(void) {
  int bad = 0;
  bad += !expect("extension ~0 is not supported", gcall(~0UL, 0, 0, 0),
                 SBI_ERR_NOT_SUPPORTED);
  bad += !expect("hvlab function 99 is not supported",
                 gcall(SBI_EXT_HVLAB, 99, 0, 0), SBI_ERR_NOT_SUPPORTED);
  bad += !expect("BASE function ~0 is not supported",
                 gcall(SBI_EXT_BASE, ~0UL, 0, 0), SBI_ERR_NOT_SUPPORTED);
  gshutdown(bad);
}

static void count_lie(void) {
  gcall(SBI_EXT_HVLAB, HVLAB_COUNT, 12345, 0);
  gshutdown(0);
}

static void getchar(void) {
  struct sbiret r = gcall(SBI_EXT_LEGACY_GETCHAR, 0, 0, 0);
  gshutdown(!gtest("getchar with nothing typed answers -1", r.error == -1));
}

// ---- the table -------------------------------------------------------------

// The assembly guests (guest_hostile_asm.S).
void hostile_write_text(void), hostile_write_rodata(void),
    hostile_patch_text(void), hostile_csr_hgatp(void),
    hostile_csr_hstatus(void), hostile_csr_mstatus(void),
    hostile_hfence_gvma(void), hostile_hfence_vvma(void), hostile_hlv(void),
    hostile_sret(void), hostile_mret(void), hostile_wfi(void),
    hostile_sfence(void), hostile_illegal(void), hostile_unimp(void),
    hostile_fp(void), hostile_misaligned_load(void),
    hostile_misaligned_store(void), hostile_misaligned_amo(void),
    hostile_lr_sc(void), hostile_amo_mmio(void), hostile_load_unmapped(void),
    hostile_store_opensbi(void), hostile_jump_unmapped(void),
    hostile_jump_zero(void), hostile_uart(void), hostile_poweroff_pass(void),
    hostile_poweroff_256(void), hostile_reset(void), hostile_spin(void);

#define A(name, what)                                                          \
  { #name, hostile_##name, what }
#define C(name, what)                                                          \
  { #name, name, what }
const struct hostile_guest hostile_guests[] = {
    A(write_text, "writes the hypervisor's code (.text)"),
    A(write_rodata, "writes a hypervisor constant (.rodata)"),
    A(patch_text, "breaks the hypervisor's vcpu_dump, then needs a dump"),
    C(write_data, "writes hypervisor data: hvlab.tests_passed = 1000"),
    A(csr_hgatp, "reads hgatp, an HS-mode CSR"),
    A(csr_hstatus, "writes hstatus, an HS-mode CSR"),
    A(csr_mstatus, "reads mstatus, an M-mode CSR"),
    A(hfence_gvma, "runs hfence.gvma"),
    A(hfence_vvma, "runs hfence.vvma"),
    A(hlv, "runs hlv.d, a hypervisor load"),
    A(sret, "runs sret"),
    A(mret, "runs mret"),
    A(wfi, "runs wfi"),
    A(sfence, "runs sfence.vma (allowed), then shuts down"),
    A(illegal, "runs an all-zero instruction word"),
    A(unimp, "runs unimp (a write to the read-only cycle CSR)"),
    A(fp, "reads fcsr with the FPU off"),
    A(misaligned_load, "loads 8 bytes from an odd address"),
    A(misaligned_store, "stores 8 bytes to an odd address"),
    A(misaligned_amo, "runs amoadd.w on an address that is 2 mod 4"),
    A(lr_sc, "runs lr.d/sc.d on its own data (allowed)"),
    A(amo_mmio, "runs amoswap.w on the UART's registers"),
    A(load_unmapped, "loads from 0x90000000, past the end of RAM"),
    A(store_opensbi, "stores to 0x80000000, OpenSBI's PMP-guarded memory"),
    A(jump_unmapped, "jumps to 0x90000000"),
    A(jump_zero, "jumps to address 0"),
    A(uart, "writes the UART directly, bypassing the SBI console"),
    A(poweroff_pass, "writes 'pass' to the sifive_test power-off device"),
    A(poweroff_256, "writes 'fail, status 256' to sifive_test"),
    A(reset, "writes 'reset' to sifive_test: the machine reboots"),
    A(spin, "spins forever without an exit"),
    C(stack_overflow, "recurses 24 KB deep on its 16 KB stack"),
    C(srst_bad_type, "SRST with reset types 99 and ~0"),
    C(srst_bad_reason, "SRST with reasons 2 and 1 << 32"),
    C(srst_bad_fid, "SRST functions 1 and ~0"),
    C(srst_reboot, "asks SRST for a cold reboot"),
    C(srst_failure, "shuts down through SRST reporting failure"),
    C(base_probe, "probes extension ids 0, ~0, 1 << 63 and others"),
    C(seed_max, "makes the seed call with a0 = ~0 and a0 = LONG_MAX"),
    C(bad_ext, "calls extension ~0 and unknown functions"),
    C(count_lie, "claims 12345 exits in the exit-count check"),
    C(getchar, "reads the console through the legacy getchar"),
    {NULL, NULL, NULL},
};
