// The runtime of the S-mode test guests: SBI calls, the UART, the trap
// handler, the device tree. See vguest.h.

#include "vguest.h"

struct hart harts[MAXHART];
struct dtinfo dt;

// ---- SBI -------------------------------------------------------------------------
struct sbiret sbi6(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4,
                   u64 a5) {
  register u64 r0 asm("a0") = a0;
  register u64 r1 asm("a1") = a1;
  register u64 r2 asm("a2") = a2;
  register u64 r3 asm("a3") = a3;
  register u64 r4 asm("a4") = a4;
  register u64 r5 asm("a5") = a5;
  register u64 r6 asm("a6") = fid;
  register u64 r7 asm("a7") = eid;
  asm volatile("ecall"
               : "+r"(r0), "+r"(r1)
               : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
               : "memory");
  return (struct sbiret){(i64)r0, (i64)r1};
}

i64 sbi_legacy(u64 eid, u64 a0) {
  register u64 r0 asm("a0") = a0;
  register u64 r7 asm("a7") = eid;
  // v0.1 calls may clobber a1 too (nothing is promised but a0)
  asm volatile("ecall" : "+r"(r0), "=r"(r7) : "1"(r7) : "a1", "memory");
  return (i64)r0;
}

struct sbiret sbi_set_timer(u64 when) {
  return sbi(EXT_TIME, 0, when, 0, 0);
}
struct sbiret sbi_send_ipi(u64 mask, u64 base) {
  return sbi(EXT_IPI, 0, mask, base, 0);
}

void shutdown(int failed) {
  sbi(EXT_SRST, 0, 0, failed ? 1 : 0, 0);
  say("vguest: SRST shutdown returned: using the test device");
  volatile u32 *test = (volatile u32 *)0x100000;
  *test = failed ? (0x3333 | 1 << 16) : 0x5555;
  for (;;)
    asm volatile("wfi");
}

// ---- Console -------------------------------------------------------------------
#define UART ((volatile u8 *)0x10000000)
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20

long uart_missing;
static int sbi_console;  // 1: DBCN write_byte, 2: legacy putchar

// (A UART whose LSR never says THRE still gets the byte, after a while.)
static void uart_putc(char c) {
  for (int i = 0; i < 1000000 && !(UART[UART_LSR] & LSR_THRE); i++)
    ;
  UART[UART_THR] = (u8)c;
}

static void putc_(char c) {
  if (!uart_missing)
    uart_putc(c);
  else if (sbi_console == 1)
    sbi(EXT_DBCN, 2, (u8)c, 0, 0);
  else
    sbi_legacy(1, (u8)c);
}

void console_init(void) {
  try_begin();
  u8 lsr = UART[UART_LSR];
  i64 c = try_end();
  (void)lsr;
  if (c < 0)
    return;
  uart_missing = c;
  sbi_console = sbi(EXT_BASE, 3, EXT_DBCN, 0, 0).value ? 1 : 2;
  say("vguest: no UART at 10000000 (reading LSR: scause %ld): printing "
      "through SBI %s",
      c, sbi_console == 1 ? "DBCN" : "legacy putchar");
}

static volatile u32 print_lock;
static void lock(void) {
  u32 old;
  do
    asm volatile("amoswap.w.aq %0, %1, (%2)"
                 : "=r"(old)
                 : "r"(1), "r"(&print_lock)
                 : "memory");
  while (old);
}
static void unlock(void) {
  asm volatile("amoswap.w.rl zero, zero, (%0)" ::"r"(&print_lock) : "memory");
}

struct out {
  char *buf;
  int n, len;
};
static void put(struct out *o, char c) {
  if (o->len + 1 < o->n)
    o->buf[o->len++] = c;
}

