// Stage 5's device models (step5-devices/vuart.c, vplic.c, vtest.c),
// compiled for the host and driven register by register, as a guest's
// driver would: what Linux's 8250 probe reads back, what IIR and the
// PLIC's claim register say in every state, which vCPU hears of an
// interrupt -- and, with threads, that two harts claiming at once never
// get the same interrupt. (Their run inside a guest, under QEMU, is in
// test_step5_devices.c.)

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

// The models are freestanding code; these are the hypervisor's functions
// they call, as fakes that record what they were asked.
#include "../step5-devices/vplic.c"
#include "../step5-devices/vtest.c"
#include "../step5-devices/vuart.c"

struct vhart vharts[VHART_MAX];
int nharts;

// vhart_irq: the VSEIP level each hart was last given, and how often.
static int seip_level[VHART_MAX], seip_calls[VHART_MAX];
void vhart_irq(struct vhart *h, u64 bits, int level) {
  int i = (int)(h - vharts);
  if (i < 0 || i >= VHART_MAX || bits != MIP_VSEIP)
    abort();
  seip_level[i] = level;
  seip_calls[i]++;
}

// vdev_register: remembers each device's access function.
#define MAX_DEVS 4
static struct region regions[MAX_DEVS];
static int nregions;
struct region *vdev_register(struct vm *vm, const char *name, u64 gpa, u64 size,
                             vdev_access_t fn, void *dev) {
  (void)vm;
  for (int i = 0; i < nregions; i++)
    if (gpa < regions[i].gpa + regions[i].size && regions[i].gpa < gpa + size)
      return NULL;
  if (nregions == MAX_DEVS)
    return NULL;
  struct region *r = &regions[nregions++];
  *r = (struct region){
      .name = name, .kind = REGION_MMIO, .gpa = gpa, .size = size, .dev = dev};
  r->mmio = (mmio_handler_t)(void (*)(void))fn;  // kept, cast back below
  return r;
}

// The host console: what the guest sent, and what waits to be typed.
static char console[4096];
static size_t console_len;
static const char *typed;
static size_t typed_left;
void uart_putc(int c) {
  if (console_len + 1 < sizeof console)
    console[console_len++] = (char)c, console[console_len] = 0;
}
int uart_getc(void) {
  if (!typed_left)
    return -1;
  typed_left--;
  return (unsigned char)*typed++;
}

// The host UART's receive interrupt: on while nothing waits there for us.
static int host_irq_on = -1;
void uart_rx_interrupt(int on) { host_irq_on = on; }

static int stop_status = -1, stops;
struct sbiret guest_stop(struct vcpu *v, int status, const char *how) {
  (void)v, (void)how;
  stop_status = status;
  stops++;
  return SBI_STOPPED;
}

// A fresh machine: the three devices, harts harts, nothing typed.
static struct vm vm;
static void machine(int harts) {
  nregions = 0;
  memset(seip_level, 0, sizeof seip_level);
  memset(seip_calls, 0, sizeof seip_calls);
  memset(plic0.line, 0, sizeof plic0.line);
  console_len = 0;
  console[0] = 0;
  typed_left = 0;
  stops = 0;
  stop_status = -1;
  nharts = harts;
  for (int h = 0; h < VHART_MAX; h++)
    vharts[h].hsm = SBI_HSM_STATE_STARTED;
  CHECK(vplic_init(&vm, harts) == 0, "vplic_init");
  CHECK(vuart_init(&vm) == 0, "vuart_init");
  CHECK(vtest_init(&vm) == 0, "vtest_init");
}

static void type(const char *s) {
  typed = s;
  typed_left = strlen(s);
}

