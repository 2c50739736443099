// hostile5: an S-mode program for QEMU virt that misbehaves on purpose,
// for stage 5: device accesses of odd widths and to addresses where no
// device is, SBI calls with pointers into nothing and harts that do not
// exist, storms of interrupts and calls. Each case prints what it got (the
// error code, or the exception its own trap vector received) and whether
// that is what the specifications allow; a hypervisor must answer each with
// an error or a fault, never by crashing. Ends like sbitest: a summary
// line, then SRST shutdown.

#include "vguest.h"

#define UART 0x10000000UL
#define VIRTIO2 0x10002000UL  // virt's second virtio-mmio slot
#define CLINT 0x2000000UL

static u64 boot_hart;
static int nharts;
void _secondary(void);

// ---- Device accesses ------------------------------------------------------------
enum { LD, LW, LH, SD, SW, SH };
static const char *const op_name[] = {"ld", "lw", "lh", "sd", "sw", "sh"};

// One access; returns the scause it raised, or -1; *val what a load read.
static i64 access_(int op, u64 addr, u64 *val) {
  u64 v = 0;
  try_begin();
  switch (op) {
  case LD: asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(addr)); break;
  case LW: asm volatile("lw %0, 0(%1)" : "+r"(v) : "r"(addr)); break;
  case LH: asm volatile("lh %0, 0(%1)" : "+r"(v) : "r"(addr)); break;
  case SD: asm volatile("sd %0, 0(%1)" ::"r"(v), "r"(addr) : "memory"); break;
  case SW: asm volatile("sw %0, 0(%1)" ::"r"(v), "r"(addr) : "memory"); break;
  case SH: asm volatile("sh %0, 0(%1)" ::"r"(v), "r"(addr) : "memory"); break;
  }
  i64 c = try_end();
  *val = v;
  return c;
}

// An access whose outcome may be emulation (no trap) or one of the causes
// in `ok` (a -1-terminated list that may include -1 for "no trap").
static void mmio_case(const char *name, int op, u64 addr, const i64 *ok) {
  u64 v;
  i64 c = access_(op, addr, &v);
  begin(name);
  int fine = 0;
  for (const i64 *k = ok; *k != -2; k++)
    fine |= *k == c;
  if (c < 0 && op < SD)
    noted("%s %lx: no trap, read %lx", op_name[op], addr, v);
  else if (c < 0)
    noted("%s %lx: no trap", op_name[op], addr);
  else
    noted("%s %lx: scause %ld, stval %lx", op_name[op], addr, c,
          self()->exc_tval);
  char got[24];
  format(got, sizeof got, c < 0 ? "no trap" : "scause %ld", c);
  expect(fine, "%s %lx: %s, which the specs do not allow here", op_name[op],
         addr, got);
  end();
}

static void check_mmio(void) {
  // The UART's registers are bytes: a wider or misaligned access may be
  // emulated or refused with an access fault (or a misaligned fault), but
  // never leak as anything else.
  static const i64 load_ok[] = {-1, 4, 5, -2}, store_ok[] = {-1, 6, 7, -2};
  mmio_case("uart_ld_64bit", LD, UART, load_ok);
  mmio_case("uart_sw_32bit", SW, UART + 4, store_ok);  // MCR..SCR
  mmio_case("uart_lw_misaligned", LW, UART + 5, load_ok);
  mmio_case("uart_sh_misaligned", SH, UART + 7, store_ok);
  // Where the tree lists no device, there is none: an access fault.
  static const i64 load_af[] = {5, -2}, store_af[] = {7, -2};
  static const i64 any[] = {-1, -2};
  int there = dt_node_at(VIRTIO2);
  mmio_case("nodev_lw", LW, VIRTIO2, there ? any : load_af);
  mmio_case("nodev_sw", SW, VIRTIO2 + 0x70, there ? any : store_af);
  // virt's PCIe configuration space, natively (no device answers there)
  mmio_case("nodev_lh_far", LH, 0x3f000000UL,
            dt_node_at(0x30000000UL) ? load_ok : load_af);
  if (dt_node_at(CLINT)) {
    skip("clint", "the tree lists a CLINT: the firmware's, not poked");
  } else {
    mmio_case("clint_lw", LW, CLINT, load_af);
    mmio_case("clint_sw", SW, CLINT + 4 * boot_hart, store_af);
  }
}