void vformat(char *buf, int n, const char *fmt, va_list ap) {
  struct out o = {buf, n, 0};
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    int zero = 0, width = 0, lng = 0;
    if (*++fmt == '0')
      zero = 1, fmt++;
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l')
      lng = 1, fmt++;
    char tmp[24];
    int k = 0, neg = 0;
    u64 v;
    switch (*fmt) {
    case 's':
      for (const char *s = va_arg(ap, const char *); s && *s; s++)
        put(&o, *s);
      continue;
    case 'c': put(&o, (char)va_arg(ap, int)); continue;
    case 'd': {
      i64 x = lng ? va_arg(ap, i64) : va_arg(ap, int);
      neg = x < 0;
      v = neg ? -(u64)x : (u64)x;
      do
        tmp[k++] = (char)('0' + v % 10);
      while (v /= 10);
      break;
    }
    case 'u':
    case 'x':
      v = lng ? va_arg(ap, u64) : va_arg(ap, u32);
      do
        tmp[k++] = "0123456789abcdef"[*fmt == 'x' ? v % 16 : v % 10];
      while (*fmt == 'x' ? (v /= 16) : (v /= 10));
      break;
    case 0: fmt--; continue;
    default: put(&o, '%'), put(&o, *fmt); continue;
    }
    if (neg)
      put(&o, '-');
    for (int pad = width - k - neg; pad > 0; pad--)
      put(&o, zero ? '0' : ' ');
    while (k)
      put(&o, tmp[--k]);
  }
  o.buf[o.len] = 0;
}

void format(char *buf, int n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(buf, n, fmt, ap);
  va_end(ap);
}

void say(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  vformat(line, sizeof line, fmt, ap);
  va_end(ap);
  lock();
  for (const char *s = line; *s; s++)
    putc_(*s);
  putc_('\r');
  putc_('\n');
  unlock();
}

// A hart that came in at _start after the boot hart (vguest.S): it says
// so, then goes on as if hart_start had sent it, with what it got in a1.
void late_main(u64 hartid, u64 a1);
void late_main(u64 hartid, u64 a1) {
  harts[hartid].late = 1;
  say("vguest: hart %lu entered at the boot entry again (a1 = %lx), not "
      "where hart_start sent it",
      hartid, a1);
  secondary_main(hartid, a1);
}

// ---- Traps -------------------------------------------------------------------
struct frame {
  u64 x[32];
};

void try_begin(void) {
  struct hart *h = self();
  h->exc_cause = 0;
  h->exc = 0;
  asm volatile("" ::: "memory");
  h->expect = 1;
}

i64 try_end(void) {
  struct hart *h = self();
  h->expect = 0;
  asm volatile("" ::: "memory");
  return h->exc ? (i64)h->exc_cause : -1;
}

void trap_handler(struct frame *f);
void trap_handler(struct frame *f) {
  (void)f;
  struct hart *h = self();
  u64 cause = csrr(scause), epc = csrr(sepc), tval = csrr(stval);
  if (cause & IRQ) {
    // Silence the source, count it.
    switch (cause & 0xff) {
    case 1:
      csrc(sip, SIP_SSIP);
      h->ssi++;
      break;
    case 5:
      if (h->sstc)
        csrw(0x14d, -1UL);  // stimecmp
      else
        sbi_set_timer(-1UL);
      h->sti++;
      break;
    case 9:
      csrc(sie, SIP_SEIP);  // nobody here drives an interrupt controller
      h->sei++;
      break;
    default:
      say("FAIL unexpected_interrupt: scause %lx on hart %ld", cause, me());
      shutdown(1);
    }
    h->last_irq = cause;
    return;
  }
  if (!h->expect) {
    say("FAIL unexpected_trap: scause %lx sepc %lx stval %lx on hart %ld",
        cause, epc, tval, me());
    shutdown(1);
  }
  h->exc_cause = cause;
  h->exc_epc = epc;
  h->exc_tval = tval;
  h->exc++;
  // Resume after the instruction; its length is in its low two bits. Our
  // own code is readable, and a fault fetching it would not come back here.
  u16 lo = *(volatile u16 *)epc;
  csrw(sepc, epc + ((lo & 3) == 3 ? 4 : 2));
}

// ---- Device tree -------------------------------------------------------------
static u32 be32(const u8 *p) {
  return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}
static u64 be64(const u8 *p) { return (u64)be32(p) << 32 | be32(p + 4); }
static int streq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}
static int prefix(const char *s, const char *p) {
  while (*p && *s == *p)
    s++, p++;
  return !*p;
}

// Remember the unit address of a node called name@hex.
static void note_unit(const char *name) {
  while (*name && *name != '@')
    name++;
  if (!*name++ || dt.nunits == 64)
    return;
  u64 v = 0;
  for (; *name; name++) {
    char c = *name;
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      break;
    v = v << 4 | (u64)d;
  }
  dt.units[dt.nunits++] = v;
}

int dt_node_at(u64 addr) {
  for (int i = 0; i < dt.nunits; i++)
    if (dt.units[i] == addr)
      return 1;
  return 0;
}