// One access at guest-physical address gpa; returns the access function's
// answer, and a load's value in *val.
static struct vcpu cpu;
static int access_(u64 gpa, int width, int write, u64 *val) {
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    if (gpa >= r->gpa && gpa < r->gpa + r->size) {
      struct mmio_access a = {gpa - r->gpa, width, write, write ? *val : 0};
      int st = ((vdev_access_t)(void (*)(void))r->mmio)(&cpu, r->dev, &a);
      if (!write)
        *val = a.val;
      return st;
    }
  }
  return 99;  // no device
}
static u64 rd(u64 gpa, int width) {
  u64 v = ~0UL;
  int st = access_(gpa, width, 0, &v);
  CHECK(st == VDEV_OK, "load of %d at %lx: %d", width, gpa, st);
  return v;
}
static void wr(u64 gpa, int width, u64 v) {
  int st = access_(gpa, width, 1, &v);
  CHECK(st == VDEV_OK, "store of %d at %lx: %d", width, gpa, st);
}
#define U(reg) (VIRT_UART_GPA + (reg))
static u64 ur(int reg) { return rd(U(reg), 1); }
static void uw(int reg, u64 v) { wr(U(reg), 1, v); }
#define P(off) (VIRT_PLIC_GPA + (off))
static u64 pr(u64 off) { return rd(P(off), 4); }
static void pw(u64 off, u64 v) { wr(P(off), 4, v); }
#define PRIO(id) (4UL * (id))
#define ENABLE(ctx) (0x2000UL + 0x80UL * (ctx))
#define THRESHOLD(ctx) (0x200000UL + 0x1000UL * (ctx))
#define CLAIM(ctx) (THRESHOLD(ctx) + 4)

// ---- UART --------------------------------------------------------------------

TEST(vuart_registers_after_reset) {
  machine(1);
  CHECK(ur(REG_IER) == 0, "IER %lx", ur(REG_IER));
  CHECK(ur(REG_IIR) == IIR_NONE, "IIR %lx", ur(REG_IIR));
  CHECK(ur(REG_LCR) == 0 && ur(REG_MCR) == 0 && ur(REG_SCR) == 0,
        "LCR/MCR/SCR not 0");
  CHECK(ur(REG_LSR) == (LSR_THRE | LSR_TEMT), "LSR %lx", ur(REG_LSR));
  CHECK(ur(REG_MSR) == (MSR_DCD | MSR_DSR | MSR_CTS), "MSR %lx", ur(REG_MSR));
}

// Linux's 8250 autoconfig(), step by step: it must conclude "16550A".
TEST(vuart_linux_probe_finds_a_16550a) {
  machine(1);
  uw(REG_IER, 0);
  CHECK((ur(REG_IER) & 0x0f) == 0, "IER does not clear");
  uw(REG_IER, 0x0f);
  CHECK((ur(REG_IER) & 0x0f) == 0x0f, "IER does not keep 0x0f");
  uw(REG_IER, 0);
  uw(REG_SCR, 0xa5);
  CHECK(ur(REG_SCR) == 0xa5, "SCR");
  uw(REG_SCR, 0x5a);
  CHECK(ur(REG_SCR) == 0x5a, "SCR");
  // The loopback test: MCR's RTS and OUT2 come back as CTS and DCD.
  uw(REG_MCR, MCR_LOOP | 0x0a);
  CHECK((ur(REG_MSR) & 0xf0) == 0x90, "loopback MSR %lx", ur(REG_MSR));
  uw(REG_MCR, 0);
  // FIFOs on: IIR's top two bits say 16550A (one of them: a buggy 16550).
  uw(REG_IIR, FCR_ENABLE);
  CHECK(ur(REG_IIR) >> 6 == 3, "IIR %lx with FIFOs on", ur(REG_IIR));
  // The variant checks: no EFR behind LCR = 0xbf, no UUE bit in IER, no
  // 64-byte FIFO bit in IIR.
  uw(REG_LCR, 0xbf);
  CHECK(ur(REG_IIR) != 0, "an EFR at offset 2 (would be an ST16C650)");
  uw(REG_LCR, 0);
  uw(REG_IER, 0x40);
  CHECK((ur(REG_IER) & 0x40) == 0, "IER bit 6 sticks (would be XScale)");
  uw(REG_IIR, FCR_ENABLE | 0x20);
  CHECK((ur(REG_IIR) >> 5) != 7, "IIR bit 5 (would be a 16750)");
  uw(REG_MCR, 0x1f | 0xe0);
  CHECK(ur(REG_MCR) == 0x1f, "MCR %lx: a 16550A has 5 bits", ur(REG_MCR));
}

