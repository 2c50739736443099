// A tiny S-mode driver for a virtio-mmio block device (virtio 1.x, the
// "modern" MMIO transport, Version 2) on QEMU's virt machine, built apart
// from hvlab. It finds the device through the device tree (every node that
// is compatible with "virtio,mmio"), sets it up, reads sector 0, writes a
// pattern made from it to sector 2, flushes, reads it back, then sends
// requests a hostile guest would (bad lengths, bad sectors, bad
// descriptors) and prints what came back, and shuts down through SBI SRST.
//
// It prints the same lines natively (QEMU's own device, with
// -global virtio-mmio.force-legacy=false) and under stage 5 (hvlab's
// device, GUEST_DISK=): tests/test_vblk.c compares them.
//
// Boot arguments (/chosen bootargs: QEMU's -append, or GUEST_ARGS=):
//   irq=1     claim the device's interrupt from the PLIC after each request
//   harts=N   the other harts (up to N) read registers all the while
//   fuzz=N    then N rounds of random requests and register accesses
//   seed=S    the fuzz's seed (default: from sector 0)
//
// Virtio 1.2 spec: 4.2.2 (MMIO registers), 2.7 (split virtqueues),
// 5.2 (block device).

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

// ---- SBI and printing ------------------------------------------------------

static long sbi3(long eid, long fid, long a0, long a1, long a2) {
  register long r0 asm("a0") = a0;
  register long r1 asm("a1") = a1;
  register long r2 asm("a2") = a2;
  register long r6 asm("a6") = fid;
  register long r7 asm("a7") = eid;
  asm volatile("ecall"
               : "+r"(r0), "+r"(r1)
               : "r"(r2), "r"(r6), "r"(r7)
               : "memory");
  return r0;
}
static long sbi(long eid, long fid, long a0, long a1) {
  return sbi3(eid, fid, a0, a1, 0);
}
#define SBI_HSM 0x48534d

static void puts_(const char *s) {
  for (; *s; s++)
    sbi(1, 0, *s, 0);  // legacy console_putchar
}

static void putnum(u64 v) {
  char b[24];
  int n = 0;
  do
    b[n++] = (char)('0' + v % 10);
  while (v /= 10);
  while (n)
    sbi(1, 0, b[--n], 0);
}

static void puthex(u64 v) {
  char b[20];
  int n = 0;
  do
    b[n++] = "0123456789abcdef"[v & 15];
  while (v >>= 4);
  puts_("0x");
  while (n)
    sbi(1, 0, b[--n], 0);
}

static void shutdown(int failed) {
  sbi(0x53525354, 0, 0, failed);  // SRST: shutdown, reason 0 or 1 (failure)
  for (;;)
    ;
}

// ---- The device tree: where are the virtio-mmio slots? ---------------------