// Walk the structure block, tracking the names of the enclosing nodes
// (assumes #address-cells = #size-cells = 2, as on virt).
void dt_read(const void *fdt_) {
  const u8 *fdt = fdt_;
  dt.timebase = 10000000;  // virt's, if the tree does not say
  if (!fdt || be32(fdt) != 0xd00dfeed)
    return;
  u32 size = be32(fdt + 4), off = be32(fdt + 8);
  u32 end = off + be32(fdt + 36);
  const char *strs = (const char *)fdt + be32(fdt + 12);
  if (end > size || size > (64u << 20))
    return;
  const char *names[16];
  int depth = 0;
  dt.ok = 1;
  while (off + 4 <= end) {
    u32 tok = be32(fdt + off);
    off += 4;
    if (tok == 1) {  // BEGIN_NODE
      if (depth < 16)
        names[depth] = (const char *)fdt + off;
      depth++;
      note_unit((const char *)fdt + off);
      while (off < end && fdt[off])
        off++;
      off = (off + 4) & ~3u;
    } else if (tok == 2) {  // END_NODE
      depth--;
    } else if (tok == 3) {  // PROP
      u32 len = be32(fdt + off);
      const char *name = strs + be32(fdt + off + 4);
      const u8 *val = fdt + off + 8;
      off += 8 + ((len + 3) & ~3u);
      if (depth < 1 || depth > 16)
        continue;
      const char *node = names[depth - 1];
      if (streq(name, "timebase-frequency") && len == 4)
        dt.timebase = be32(val);
      else if (streq(name, "riscv,isa") && !dt.isa[0]) {
        u32 i;
        for (i = 0; i < len && i + 1 < sizeof dt.isa && val[i]; i++)
          dt.isa[i] = (char)val[i];
        dt.isa[i] = 0;
      } else if (streq(name, "reg") && len >= 16 && depth == 2 &&
                 prefix(node, "memory") && !dt.mem_size) {
        dt.mem_base = be64(val);
        dt.mem_size = be64(val + 8);
      } else if (streq(name, "reg") && len >= 16 && depth == 3 &&
                 streq(names[1], "reserved-memory") && !dt.resv_size) {
        dt.resv_base = be64(val);
        dt.resv_size = be64(val + 8);
      }
    } else if (tok != 4) {  // not NOP: END or garbage
      break;
    }
  }
}

int isa_has_letter(char c) {
  const char *s = dt.isa;
  if (!prefix(s, "rv64") && !prefix(s, "rv32"))
    return 0;
  for (s += 4; *s && *s != '_'; s++)
    if (*s == c)
      return 1;
  return 0;
}

int isa_has(const char *name) {
  for (const char *s = dt.isa; *s; s++) {
    if (*s != '_')
      continue;
    const char *a = s + 1, *b = name;
    while (*b && *a == *b)
      a++, b++;
    if (!*b && (!*a || *a == '_'))
      return 1;
  }
  return 0;
}

u64 ms_ticks(u64 ms) { return dt.timebase / 1000 * ms; }

void settle(u64 ms) {
  u64 end_at = now() + ms_ticks(ms);
  while (now() < end_at)
    ;
}

// ---- Checks ------------------------------------------------------------------
static int n_ok, n_fail, n_skip;
static const char *cur;  // the check under way
static char why[200];    // its first failure
static char note[160];   // what it saw, for its ok line

void begin(const char *name) {
  cur = name;
  why[0] = note[0] = 0;
}

void expect(int cond, const char *fmt, ...) {
  if (cond || why[0])
    return;
  va_list ap;
  va_start(ap, fmt);
  vformat(why, sizeof why, fmt, ap);
  va_end(ap);
}

void noted(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(note, sizeof note, fmt, ap);
  va_end(ap);
}

void end(void) {
  if (why[0]) {
    n_fail++;
    say("FAIL %s: %s", cur, why);
  } else {
    n_ok++;
    say(note[0] ? "ok %s (%s)" : "ok %s", cur, note);
  }
}

void skip(const char *name, const char *fmt, ...) {
  char line[200];
  va_list ap;
  va_start(ap, fmt);
  vformat(line, sizeof line, fmt, ap);
  va_end(ap);
  n_skip++;
  say("skip %s: %s", name, line);
}

void finish(const char *prog, int harts) {
  say("%s: summary: %d ok, %d FAIL, %d skip on %d hart%s", prog, n_ok, n_fail,
      n_skip, harts, harts == 1 ? "" : "s");
  shutdown(n_fail != 0);
}