TEST(vuart_divisor_latch) {
  machine(1);
  uw(REG_IER, IER_RDI);
  uw(REG_LCR, LCR_DLAB | 3);
  uw(REG_RBR, 0x12);  // DLL
  uw(REG_IER, 0x34);  // DLM
  CHECK(ur(REG_RBR) == 0x12 && ur(REG_IER) == 0x34, "divisor reads back");
  CHECK(console_len == 0, "a DLL write was transmitted");
  uw(REG_LCR, 3);
  CHECK(ur(REG_IER) == IER_RDI, "IER changed by a DLM write");
  CHECK(ur(REG_LCR) == 3, "LCR");
}

TEST(vuart_transmits_with_escapes) {
  machine(1);
  const char *s = "hi\x1b[2J\r\n\tok\b\x01\x7f\xc3";
  for (const char *c = s; *c; c++)
    uw(REG_RBR, (u8)*c);
  CHECK(strcmp(console, "hi\\x1b[2J\r\n\tok\b\\x01\\x7f\\xc3") == 0,
        "console: '%s'", console);
  CHECK(ur(REG_LSR) & LSR_THRE, "THR not empty after a write");
  vuart_end_line();
  CHECK(console[console_len - 1] == '\n', "vuart_end_line did not end it");
  size_t n = console_len;
  vuart_end_line();
  CHECK(console_len == n, "vuart_end_line ended an ended line");
}

TEST(vuart_width_and_offset_faults) {
  machine(1);
  u64 v = 0;
  CHECK(access_(U(0), 2, 0, &v) == VDEV_FAULT, "16-bit load accepted");
  CHECK(access_(U(0), 4, 1, &v) == VDEV_FAULT, "32-bit store accepted");
  CHECK(access_(U(0), 8, 0, &v) == VDEV_FAULT, "64-bit load accepted");
  CHECK(access_(U(8), 1, 0, &v) == VDEV_FAULT, "offset 8 answered");
  CHECK(access_(U(0xff), 1, 1, &v) == VDEV_FAULT, "offset 0xff answered");
  CHECK(console_len == 0, "something was transmitted");
}

// A polling guest (U-Boot): LSR shows a typed byte at once.
TEST(vuart_polled_receive) {
  machine(1);
  type("ab");
  CHECK(ur(REG_LSR) & LSR_DR, "LSR.DR not set with a byte typed");
  CHECK(ur(REG_RBR) == 'a', "first byte");
  CHECK(ur(REG_LSR) & LSR_DR, "second byte not ready");
  CHECK(ur(REG_RBR) == 'b', "second byte");
  CHECK(!(ur(REG_LSR) & LSR_DR), "LSR.DR with nothing typed");
}

// More typed than the FIFO holds: the rest waits on the host; none lost.
TEST(vuart_fifo_loses_nothing) {
  machine(1);
  uw(REG_IIR, FCR_ENABLE);
  const char *s = "abcdefghijklmnopqrstuvwxyz0123456789";
  type(s);
  vuart_poll();
  CHECK(typed_left == strlen(s) - VUART_FIFO, "%zu left on the host",
        typed_left);
  CHECK(host_irq_on == 0, "the host may interrupt with bytes left there");
  char got[64] = {0};
  for (int i = 0; i < 60 && (ur(REG_LSR) & LSR_DR); i++)
    got[i] = (char)ur(REG_RBR);
  CHECK(strcmp(got, s) == 0, "received '%s'", got);
  CHECK(host_irq_on == 1, "host input interrupt still off, nothing left");
  // Without FIFOs the chip holds one byte.
  uw(REG_IIR, 0);
  type("xyz");
  vuart_poll();
  CHECK(typed_left == 2, "%zu left with FIFOs off", typed_left);
}