static u32 be32(const u8 *p) {
  return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

#define MAX_SLOTS 16

// The first address (QEMU's virt uses two address cells) and interrupt of
// each node compatible with "virtio,mmio". Returns how many there are.
struct slot {
  u64 base;
  u32 irq;
};
static int virtio_slots(const u8 *fdt, struct slot *slots) {
  if (fdt == 0 || be32(fdt) != 0xd00dfeed)
    return 0;
  u32 size = be32(fdt + 4), off = be32(fdt + 8), end = off + be32(fdt + 36);
  const char *strs = (const char *)fdt + be32(fdt + 12);
  int n = 0, compat = 0;
  u64 reg = 0;
  u32 irq = 0;
  if (end > size)
    return 0;
  while (off + 4 <= end) {
    u32 tok = be32(fdt + off);
    off += 4;
    if (tok == 1) {  // BEGIN_NODE: a new node, nothing seen yet
      while (off < end && fdt[off])
        off++;
      off = (off + 4) & ~3u;
      compat = 0, reg = 0, irq = 0;
    } else if (tok == 2) {  // END_NODE
      if (compat && reg && n < MAX_SLOTS)
        slots[n++] = (struct slot){reg, irq};
      compat = 0;
    } else if (tok == 3) {  // PROP
      u32 len = be32(fdt + off), nameoff = be32(fdt + off + 4);
      const u8 *val = fdt + off + 8;
      off += 8 + ((len + 3) & ~3u);
      if (streq(strs + nameoff, "compatible") && len >= 12)
        compat = streq((const char *)val, "virtio,mmio");
      else if (streq(strs + nameoff, "reg") && len >= 8)
        reg = (u64)be32(val) << 32 | be32(val + 4);
      else if (streq(strs + nameoff, "interrupts") && len >= 4)
        irq = be32(val);
    } else if (tok == 9) {
      break;
    }
  }
  return n;
}

// The value of the first property called `name` (e.g. /chosen's
// "bootargs"), or 0.
static const char *fdt_find(const u8 *fdt, const char *name) {
  if (fdt == 0 || be32(fdt) != 0xd00dfeed)
    return 0;
  u32 size = be32(fdt + 4), off = be32(fdt + 8), end = off + be32(fdt + 36);
  const char *strs = (const char *)fdt + be32(fdt + 12);
  if (end > size)
    return 0;
  while (off + 4 <= end) {
    u32 tok = be32(fdt + off);
    off += 4;
    if (tok == 1) {
      while (off < end && fdt[off])
        off++;
      off = (off + 4) & ~3u;
    } else if (tok == 3) {
      u32 len = be32(fdt + off), nameoff = be32(fdt + off + 4);
      off += 8;
      if (streq(strs + nameoff, name))
        return (const char *)fdt + off;
      off += (len + 3) & ~3u;
    } else if (tok == 9) {
      break;
    }
  }
  return 0;
}

// The number after "key=" in the boot arguments s, or dflt.
static u64 arg_num(const char *s, const char *key, u64 dflt) {
  while (s && *s) {
    while (*s == ' ')
      s++;
    const char *k = key;
    while (*k && *s == *k)
      k++, s++;
    if (*k == 0 && *s == '=') {
      u64 v = 0;
      for (s++; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (u64)(*s - '0');
      return v;
    }
    while (*s && *s != ' ')
      s++;
  }
  return dflt;
}

// ---- virtio-mmio -----------------------------------------------------------

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080  // low; high at +4
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define R_CONFIG_GENERATION 0x0fc
#define R_CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define F_FLUSH 9  // VIRTIO_BLK_F_FLUSH
#define F_VERSION_1 32

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

static u64 base;  // the device's registers

static u32 rd(u32 off) { return *(volatile u32 *)(base + off); }
static void wr(u32 off, u32 v) { *(volatile u32 *)(base + off) = v; }

#define QSIZE 8
struct desc {
  u64 addr;
  u32 len;
  u16 flags, next;
};
#define D_NEXT 1
#define D_WRITE 2
static struct desc desc[QSIZE] __attribute__((aligned(4096)));
static struct {
  u16 flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(4096)));
static struct {
  u16 flags;
  volatile u16 idx;
  struct {
    u32 id, len;
  } ring[QSIZE];
  u16 avail_event;
} used __attribute__((aligned(4096)));
static u16 last_used;

static struct {
  u32 type, reserved;
  u64 sector;
} hdr;
static volatile u8 status;
static u8 sector0[512], buf[1024];
static int has_flush;
static u64 capacity;             // in sectors
static u64 desc_at = (u64)desc;  // where the device is told the table is
static int wide;                 // setup() with 64-bit stores

// Reset the device and set it up: features, queue 0, DRIVER_OK.
// Returns 0, or prints why not and returns -1.
static int setup(void) {
  wr(R_STATUS, 0);
  while (rd(R_STATUS) != 0)
    ;
  wr(R_STATUS, S_ACKNOWLEDGE);
  wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
  wr(R_DEVICE_FEATURES_SEL, 0);
  u32 lo = rd(R_DEVICE_FEATURES);
  wr(R_DEVICE_FEATURES_SEL, 1);
  u32 hi = rd(R_DEVICE_FEATURES);
  if (!(hi & 1u << (F_VERSION_1 - 32))) {
    puts_("vblk_guest: the device does not offer VIRTIO_F_VERSION_1\n");
    return -1;
  }
  has_flush = lo >> F_FLUSH & 1;
  wr(R_DRIVER_FEATURES_SEL, 0);
  wr(R_DRIVER_FEATURES, lo & 1u << F_FLUSH);
  wr(R_DRIVER_FEATURES_SEL, 1);
  wr(R_DRIVER_FEATURES, 1u << (F_VERSION_1 - 32));
  wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
  if (!(rd(R_STATUS) & S_FEATURES_OK)) {
    puts_("vblk_guest: the device refused our features\n");
    return -1;
  }
  wr(R_QUEUE_SEL, 0);
  if (rd(R_QUEUE_READY) != 0 || rd(R_QUEUE_NUM_MAX) < QSIZE) {
    puts_("vblk_guest: queue 0 is in use or too small\n");
    return -1;
  }
  for (int i = 0; i < QSIZE; i++)
    used.ring[i].id = used.ring[i].len = 0;
  avail.flags = avail.idx = 0;
  used.idx = 0;
  last_used = 0;
  wr(R_QUEUE_NUM, QSIZE);
  if (wide) {  // 64-bit stores: both halves at once (QEMU splits them)
    *(volatile u64 *)(base + R_QUEUE_DESC) = desc_at;
    *(volatile u64 *)(base + R_QUEUE_DRIVER) = (u64)&avail;
    *(volatile u64 *)(base + R_QUEUE_DEVICE) = (u64)&used;
  } else {
    wr(R_QUEUE_DESC, (u32)desc_at);
    wr(R_QUEUE_DESC + 4, (u32)(desc_at >> 32));
    wr(R_QUEUE_DRIVER, (u32)(u64)&avail);
    wr(R_QUEUE_DRIVER + 4, (u32)((u64)&avail >> 32));
    wr(R_QUEUE_DEVICE, (u32)(u64)&used);
    wr(R_QUEUE_DEVICE + 4, (u32)((u64)&used >> 32));
  }
  wr(R_QUEUE_READY, 1);
  wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
  return 0;
}

// What came back from a request.
struct result {
  int st;     // the status byte; -1: the device needs a reset; -2: no answer
  u32 len;    // the used ring's length
  u32 irq;    // InterruptStatus when it completed (then acknowledged)
  u32 claim;  // irq=1: what the PLIC's claim gave then
};

// irq=1 (a boot argument): the device's interrupt through virt's PLIC
// too -- on this hart's S-mode context -- claimed and completed after
// each request, with interrupts off. (Not sip.SEIP: QEMU 7.2 shows a
// guest under a hypervisor none there, hvip.VSEIP or not.)
#define PLIC 0x0c000000UL
static u32 irq_src;  // its source, from the device tree
static int use_plic;
static u64 plic_ctx;  // 2 * hart id + 1: virt's S-mode context of the hart

static volatile u32 *plic(u64 off) { return (volatile u32 *)(PLIC + off); }
static void plic_setup(void) {
  *plic(4 * irq_src) = 1;  // priority; then enable, threshold
  *plic(0x2000 + 0x80 * plic_ctx + irq_src / 32 * 4) = 1u << irq_src % 32;
  *plic(0x200000 + 0x1000 * plic_ctx) = 0;
}

// Hand the device descriptors 0..n-1 (already filled in, head 0) and wait.
static struct result submit(void) {
  struct result r = {-2, 0, 0, 0};
  status = 0xff;
  avail.ring[avail.idx % QSIZE] = 0;
  asm volatile("fence rw, rw" ::: "memory");
  avail.idx++;
  asm volatile("fence iorw, iorw" ::: "memory");
  wr(R_QUEUE_NOTIFY, 0);
  for (u64 i = 0; i < 200000000; i++) {
    if (used.idx != last_used) {
      asm volatile("fence rw, rw" ::: "memory");
      r.len = used.ring[last_used % QSIZE].len;
      last_used++;
      r.st = status;
      break;
    }
    if (i % 256 == 0 && (rd(R_STATUS) & S_NEEDS_RESET)) {
      r.st = -1;
      break;
    }
  }
  r.irq = rd(R_INTERRUPT_STATUS);
  wr(R_INTERRUPT_ACK, r.irq);
  if (use_plic) {
    r.claim = *plic(0x200004 + 0x1000 * plic_ctx);
    if (r.claim)
      *plic(0x200004 + 0x1000 * plic_ctx) = r.claim;  // complete
  }
  return r;
}

// Descriptors for a request: header, data (if len), status.
static void fill(u32 type, u64 sector, u64 data, u32 len) {
  hdr.type = type;
  hdr.reserved = 0;
  hdr.sector = sector;
  int n = 0;
  desc[n] = (struct desc){(u64)&hdr, sizeof hdr, D_NEXT, 1};
  n++;
  if (len) {
    u16 w = type == T_OUT ? 0 : D_WRITE;
    desc[n] = (struct desc){data, len, (u16)(w | D_NEXT), (u16)(n + 1)};
    n++;
  }
  desc[n] = (struct desc){(u64)&status, 1, D_WRITE, 0};
}

static struct result request(u32 type, u64 sector, u64 data, u32 len) {
  fill(type, sector, data, len);
  return submit();
}

static void show(const char *what, struct result r) {
  if (use_plic) {
    puts_("vblk_guest: plic: claim ");
    if (r.claim && r.claim == irq_src)
      puts_("its source");
    else
      putnum(r.claim);
    puts_("\n");
  }
  puts_("vblk_guest: ");
  puts_(what);
  if (r.st == -1)
    puts_(": the device needs a reset\n");
  else if (r.st == -2)
    puts_(": no answer\n");
  else {
    puts_(": status ");
    putnum((u64)r.st);
    if (r.st == 0) {  // (what an error's says differs: QEMU counts it all)
      puts_(", used length ");
      putnum(r.len);
    }
    puts_(", interrupt ");
    putnum(r.irq & 1);
    puts_("\n");
  }
}

static int same(const u8 *a, const u8 *b, int n) {
  while (n-- > 0)
    if (*a++ != *b++)
      return 0;
  return 1;
}

// The pattern written to sector 2, made from sector 0 (whose text the test
// makes new every run): tests/test_vblk.c computes it the same way.
static u8 pattern(int i) { return (u8)(sector0[i % 64] ^ (0xa5 + i)); }

// A request a driver must never send, then a reset to go on.
static void hostile(const char *what) {
  struct result r = submit();
  show(what, r);
  if (r.st == -1 && setup() < 0)
    shutdown(1);
}

// ---- fuzz=N: random requests (under stage 5: QEMU's device aborts
// QEMU on some of them) --------------------------------------------------

static u64 rng;
static u64 rnd(void) {  // xorshift64
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
#define PICK(a) (a)[rnd() % (sizeof(a) / sizeof((a)[0]))]

static u8 scratch[8192] __attribute__((aligned(4096)));

// N rounds of chains with random addresses (never the program's own code,
// stack or queue), lengths, flags and links, random heads and avail
// indexes, and now and then random stores and loads of any width to the
// registers. Then sector 0 must still read back right. The device must
// answer every notify at once (it works inside the notifying store).
static void fuzz(u64 rounds) {
  // (Only scratch of our own memory: a device told to write 4 KiB at a
  // small variable would do so, over whatever follows it.)
  const u64 addrs[] = {(u64)scratch, (u64)scratch + 4000, 0,
                       1UL << 56,    0x10001000,          0x87ffff00};
  const u32 lens[] = {0,   1,    15,   16,          17,         511,
                      512, 1024, 4096, 0x80000000u, 0xffffffffu};
  const u32 types[] = {T_IN, T_IN, T_OUT, T_FLUSH, T_GET_ID, 99};
  const u64 sectors[] = {0, 2, 100, capacity - 1, capacity, ~0UL};
  u64 answered = 0, resets = 0, pokes = 0, hangs = 0, st_count[4] = {0};
  for (u64 r = 0; r < rounds; r++) {
    if (rnd() % 16 == 0) {  // stores and loads of any width, anywhere
      u64 off = rnd() % 0x200, v = rnd();
      int w = 1 << (rnd() % 4);
      off &= ~(u64)(w - 1);
      if (rnd() & 1) {
        if (w == 1)
          *(volatile u8 *)(base + off) = (u8)v;
        if (w == 2)
          *(volatile u16 *)(base + off) = (u16)v;
        if (w == 4)
          *(volatile u32 *)(base + off) = (u32)v;
        if (w == 8)
          *(volatile u64 *)(base + off) = v;
      } else {
        if (w == 1)
          v = *(volatile u8 *)(base + off);
        if (w == 2)
          v = *(volatile u16 *)(base + off);
        if (w == 4)
          v = *(volatile u32 *)(base + off);
        if (w == 8)
          v = *(volatile u64 *)(base + off);
      }
      pokes++;
      if (setup() < 0)
        shutdown(1);
      continue;
    }
    for (int i = 0; i < QSIZE; i++) {
      desc[i].addr = PICK(addrs);
      desc[i].len = PICK(lens);
      desc[i].flags = (u16)(rnd() % 8);
      desc[i].next = (u16)(rnd() % 10);
      avail.ring[i] = (u16)(rnd() % 10);
    }
    if (rnd() % 4) {  // mostly a chain that looks right, one field off
      fill(T_IN, 0, PICK(addrs), PICK(lens));
      desc[1].flags = (u16)((rnd() & 1 ? D_WRITE : 0) | D_NEXT);
      for (int i = 0; i < QSIZE; i++)
        avail.ring[i] = 0;
      u16 *f[] = {&desc[rnd() % 3].flags, &desc[rnd() % 3].next,
                  &avail.ring[rnd() % QSIZE]};
      if (rnd() % 2)
        *PICK(f) = (u16)(rnd() % 10);
    }
    hdr.type = PICK(types);
    hdr.sector = PICK(sectors);
    if (hdr.type == T_OUT && hdr.sector < 100)
      hdr.sector = 100;  // (sectors 0 and 2 are the test's)
    u16 before = used.idx;
    avail.idx = (u16)(avail.idx + (rnd() % 8 == 0 ? 1 + rnd() % 20 : 1));
    asm volatile("fence iorw, iorw" ::: "memory");
    wr(R_QUEUE_NOTIFY, 0);
    u32 st = rd(R_STATUS);
    if (st & S_NEEDS_RESET) {
      resets++;
    } else if (used.idx != before) {
      answered++;
      st_count[status < 3 ? status : 3]++;
    } else {
      hangs++;
    }
    wr(R_INTERRUPT_ACK, rd(R_INTERRUPT_STATUS));
    if (setup() < 0)  // (also the easy way to a clean queue)
      shutdown(1);
  }
  puts_("vblk_guest: fuzz: ");
  putnum(rounds);
  puts_(" rounds: ");
  putnum(answered);
  puts_(" answered (");
  putnum(st_count[0]);
  puts_(" ok, ");
  putnum(st_count[1]);
  puts_(" ioerr, ");
  putnum(st_count[2]);
  puts_(" unsupp), ");
  putnum(resets);
  puts_(" resets, ");
  putnum(pokes);
  puts_(" register pokes, ");
  putnum(hangs);
  puts_(" unanswered\n");
  struct result res = request(T_IN, 0, (u64)buf, 512);
  show("after the fuzz, read sector 0", res);
  puts_(same(buf, sector0, 512) ? "vblk_guest: the same bytes as before\n"
                                : "vblk_guest: DIFFERENT bytes\n");
}

// Loads of every width from a register (the spec allows only 32 bits
// there) and from the configuration space (any width).
static void widths(void) {
  u64 m = base + R_MAGIC, c = base + R_CONFIG;
  puts_("vblk_guest: MagicValue read as 8, 16, 64 bits: ");
  puthex(*(volatile u8 *)m);
  puts_(", ");
  puthex(*(volatile u16 *)m);
  puts_(", ");
  puthex(*(volatile u64 *)m);
  puts_("\nvblk_guest: capacity read as 8, 16, 64 bits: ");
  puthex(*(volatile u8 *)(c + 1));
  puts_(", ");
  puthex(*(volatile u16 *)(c + 2));
  puts_(", ");
  puthex(*(volatile u64 *)c);
  puts_("\n");
}

// A driver that accepts a feature the device did not offer (bit 55): the
// spec lets the device refuse FEATURES_OK (QEMU drops the bit instead).
static void unoffered(void) {
  wr(R_STATUS, 0);
  while (rd(R_STATUS) != 0)
    ;
  wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
  wr(R_DRIVER_FEATURES_SEL, 0);
  wr(R_DRIVER_FEATURES, 0);
  wr(R_DRIVER_FEATURES_SEL, 1);
  wr(R_DRIVER_FEATURES, 1u << (F_VERSION_1 - 32) | 1u << (55 - 32));
  wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
  puts_("vblk_guest: a feature not offered: FEATURES_OK ");
  puts_(rd(R_STATUS) & S_FEATURES_OK ? "kept\n" : "refused\n");
  if (setup() < 0)
    shutdown(1);
}

// A request of 320 sectors (more than a device's buffer, probably), its
// header and its data cut into pieces of odd sizes -- a device must not
// assume any framing (2.7.4) -- written, then read back cut otherwise.
#define BIG (320 * 512)
static u8 big_out[BIG], big_in[BIG];

static struct result pieces(u32 type, const u32 *cut, int n, u8 *data) {
  hdr.type = type;
  hdr.reserved = 0;
  hdr.sector = 100;
  u16 w = type == T_IN ? D_WRITE : 0;
  desc[0] = (struct desc){(u64)&hdr, 5, D_NEXT, 1};  // 5 + 11 bytes
  desc[1] = (struct desc){(u64)&hdr + 5, sizeof hdr - 5, D_NEXT, 2};
  u64 at = 0;
  for (int i = 0; i < n; i++) {
    desc[2 + i] =
        (struct desc){(u64)data + at, cut[i], (u16)(w | D_NEXT), (u16)(3 + i)};
    at += cut[i];
  }
  desc[2 + n] = (struct desc){(u64)&status, 1, D_WRITE, 0};
  return submit();
}

static void big_request(void) {
  static const u32 out_cut[] = {70001, 1, BIG - 70002};
  static const u32 in_cut[] = {512, 100000, 3, 20000, BIG - 120515};
  for (int i = 0; i < BIG; i++)
    big_out[i] = (u8)(sector0[i % 16] + i / 512);
  show("write 320 sectors from 3 pieces", pieces(T_OUT, out_cut, 3, big_out));
  show("read them back into 5", pieces(T_IN, in_cut, 5, big_in));
  puts_(same(big_in, big_out, BIG) ? "vblk_guest: the same 320 sectors\n"
                                   : "vblk_guest: DIFFERENT sectors\n");
}

// ---- harts=N: the other harts read registers all along ------------------

static volatile int readers_stop;
static volatile u64 reads, bad_reads, readers_started, readers_done;
static u64 readers_mask;  // the harts start_readers started

// HSM hart_get_status: the state (1: STOPPED), or -1 on an error.
static long hart_status(long hart) {
  register long r0 asm("a0") = hart;
  register long r1 asm("a1") = 0;
  register long r6 asm("a6") = 2;
  register long r7 asm("a7") = SBI_HSM;
  asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
  return r0 == 0 ? r1 : -1;
}

// The other harts, started by SBI HSM (vblk_guest.S): while hart 0 works,
// they read registers that never change, through the same device.
void secondary(u64 hartid) {
  (void)hartid;
  __atomic_fetch_add(&readers_started, 1, __ATOMIC_SEQ_CST);
  while (!readers_stop) {
    u64 cap = (u64)rd(R_CONFIG + 4) << 32 | rd(R_CONFIG);
    if (cap != capacity || rd(R_MAGIC) != 0x74726976 || rd(R_DEVICE_ID) != 2)
      __atomic_fetch_add(&bad_reads, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&reads, 1, __ATOMIC_SEQ_CST);
  }
  __atomic_fetch_add(&readers_done, 1, __ATOMIC_SEQ_CST);
  sbi(SBI_HSM, 1, 0, 0);  // hart_stop
  for (;;)
    ;
}

// Start harts 0..n-1 but this one; wait until each has read once.
static u64 start_readers(u64 self, u64 n) {
  extern char secondary_entry[];
  u64 started = 0;
  for (u64 h = 0; h < n; h++)
    if (h != self && sbi3(SBI_HSM, 0, (long)h, (long)secondary_entry, 0) == 0) {
      started++;
      readers_mask |= 1UL << h;
    }
  while (readers_started < started || reads < started)
    ;
  return started;
}

static void stop_readers(u64 started) {
  readers_stop = 1;
  while (readers_done < started)
    ;
  // Wait until HSM says each is STOPPED: whatever the SBI underneath
  // prints about a hart's stop comes before our next line, not inside it.
  for (long h = 0; h < 64; h++) {
    long st = 0;
    while ((readers_mask >> h & 1) && st != 1 && st != -1)
      st = hart_status(h);
  }
  puts_("vblk_guest: ");
  putnum(started);
  puts_(" other harts read registers all along: ");
  puts_(bad_reads ? "some reads were WRONG\n" : "every read right\n");
}

void main(u64 hartid, const u8 *dtb) {
  struct slot slots[MAX_SLOTS];
  int n = virtio_slots(dtb, slots);
  if (n == 0) {  // (QEMU's always lists its eight slots)
    puts_("vblk_guest: no virtio-mmio node in the device tree: trying "
          "virt's first slot, 0x10001000\n");
    slots[n++] = (struct slot){0x10001000, 1};
  }
  for (int i = 0; i < n && !base; i++) {
    base = slots[i].base;
    irq_src = slots[i].irq;
    if (rd(R_MAGIC) != 0x74726976 || rd(R_DEVICE_ID) != 2)
      base = 0;
  }
  if (!base) {
    puts_("vblk_guest: no virtio-mmio block device in the device tree\n");
    shutdown(1);
  }
  if (rd(R_VERSION) != 2) {
    puts_("vblk_guest: a legacy virtio-mmio transport (version ");
    putnum(rd(R_VERSION));
    puts_("): this driver speaks only version 2\n");
    shutdown(1);
  }
  puts_("vblk_guest: a virtio-mmio block device, version 2\n");
  const char *args = fdt_find(dtb, "bootargs");
  use_plic = arg_num(args, "irq", 0) == 1;
  plic_ctx = 2 * hartid + 1;
  if (use_plic)
    plic_setup();
  if (setup() < 0)
    shutdown(1);
  puts_("vblk_guest: flush offered: ");
  puts_(has_flush ? "yes\n" : "no\n");
  u32 gen, lo, hi;
  do {
    gen = rd(R_CONFIG_GENERATION);
    lo = rd(R_CONFIG);
    hi = rd(R_CONFIG + 4);
  } while (gen != rd(R_CONFIG_GENERATION));
  capacity = (u64)hi << 32 | lo;
  puts_("vblk_guest: capacity ");
  putnum(capacity);
  puts_(" sectors\n");
  u64 readers = start_readers(hartid, arg_num(args, "harts", 1));
  widths();
  unoffered();

  struct result r = request(T_GET_ID, 0, (u64)buf, 20);
  show("get id", r);
  buf[20] = 0;
  puts_("vblk_guest: id \"");
  puts_((const char *)buf);
  puts_("\"\n");

  r = request(T_IN, 0, (u64)sector0, 512);
  show("read sector 0", r);
  puts_("vblk_guest: sector 0 says \"");
  for (int i = 0; i < 64 && sector0[i] >= ' ' && sector0[i] < 127; i++)
    sbi(1, 0, sector0[i], 0);
  puts_("\"\n");

  for (int i = 0; i < 512; i++)
    buf[i] = pattern(i);
  show("write sector 2", request(T_OUT, 2, (u64)buf, 512));
  if (has_flush)
    show("flush", request(T_FLUSH, 0, 0, 0));
  for (int i = 0; i < 512; i++)
    buf[i] = 0;
  avail.flags = 1;  // VIRTQ_AVAIL_F_NO_INTERRUPT: no interrupt wanted
  show("read sector 2 (no interrupt wanted)", request(T_IN, 2, (u64)buf, 512));
  avail.flags = 0;
  int ok = 1;
  for (int i = 0; i < 512; i++)
    ok &= buf[i] == pattern(i);
  puts_(ok ? "vblk_guest: sector 2 holds the pattern\n"
           : "vblk_guest: sector 2 does NOT hold the pattern\n");
  big_request();

  // Requests that must fail, and how.
  show("read 511 bytes", request(T_IN, 0, (u64)buf, 511));
  show("read past the end", request(T_IN, capacity, (u64)buf, 512));
  show("read the last sector and one past it",
       request(T_IN, capacity - 1, (u64)buf, 1024));
  show("unknown request type 99", request(99, 0, (u64)buf, 512));
  // Descriptors a device must not follow: it stops until reset.
  fill(T_IN, 0, 1UL << 56, 512);  // past any physical address
  hostile("data outside guest RAM");
  fill(T_IN, 0, (u64)buf, 0xfffffe00);
  hostile("a data descriptor of nearly 4 GiB");
  fill(T_IN, 0, (u64)buf, 512);
  desc[1].next = 200;
  hostile("a descriptor index past the queue");
  fill(T_IN, 0, (u64)buf, 512);
  desc[2].flags |= D_NEXT;
  desc[2].next = 1;
  hostile("a chain that loops");
  desc_at = 1UL << 56;
  if (setup() < 0)
    shutdown(1);
  desc_at = (u64)desc;  // (for the reset after this)
  fill(T_IN, 0, (u64)buf, 512);
  hostile("a descriptor table outside guest RAM");
  wide = 1;  // (for the setup after the next request)
  desc[0] = (struct desc){(u64)&hdr, sizeof hdr, 0, 0};
  hdr.type = T_IN;
  hostile("a request with no status byte");

  wide = 0;
  r = request(T_IN, 0, (u64)buf, 512);
  show("after the resets, read sector 0", r);
  puts_(same(buf, sector0, 512) ? "vblk_guest: the same bytes as before\n"
                                : "vblk_guest: DIFFERENT bytes\n");
  u64 rounds = arg_num(args, "fuzz", 0);
  if (rounds) {
    rng = arg_num(args, "seed", 0);
    for (int i = 0; i < 64 && !arg_num(args, "seed", 0); i++)
      rng = rng * 31 + sector0[i];  // (from the test's disk text)
    rng = rng ? rng : 1;
    puts_("vblk_guest: fuzz seed ");
    putnum(rng);
    puts_("\n");
    fuzz(rounds);
  }
  if (readers)
    stop_readers(readers);
  puts_("vblk_guest: done, shutting down through SRST\n");
  shutdown(0);
}
