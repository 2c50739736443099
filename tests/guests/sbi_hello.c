// A tiny S-mode program for QEMU's virt machine that knows nothing of
// hvlab: it prints through the SBI legacy console, reports what it found
// at entry (hart id, device tree, /chosen bootargs, satp, interrupts, FPU),
// and shuts down through SBI SRST. Under plain QEMU (OpenSBI) and under
// stage 4 (make run STEP=4 GUEST=...) it must print the same lines.

typedef unsigned long u64;
typedef unsigned int u32;

static long sbi(long eid, long fid, long a0, long a1) {
  register long r0 asm("a0") = a0;
  register long r1 asm("a1") = a1;
  register long r6 asm("a6") = fid;
  register long r7 asm("a7") = eid;
  asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
  return r0;
}

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

static u32 be32(const unsigned char *p) {
  return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

// The value of the first property called `name` in the tree, or 0.
static const char *fdt_find(const unsigned char *fdt, const char *name) {
  if (be32(fdt) != 0xd00dfeed)
    return 0;
  u32 size = be32(fdt + 4), off = be32(fdt + 8), end = off + be32(fdt + 36);
  const char *strs = (const char *)fdt + be32(fdt + 12);
  if (end > size)
    return 0;
  while (off + 4 <= end) {
    u32 tok = be32(fdt + off);
    off += 4;
    if (tok == 1) {  // BEGIN_NODE: skip the name
      while (off < end && fdt[off])
        off++;
      off = (off + 4) & ~3u;
    } else if (tok == 3) {  // PROP
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

void main(u64 hartid, const unsigned char *dtb) {
  u64 sstatus, satp;
  asm volatile("csrr %0, sstatus" : "=r"(sstatus));
  asm volatile("csrr %0, satp" : "=r"(satp));
  puts_("sbi_hello: an S-mode program on virt\n");
  puts_("sbi_hello: hart ");
  putnum(hartid);
  puts_("\nsbi_hello: device tree ");
  puts_(dtb && be32(dtb) == 0xd00dfeed ? "found" : "MISSING");
  const char *args = dtb ? fdt_find(dtb, "bootargs") : 0;
  puts_("\nsbi_hello: bootargs \"");
  puts_(args ? args : "");
  puts_("\"\nsbi_hello: satp ");
  putnum(satp);
  puts_(", interrupts ");
  puts_(sstatus & 2 ? "on" : "off");
  puts_(", FPU ");
  puts_(sstatus & (3UL << 13) ? "on" : "off");
  puts_("\nsbi_hello: shutting down through SRST\n");
  sbi(0x53525354, 0, 0, 0);  // SRST: shutdown, no reason
  for (;;)
    ;
}