TEST(vuart_receive_interrupt) {
  machine(1);
  uw(REG_IIR, FCR_ENABLE | 0xc0);  // trigger at 14 bytes
  type("abc");
  vuart_poll();
  CHECK(ur(REG_IIR) == 0xc1, "IIR %lx with RDI off", ur(REG_IIR));
  CHECK(!bit(plic0.line, VIRT_UART_IRQ), "line high with RDI off");
  uw(REG_IER, IER_RDI);
  CHECK(bit(plic0.line, VIRT_UART_IRQ), "line low with data and RDI");
  CHECK(ur(REG_IIR) == (IIR_FIFO | IIR_TIMEOUT), "IIR %lx below the trigger",
        ur(REG_IIR));
  type("defghijklmnop");
  vuart_poll();
  CHECK(ur(REG_IIR) == (IIR_FIFO | IIR_RDI), "IIR %lx at the trigger",
        ur(REG_IIR));
  while (ur(REG_LSR) & LSR_DR)
    ur(REG_RBR);
  CHECK(ur(REG_IIR) == 0xc1, "IIR %lx once read", ur(REG_IIR));
  CHECK(!bit(plic0.line, VIRT_UART_IRQ), "line still high");
}

// THR empty: raised by enabling it or by a write, taken back by reading IIR.
TEST(vuart_thr_empty_interrupt) {
  machine(1);
  uw(REG_IER, IER_THRI);
  CHECK(bit(plic0.line, VIRT_UART_IRQ), "enabling THRI raised nothing");
  CHECK(ur(REG_IIR) == IIR_THRI, "IIR says THRI");
  CHECK(!bit(plic0.line, VIRT_UART_IRQ), "reading IIR did not lower it");
  CHECK(ur(REG_IIR) == IIR_NONE, "IIR after the acknowledgement");
  uw(REG_RBR, 'x');
  CHECK(ur(REG_IIR) == IIR_THRI, "no THRI after a byte was sent");
  // Linux's UART_BUG_THRE check: off, on again -> it comes again.
  uw(REG_IER, 0);
  uw(REG_IER, IER_THRI);
  CHECK(ur(REG_IIR) == IIR_THRI, "re-enabling THRI raised nothing");
  // Received data outranks THR empty.
  uw(REG_IER, IER_THRI | IER_RDI);
  type("k");
  vuart_poll();
  CHECK(ur(REG_IIR) == IIR_TIMEOUT || ur(REG_IIR) == IIR_RDI,
        "IIR %lx with data waiting", ur(REG_IIR));
}

TEST(vuart_loopback) {
  machine(1);
  type("typed");
  uw(REG_MCR, MCR_LOOP);
  uw(REG_RBR, 'L');
  CHECK(console_len == 0, "loopback byte reached the console");
  CHECK(ur(REG_LSR) & LSR_DR, "loopback byte not received");
  CHECK(ur(REG_RBR) == 'L', "loopback byte");
  CHECK(typed_left == 5, "the host's bytes were taken in loopback");
  CHECK(host_irq_on == 0, "host input interrupt on in loopback");
  // Modem status: the change of lines shows in MSR's delta bits.
  uw(REG_MCR, MCR_LOOP | MCR_DTR);
  u64 msr = ur(REG_MSR);
  CHECK((msr & 0xf0) == MSR_DSR, "MSR %lx", msr);
  CHECK((ur(REG_MSR) & 0x0f) == 0, "delta bits not cleared by the read");
  uw(REG_MCR, 0);
  CHECK(ur(REG_RBR) == 't', "host input after loopback");
}

// ---- PLIC --------------------------------------------------------------------