// ---- Bad SBI arguments ------------------------------------------------------------
static void check_dbcn(void) {
  if (sbi(EXT_BASE, 3, EXT_DBCN, 0, 0).value == 0) {
    skip("dbcn_bad_pointers", "no DBCN");
    return;
  }
  u64 end_ram = dt.mem_base + dt.mem_size;
  begin("dbcn_bad_pointers");
  static const struct {
    const char *what;
    u64 fid, n, lo, hi;
  } bad[] = {
      {"write from 0", 0, 16, 0, 0},
      {"write from the UART", 0, 16, UART, 0},
      {"write from 0x100000000 (hi word)", 0, 16, 0, 1},
      {"write from 2^64-16", 0, 16, -16UL, 0},
      {"read into 0", 1, 16, 0, 0},
      {"read into the UART", 1, 16, UART, 0},
  };
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sbiret r = sbi(EXT_DBCN, bad[i].fid, bad[i].n, bad[i].lo, bad[i].hi);
    expect(r.error == ERR_INVALID_PARAM, "%s: error %ld value %ld, not -3",
           bad[i].what, r.error, r.value);
  }
  struct sbiret r = sbi(EXT_DBCN, 0, 16, end_ram, 0);
  expect(r.error == ERR_INVALID_PARAM, "write from %lx (past RAM): %ld",
         end_ram, r.error);
  r = sbi(EXT_DBCN, 1, 16, end_ram, 0);
  expect(r.error == ERR_INVALID_PARAM, "read into %lx (past RAM): %ld", end_ram,
         r.error);
  // Across the end of RAM: refused, or only what is in RAM written.
  char *tail = (char *)(end_ram - 8);
  const char *msg = "[dbcn]\r\n";
  for (int i = 0; i < 8; i++)
    tail[i] = msg[i];
  r = sbi(EXT_DBCN, 0, 4096, end_ram - 8, 0);
  expect(r.error == ERR_INVALID_PARAM || (r.error == 0 && r.value <= 8),
         "write across the end of RAM: error %ld value %ld", r.error, r.value);
  noted("across the end of RAM: error %ld value %ld", r.error, r.value);
  end();
}

static void check_hsm(void) {
  // (Should a hart start after all, it parks at _secondary.)
  begin("hsm_bad_harts");
  struct sbiret r = sbi(EXT_HSM, 0, 100, (u64)_secondary, 0);
  expect(r.error == ERR_INVALID_PARAM, "hart_start(100): %ld", r.error);
  r = sbi(EXT_HSM, 0, -1UL, (u64)_secondary, 0);
  expect(r.error == ERR_INVALID_PARAM, "hart_start(-1): %ld", r.error);
  r = sbi(EXT_HSM, 2, -1UL, 0, 0);
  expect(r.error == ERR_INVALID_PARAM, "hart_get_status(-1): %ld", r.error);
  r = sbi(EXT_HSM, 2, nharts, 0, 0);
  expect(r.error == ERR_INVALID_PARAM, "hart_get_status(%d): %ld", nharts,
         r.error);
  r = sbi(EXT_HSM, 3, 1, 0, 0);  // a reserved suspend type
  expect(r.error == ERR_INVALID_PARAM, "hart_suspend(type 1): %ld", r.error);
  r = sbi(EXT_IPI, 0, 1, 1000, 0);
  expect(r.error == ERR_INVALID_PARAM, "send_ipi(1, base 1000): %ld", r.error);
  end();

  // A hart id is an unsigned long: 2^32 + the boot hart's id is no hart.
  // (OpenSBI 1.1 cuts hart ids to 32 bits and answers for the boot hart;
  // asked to hart_start 1 << 63, it starts hart 0.)
  begin("hsm_hartid_upper_bits");
  r = sbi(EXT_HSM, 2, 1UL << 32 | boot_hart, 0, 0);
  expect(r.error == ERR_INVALID_PARAM,
         "hart_get_status(2^32 + %lu): error %ld value %ld, not -3", boot_hart,
         r.error, r.value);
  end();
}

