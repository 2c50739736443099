// A small runtime for S-mode test guests on QEMU virt (sbitest, hostile5),
// written from the SBI specification and the virt memory map, not from
// hvlab's headers: these programs check hvlab from the outside.
#pragma once

#include <stdarg.h>

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define MAXHART 8

// ---- SBI (specification v2.0) -------------------------------------------------
#define EXT_BASE 0x10
#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_PMU 0x504D55
#define EXT_DBCN 0x4442434E
#define EXT_SUSP 0x53555350
#define EXT_CPPC 0x43505043
#define EXT_NACL 0x4E41434C
#define EXT_STA 0x535441

#define ERR_FAILED -1
#define ERR_NOT_SUPPORTED -2
#define ERR_INVALID_PARAM -3
#define ERR_DENIED -4
#define ERR_INVALID_ADDRESS -5
#define ERR_ALREADY_AVAILABLE -6

#define HSM_STARTED 0
#define HSM_STOPPED 1

struct sbiret {
  i64 error;
  i64 value;
};

struct sbiret sbi6(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4,
                   u64 a5);
#define sbi(eid, fid, a0, a1, a2) sbi6(eid, fid, a0, a1, a2, 0, 0, 0)
// A legacy (v0.1) call: the result is a0 alone.
i64 sbi_legacy(u64 eid, u64 a0);
struct sbiret sbi_set_timer(u64 when);
struct sbiret sbi_send_ipi(u64 mask, u64 base);
// SRST shutdown with reason 0 (none) or 1 (system failure); if that
// returns, the virt test device, then a wfi loop.
void shutdown(int failed) __attribute__((noreturn));

// ---- CSRs -----------------------------------------------------------------------
#define csrr(csr)                                                              \
  ({                                                                           \
    u64 v_;                                                                    \
    asm volatile("csrr %0, " #csr : "=r"(v_));                                 \
    v_;                                                                        \
  })
#define csrw(csr, v) asm volatile("csrw " #csr ", %0" ::"r"((u64)(v)))
#define csrs(csr, v) asm volatile("csrs " #csr ", %0" ::"r"((u64)(v)))
#define csrc(csr, v) asm volatile("csrc " #csr ", %0" ::"r"((u64)(v)))

#define SSTATUS_SIE (1UL << 1)
#define SIP_SSIP (1UL << 1)
#define SIP_STIP (1UL << 5)
#define SIP_SEIP (1UL << 9)
#define IRQ (1UL << 63)
#define IRQ_SSI (IRQ | 1)
#define IRQ_STI (IRQ | 5)
#define IRQ_SEI (IRQ | 9)

static inline u64 now(void) {
  u64 t;
  asm volatile("rdtime %0" : "=r"(t));
  return t;
}
static inline u64 me(void) {
  u64 t;
  asm volatile("mv %0, tp" : "=r"(t));
  return t;
}
static inline void irq_on(void) { csrs(sstatus, SSTATUS_SIE); }
static inline void irq_off(void) { csrc(sstatus, SSTATUS_SIE); }

// ---- What each hart's trap handler saw --------------------------------------
struct hart {
  // interrupts taken, by kind, and the last interrupt's scause
  volatile long ssi, sti, sei;
  volatile u64 last_irq;
  // exceptions: only while `expect` is set (else the run ends with FAIL);
  // the handler records them and resumes after the instruction
  volatile int expect;
  volatile long exc;
  volatile u64 exc_cause, exc_epc, exc_tval;
  // 1: a timer interrupt is silenced through stimecmp, not SBI
  volatile int sstc;
  // the secondary harts' side of sbitest
  volatile u64 got_a0, got_a1;
  volatile int arrived;
  volatile int late;  // came in at _start after the boot hart (see vguest.S)
  volatile int cmd, cmd_seq, done_seq;
  volatile i64 reply;
};
extern struct hart harts[MAXHART];
// Each program's: the boot hart's and hart_start's entry points.
void boot_main(u64 hartid, const void *fdt);
void secondary_main(u64 hartid, u64 opaque);
static inline struct hart *self(void) { return &harts[me()]; }

// Run one instruction that may trap (between try_begin and try_end); the
// handler resumes after it. try_end returns the scause, or -1 if none.
void try_begin(void);
i64 try_end(void);

// ---- Console: the 16550 UART at 0x10000000, polled -------------------------
// console_init probes the UART first: if reading it traps, uart_missing
// is that scause and the lines go through SBI (DBCN, else legacy putchar),
// so that a run still says what it found.
void console_init(void);
extern long uart_missing;
// One whole line per call (a lock keeps harts' lines apart); %s %c %d %u %x
// with an optional l and zero-padded width.
void say(const char *fmt, ...);
void vformat(char *buf, int n, const char *fmt, va_list ap);
void format(char *buf, int n, const char *fmt, ...);

// ---- The device tree (a1 at entry) -------------------------------------------
struct dtinfo {
  int ok;                    // a valid FDT
  u64 timebase;              // ticks per second (/cpus timebase-frequency)
  char isa[128];             // the first cpu's riscv,isa
  u64 mem_base, mem_size;    // the first /memory region
  u64 resv_base, resv_size;  // the first /reserved-memory child, if any
  int nunits;                // the unit addresses of the nodes (name@addr)
  u64 units[64];
};
extern struct dtinfo dt;
void dt_read(const void *fdt);
// Does the isa string's single-letter part (after rv64) have `c`?
int isa_has_letter(char c);
// Does it list the multi-letter extension `name` (e.g. "sstc")?
int isa_has(const char *name);
u64 ms_ticks(u64 ms);
// Busy-wait ms milliseconds. Used once a hart has been seen STOPPED: a
// hypervisor may still be printing its own line about the stop on that
// hart's physical hart (hvlab's stage 5 did, after publishing STOPPED),
// and our next line would be mixed into it byte by byte.
void settle(u64 ms);
// Is there a node whose unit address (name@addr) is addr?
int dt_node_at(u64 addr);

// ---- Checks: one line each, "ok NAME (note)", "FAIL NAME: why", "skip ..." --
void begin(const char *name);
// A failed expectation of the current check (the first one is reported).
void expect(int cond, const char *fmt, ...);
// What the check saw, for its ok line.
void noted(const char *fmt, ...);
void end(void);
void skip(const char *name, const char *fmt, ...);
// "PROG: summary: N ok, N FAIL, N skip on N harts", then SRST shutdown
// (reason 1, system failure, if a check failed).
void finish(const char *prog, int harts) __attribute__((noreturn));