TEST(vplic_priority_and_pending_registers) {
  machine(2);
  pw(PRIO(5), 0xffffffff);
  CHECK(pr(PRIO(5)) == VPLIC_PRIO_MAX, "priority %lx", pr(PRIO(5)));
  pw(PRIO(0), 3);
  CHECK(pr(PRIO(0)) == 0, "source 0 has a priority");
  pw(PRIO(VPLIC_NDEV), 2);
  CHECK(pr(PRIO(VPLIC_NDEV)) == 2, "last source");
  CHECK(pr(PRIO(VPLIC_NDEV + 1)) == 0, "a source past ndev");
  virq_set(33, 1);
  CHECK(pr(0x1004) == 2, "pending word 1: %lx", pr(0x1004));
  pw(0x1004, 0);
  CHECK(pr(0x1004) == 2, "pending is writable");
  virq_set(33, 0);
  CHECK(pr(0x1004) == 2, "a request vanished when its line dropped");
  pw(ENABLE(1), ~0UL);
  CHECK(pr(ENABLE(1)) == ~1u, "enable word 0: %lx", pr(ENABLE(1)));
  pw(ENABLE(1) + 12, ~0UL);
  CHECK(pr(ENABLE(1) + 12) == 1, "enable word 3 (source 96 only): %lx",
        pr(ENABLE(1) + 12));
  pw(THRESHOLD(3), 0xff);
  CHECK(pr(THRESHOLD(3)) == VPLIC_PRIO_MAX, "threshold");
}

TEST(vplic_faults) {
  machine(2);  // contexts 0..3
  u64 v = 0;
  CHECK(access_(P(PRIO(1)), 1, 0, &v) == VDEV_FAULT, "byte load");
  CHECK(access_(P(PRIO(1)), 8, 1, &v) == VDEV_FAULT, "64-bit store");
  CHECK(access_(P(CLAIM(1)), 2, 0, &v) == VDEV_FAULT, "16-bit claim");
  CHECK(access_(P(0x1080), 4, 0, &v) == VDEV_FAULT, "past pending");
  CHECK(access_(P(ENABLE(4)), 4, 1, &v) == VDEV_FAULT, "enables of ctx 4");
  CHECK(access_(P(THRESHOLD(4)), 4, 0, &v) == VDEV_FAULT, "ctx 4");
  CHECK(access_(P(CLAIM(3)), 4, 0, &v) == VDEV_OK && v == 0, "ctx 3 claim");
}

TEST(vplic_claim_order_threshold_and_gateway) {
  machine(1);
  pw(PRIO(3), 1);
  pw(PRIO(7), 5);
  pw(PRIO(9), 5);
  pw(ENABLE(1), 1u << 3 | 1u << 7 | 1u << 9);
  virq_set(3, 1);
  CHECK(seip_level[0] == 1, "no VSEIP for a pending source");
  virq_set(9, 1);
  virq_set(7, 1);
  CHECK(pr(CLAIM(1)) == 7, "priority 5, lowest id first");
  CHECK(pr(CLAIM(1)) == 9, "then the other 5");
  CHECK(!(pr(0x1000) & (1u << 7 | 1u << 9)), "claimed sources pending");
  // Threshold 1 masks source 3 (priority 1): no interrupt, no claim.
  pw(THRESHOLD(1), 1);
  CHECK(seip_level[0] == 0, "VSEIP at threshold");
  CHECK(pr(CLAIM(1)) == 0, "claimed below the threshold");
  pw(THRESHOLD(1), 0);
  CHECK(seip_level[0] == 1, "VSEIP back with threshold 0");
  CHECK(pr(CLAIM(1)) == 3, "source 3");
  CHECK(seip_level[0] == 0, "VSEIP with everything claimed");
  // Gateway: a claimed source with its line high is not pending until
  // completed; then it is at once.
  CHECK(pr(CLAIM(1)) == 0, "a second claim of a claimed source");
  pw(CLAIM(1), 7);
  CHECK(seip_level[0] == 1, "completed, line high: not pending again");
  CHECK(pr(CLAIM(1)) == 7, "7 again");
  // Line low at completion: nothing.
  virq_set(7, 0);
  pw(CLAIM(1), 7);
  CHECK(pr(0x1000) == 0, "7 pending with its line low");
  pw(CLAIM(1), 9);
  CHECK(pr(0x1000) == 1u << 9, "9 not pending again at its completion");
  // A request stays pending when its line drops, until it is claimed.
  virq_set(9, 0);
  CHECK(pr(0x1000) == 1u << 9, "9's request vanished with its line");
  CHECK(pr(CLAIM(1)) == 9, "9's request not claimable");
  pw(CLAIM(1), 9);
  CHECK(pr(0x1000) == 0, "9 pending again with its line low");
  virq_set(3, 0);
  pw(CLAIM(1), 3);
  CHECK(pr(0x1000) == 0, "pending %lx with every line low", pr(0x1000));
  CHECK(seip_level[0] == 0, "VSEIP with nothing pending");
}