// Calls no one implements, and functions past each extension's last one.
static void check_unknown_storm(void) {
  begin("sbi_unknown_storm");
  u64 x = 0x2545f4914f6cdd1dUL;
  int n = 0;
  for (int i = 0; i < 2000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    u64 eid = x & 0xffffffff, fid = x >> 40;
    // skip the ids that are defined or reserved for implementations
    if (eid < 0x10 || eid == EXT_BASE || eid == EXT_TIME || eid == EXT_IPI ||
        eid == EXT_RFENCE || eid == EXT_HSM || eid == EXT_SRST ||
        eid == EXT_PMU || eid == EXT_DBCN || eid == EXT_SUSP ||
        eid == EXT_CPPC || eid == EXT_NACL || eid == EXT_STA ||
        (eid >= 0x08000000 && eid <= 0x0AFFFFFF))
      continue;
    struct sbiret r = sbi6(eid, fid, x, ~x, x >> 3, x << 5, x, x);
    n++;
    expect(r.error == ERR_NOT_SUPPORTED, "extension %lx function %lx: %ld", eid,
           fid, r.error);
  }
  static const struct {
    u64 eid, first_bad;
  } past[] = {{EXT_BASE, 7}, {EXT_TIME, 1}, {EXT_IPI, 1}, {EXT_RFENCE, 7},
              {EXT_HSM, 4},  {EXT_SRST, 1}, {EXT_DBCN, 3}};
  for (unsigned i = 0; i < sizeof past / sizeof past[0]; i++)
    for (u64 f = past[i].first_bad; f < past[i].first_bad + 50; f++) {
      struct sbiret r = sbi(past[i].eid, f, 0, 0, 0);
      n++;
      expect(r.error == ERR_NOT_SUPPORTED, "extension %lx function %lu: %ld",
             past[i].eid, f, r.error);
    }
  noted("%d calls", n);
  end();
}

// ---- Storms ----------------------------------------------------------------------
static int wait_count(volatile long *count, long before, u64 ms) {
  u64 end_at = now() + ms_ticks(ms);
  while (*count == before && now() < end_at)
    ;
  return *count != before;
}

static void check_storms(void) {
  struct hart *h = self();
  csrs(sie, SIP_SSIP | SIP_STIP);
  irq_on();

  begin("ipi_storm");
  int lost = 0, errs = 0;
  u64 t0 = now();
  for (int i = 0; i < 5000; i++) {
    long before = h->ssi;
    if (sbi_send_ipi(1UL << boot_hart, 0).error)
      errs++;
    if (!wait_count(&h->ssi, before, 1000))
      lost++;
  }
  expect(!errs && !lost, "of 5000 IPIs to itself: %d errors, %d lost", errs,
         lost);
  noted("5000 IPIs to itself, each taken, in %lu ms",
        (now() - t0) / ms_ticks(1));
  end();

  begin("ipi_flood");
  long before = h->ssi;
  for (int i = 0; i < 5000; i++)
    if (sbi_send_ipi(0, -1UL).error)
      errs++;
  long got = h->ssi - before;
  before = h->ssi;
  sbi_send_ipi(1UL << boot_hart, 0);
  expect(!errs, "%d of 5000 send_ipi(all) failed", errs);
  expect(got >= 1, "none of 5000 IPIs sent back to back arrived");
  expect(wait_count(&h->ssi, before, 1000), "no IPI after the flood");
  noted("5000 sent back to back, %ld taken (pending bits may merge)", got);
  end();

  begin("timer_storm");
  before = h->sti;
  errs = lost = 0;
  for (int i = 0; i < 4000; i++) {
    long b = h->sti;
    int past = i & 1;
    if (sbi_set_timer(past ? now() - 1 : now() + ms_ticks(100000)).error)
      errs++;
    if (past && !wait_count(&h->sti, b, 1000))
      lost++;
  }
  got = h->sti - before;
  sbi_set_timer(-1UL);
  before = h->sti;
  expect(!errs && !lost,
         "of 4000 set_timer: %d errors, %d past deadlines "
         "that did not fire",
         errs, lost);
  expect(got == 2000, "%ld timer interrupts for 2000 past deadlines", got);
  expect(!wait_count(&h->sti, before, 20), "a timer interrupt after ~0");
  noted("4000 set_timer, half in the past: %ld interrupts", got);
  end();

  begin("illegal_storm");
  int wrong = 0;
  for (int i = 0; i < 2000; i++) {
    try_begin();
    asm volatile(".2byte 0");
    if (try_end() != 2)
      wrong++;
  }
  expect(!wrong, "%d of 2000 illegal instructions not delivered as scause 2",
         wrong);
  end();
}