TEST(vplic_complete_needs_enable) {
  machine(1);
  pw(PRIO(4), 1);
  pw(ENABLE(1), 1u << 4);
  virq_set(4, 1);
  CHECK(pr(CLAIM(1)) == 4, "claim");
  pw(ENABLE(1), 0);
  pw(CLAIM(1), 4);  // ignored: not enabled
  pw(ENABLE(1), 1u << 4);
  CHECK(pr(CLAIM(1)) == 0, "a completion of a disabled source counted");
  pw(CLAIM(1), 4);
  CHECK(pr(CLAIM(1)) == 4, "not pending after a real completion");
}

// Contexts 2h+1 reach hart h; contexts 2h (M-mode) reach nobody.
TEST(vplic_contexts_map_to_harts) {
  machine(4);
  pw(PRIO(1), 1);
  pw(PRIO(2), 1);
  pw(ENABLE(4), 1u << 1);  // hart 2, M-mode
  pw(ENABLE(7), 1u << 2);  // hart 3, S-mode
  virq_set(1, 1);
  for (int h = 0; h < 4; h++)
    CHECK(seip_level[h] == 0, "hart %d interrupted by an M context", h);
  virq_set(2, 1);
  CHECK(seip_level[3] == 1, "hart 3 not interrupted");
  CHECK(seip_level[0] + seip_level[1] + seip_level[2] == 0, "another hart");
  CHECK(pr(CLAIM(4)) == 1, "M context claims all the same");
  CHECK(pr(CLAIM(7)) == 2 && seip_level[3] == 0, "hart 3's claim");
  int calls = seip_calls[3];
  virq_set(2, 0);
  virq_set(2, 1);
  CHECK(seip_calls[3] == calls, "vhart_irq called with nothing changed");
}

// A hart that is not running hears nothing; once started (its vCPU with
// no interrupt pending), it hears of one at the PLIC's next change.
TEST(vplic_stopped_hart_told_after_start) {
  machine(2);
  vharts[1].hsm = SBI_HSM_STATE_STOPPED;
  pw(PRIO(5), 1);
  pw(ENABLE(3), 1u << 5);
  virq_set(5, 1);
  CHECK(seip_calls[1] == 0, "a stopped hart was told");
  vharts[1].hsm = SBI_HSM_STATE_STARTED;
  pw(THRESHOLD(3), 0);  // what a starting kernel does
  CHECK(seip_level[1] == 1, "the started hart not told");
  vharts[1].hsm = SBI_HSM_STATE_STOPPED;  // hart_stop: its hvip is gone
  pw(PRIO(6), 1);
  vharts[1].hsm = SBI_HSM_STATE_STARTED;
  int calls = seip_calls[1];
  pw(PRIO(6), 1);
  CHECK(seip_calls[1] == calls + 1 && seip_level[1] == 1,
        "restarted hart not told again");
}

// The UART's line through the PLIC to hart 0.
TEST(vplic_uart_interrupt_reaches_hart) {
  machine(2);
  pw(PRIO(VIRT_UART_IRQ), 1);
  pw(ENABLE(1), 1u << VIRT_UART_IRQ);
  uw(REG_IER, IER_RDI);
  CHECK(seip_level[0] == 0, "VSEIP with nothing typed");
  type("q");
  vuart_poll();
  CHECK(seip_level[0] == 1 && seip_level[1] == 0, "VSEIP %d %d", seip_level[0],
        seip_level[1]);
  CHECK(pr(CLAIM(1)) == VIRT_UART_IRQ, "claim");
  CHECK(ur(REG_RBR) == 'q', "byte");
  pw(CLAIM(1), VIRT_UART_IRQ);
  CHECK(seip_level[0] == 0, "VSEIP after the byte was read and completed");
}

// Four harts claim and complete at once, sources always high: no source
// is ever held by two of them.
#define CLAIMERS 4
#define ROUNDS 20000
static int owner[NSRC];
static int double_claims, claims[CLAIMERS];
static void *claimer(void *arg) {
  int h = (int)(long)arg;
  for (int i = 0; i < ROUNDS; i++) {
    u64 id = rd(P(CLAIM(2 * h + 1)), 4);
    if (!id || id >= NSRC)
      continue;
    claims[h]++;
    if (__atomic_exchange_n(&owner[id], 1, __ATOMIC_SEQ_CST))
      __atomic_add_fetch(&double_claims, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&owner[id], 0, __ATOMIC_SEQ_CST);
    wr(P(CLAIM(2 * h + 1)), 4, id);
  }
  return NULL;
}

TEST(vplic_concurrent_claims) {
  machine(CLAIMERS);
  for (int id = 1; id <= 8; id++) {
    pw(PRIO(id), 1 + id % 3);
    virq_set(id, 1);
  }
  for (int h = 0; h < CLAIMERS; h++)
    pw(ENABLE(2 * h + 1), 0x1feu);
  pthread_t t[CLAIMERS];
  for (long h = 0; h < CLAIMERS; h++)
    pthread_create(&t[h], NULL, claimer, (void *)h);
  for (int h = 0; h < CLAIMERS; h++)
    pthread_join(t[h], NULL);
  int total = 0;
  for (int h = 0; h < CLAIMERS; h++)
    total += claims[h];
  CHECK(double_claims == 0, "%d claims of a source someone else held",
        double_claims);
  // Eight sources, at most three held by the others: every claim finds one.
  CHECK(total == CLAIMERS * ROUNDS, "%d claims in %d rounds", total,
        CLAIMERS * ROUNDS);
  CHECK(pr(0x1000) == 0x1fe, "pending %lx at the end", pr(0x1000));
}

// ---- Power-off device ------------------------------------------------------------

TEST(vtest_commands) {
  static const struct {
    u64 val;
    int width, stop, status;
  } cases[] = {
      {0x5555, 4, 1, 0},
      {0x5555, 2, 1, 0},
      {0x3333 | 5UL << 16, 4, 1, 5},
      {0x3333, 4, 1, EXIT_FAIL},
      {0x7777, 4, 1, EXIT_FAIL},
      {0x1234, 4, 0, -1},
      {0x5556, 4, 0, -1},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    machine(1);
    u64 v = cases[i].val;
    int st = access_(VIRT_TEST_GPA, cases[i].width, 1, &v);
    CHECK(st == (cases[i].stop ? VDEV_STOP : VDEV_OK) &&
              stops == cases[i].stop && stop_status == cases[i].status,
          "%lx (%d bytes): answer %d, %d stops, status %d", cases[i].val,
          cases[i].width, st, stops, stop_status);
  }
  machine(1);
  u64 v = 0x5555;
  CHECK(access_(VIRT_TEST_GPA + 4, 4, 1, &v) == VDEV_OK && stops == 0,
        "a write at offset 4 stopped the guest");
  CHECK(access_(VIRT_TEST_GPA, 1, 1, &v) == VDEV_FAULT, "a byte store");
  CHECK(access_(VIRT_TEST_GPA, 8, 1, &v) == VDEV_FAULT, "a 64-bit store");
  CHECK(rd(VIRT_TEST_GPA, 4) == 0, "reads 0");
  CHECK(stops == 0, "stopped");
  // Mid-line console output is ended before the hypervisor's line.
  uw(REG_RBR, '>');
  v = 0x5555;
  access_(VIRT_TEST_GPA, 4, 1, &v);
  CHECK(strcmp(console, ">\n") == 0, "console '%s'", console);
}