static void check_cross_storm(void);

void boot_main(u64 hartid, const void *fdt) {
  boot_hart = hartid;
  console_init();
  dt_read(fdt);
  sbi_set_timer(-1UL);
  for (int i = 0; i < MAXHART; i++)
    nharts += sbi(EXT_HSM, 2, i, 0, 0).error == 0;
  say("hostile5: a guest that misbehaves, boot hart %lu of %d", hartid, nharts);
  check_mmio();
  check_dbcn();
  check_hsm();
  check_unknown_storm();
  check_storms();
  check_cross_storm();
  finish("hostile5", nharts);
}

// A second hart in a storm of its own: IPIs at the boot hart and
// set_timer calls, until it has done 3000 of each and taken 100 IPIs from
// the boot hart (or 10 s passed), then hart_stop.
static volatile int storm_done;
static volatile long storm_errs;

void secondary_main(u64 hartid, u64 opaque) {
  (void)hartid;
  (void)opaque;
  struct hart *h = self();
  sbi_set_timer(-1UL);
  csrs(sie, SIP_SSIP | SIP_STIP);
  irq_on();
  h->arrived = 1;
  long errs = 0;
  u64 end_at = now() + ms_ticks(10000);
  for (int i = 0; (i < 3000 || h->ssi < 100) && now() < end_at; i++) {
    if (sbi_send_ipi(1UL << boot_hart, 0).error)
      errs++;
    if (sbi_set_timer(i & 1 ? now() - 1 : -1UL).error)
      errs++;
  }
  sbi_set_timer(-1UL);
  storm_errs = errs;
  asm volatile("fence" ::: "memory");
  storm_done = 1;
  sbi(EXT_HSM, 1, 0, 0, 0);  // hart_stop: does not return
  storm_errs = -1;
}

static void check_cross_storm(void) {
  int id = -1;
  for (int i = 0; i < MAXHART && id < 0; i++)
    if (i != (int)boot_hart && sbi(EXT_HSM, 2, i, 0, 0).value == 1 &&
        sbi(EXT_HSM, 2, i, 0, 0).error == 0)
      id = i;
  if (id < 0) {
    skip("cross_hart_storm", "no second hart to start");
    return;
  }
  struct hart *h = self(), *o = &harts[id];
  begin("cross_hart_storm");
  long before = h->ssi, errs = 0, sent = 0;
  struct sbiret r = sbi(EXT_HSM, 0, id, (u64)_secondary, 0);
  expect(r.error == 0, "hart_start(%d): %ld", id, r.error);
  u64 end_at = now() + ms_ticks(12000);
  while (r.error == 0 && !o->arrived && now() < end_at)
    ;
  while (r.error == 0 && o->arrived && !storm_done && now() < end_at) {
    if (sbi_send_ipi(1UL << id, 0).error)
      errs++;
    sent++;
  }
  i64 st = -9;
  while (r.error == 0 && (st = sbi(EXT_HSM, 2, id, 0, 0).value) != 1 &&
         now() < end_at)
    ;
  settle(50);
  expect(storm_done, "hart %d did not finish its storm", id);
  expect(!errs && !storm_errs, "errors: %ld here, %ld on hart %d", errs,
         storm_errs, id);
  expect(o->ssi >= 100, "hart %d took %ld of %ld IPIs", id, o->ssi, sent);
  expect(h->ssi > before, "no IPI from hart %d", id);
  expect(st == 1, "hart %d: status %ld after its hart_stop", id, st);
  noted("hart %d: %ld IPIs taken of %ld sent; here: %ld taken", id, o->ssi,
        sent, h->ssi - before);
  end();
}
