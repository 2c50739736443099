// Stage 4: running a guest from a file -- `make run STEP=4 GUEST=image`.
//
// tools/guestpack checked the image and packaged it (include/hvlab/
// guestpkg.h); QEMU loaded the package into the machine with -initrd and
// told us where in our device tree (/chosen linux,initrd-start/-end). We
// check it again -- it is the guest's, so nothing in it is trusted -- copy
// its segments into guest RAM, write the guest a device tree, and enter it
// as firmware enters a kernel on virt:
//
//   pc = its entry point, a0 = hart id, a1 = GPA of its device tree,
//   satp = 0, interrupts off, the FPU on (sstatus.FS = Dirty, as OpenSBI
//   leaves it).
//
// Guest memory layout (gram= bytes of RAM at 0x80000000):
//   0x80000000 ...           the image's segments (usually 0x80200000...)
//   ... initrd ...           just below the device tree, if any
//   RAM end - 64 KiB         the device tree

#include "loader.h"
#include "bootargs.h"
#include "defs.h"
#include "fdt.h"
#include "hvlab/guestpkg.h"
#include "riscv.h"

static u64 cells(const char *p, int len) {
  u64 v = 0;
  for (int i = 0; i < len; i++)
    v = v << 8 | (u8)p[i];
  return v;
}

const struct gpkg_header *gpkg_find(u64 *len) {
  int sl, el;
  const char *s = dtb_prop(boot_dtb, "/chosen", "linux,initrd-start", &sl);
  const char *e = dtb_prop(boot_dtb, "/chosen", "linux,initrd-end", &el);
  if (!s || !e || (sl != 4 && sl != 8) || (el != 4 && el != 8))
    return NULL;
  u64 start = cells(s, sl), end = cells(e, el);
  if (end <= start)
    return NULL;
  *len = end - start;
  return (const struct gpkg_header *)start;
}

// [off, off + n) inside a package of size len?
static int inside(u64 off, u64 n, u64 len) {
  return off <= len && n <= len - off;
}

const char *gpkg_check(const struct gpkg_header *h, u64 len, u64 ram_gpa,
                       u64 ram_size) {
  if (len < sizeof *h || h->magic != GPKG_MAGIC)
    return "not a guest package (make it with tools/guestpack)";
  if (h->version != GPKG_VERSION)
    return "a guest package of another version";
  if (h->size > len || h->nseg == 0 || h->nseg > GPKG_MAX_SEGS ||
      !inside(sizeof *h, h->nseg * sizeof(struct gpkg_seg), h->size))
    return "a package with bad sizes";
  if (h->args_len == 0 || h->args_len > GPKG_MAX_ARGS ||
      !inside(h->args_off, h->args_len, h->size) ||
      ((const char *)h)[h->args_off + h->args_len - 1] != 0)
    return "bad boot arguments in the package";
  if (h->initrd_len && !inside(h->initrd_off, h->initrd_len, h->size))
    return "the initrd lies outside the package";
  // The name is printed in every report: plain characters only.
  if (h->name[GPKG_NAME_LEN - 1] != 0 || h->name[0] == 0)
    return "a bad image name";
  for (const char *c = h->name; *c; c++)
    if (*c <= ' ' || *c > '~' || *c == '\'' || *c == '"' || *c == '\\')
      return "a bad image name";
  const struct gpkg_seg *sg = (const struct gpkg_seg *)(h + 1);
  int entry_ok = 0;
  for (u32 i = 0; i < h->nseg; i++) {
    if (sg[i].filesz > sg[i].memsz || !inside(sg[i].off, sg[i].filesz, h->size))
      return "a segment lies outside the package";
    if (sg[i].gpa < ram_gpa || sg[i].memsz > ram_size - GPKG_DTB_SPACE ||
        sg[i].gpa - ram_gpa > ram_size - GPKG_DTB_SPACE - sg[i].memsz)
      return "a segment does not fit guest RAM (below its device tree)";
    entry_ok |= h->entry - sg[i].gpa < sg[i].memsz;
  }
  return entry_ok ? NULL : "the entry point is in no segment";
}

// The guest's ISA: ours, without the H extension (it cannot nest).
static void guest_isa(char *out, size_t n) {
  const char *isa = dtb_cpu_isa(boot_dtb);
  size_t j = 0;
  int in_letters = 1;
  for (size_t i = 0; isa && isa[i] && j + 1 < n; i++) {
    if (isa[i] == '_')
      in_letters = 0;
    if (in_letters && i >= 4 && isa[i] == 'h')
      continue;
    out[j++] = isa[i];
  }
  out[j] = 0;
  if (j == 0)
    snprintf(out, n, "rv64imac");
}

static u64 write_dtb4(struct vm *vm, u64 ram_gpa, u64 ram_size,
                      const char *args, u64 initrd, u64 initrd_len) {
  static struct fdt f;
  static u8 blob[8192];
  char isa[128];
  guest_isa(isa, sizeof isa);
  fdt_begin(&f);
  fdt_node(&f, "");
  fdt_prop_u32(&f, "#address-cells", 2);
  fdt_prop_u32(&f, "#size-cells", 2);
  fdt_prop_str(&f, "compatible", "hvlab,stage4-guest");
  fdt_prop_str(&f, "model", "hvlab stage 4 guest");
  fdt_node(&f, "chosen");
  fdt_prop_str(&f, "bootargs", args);
  if (initrd_len) {
    u64 s = initrd, e = initrd + initrd_len;
    fdt_prop_u64s(&f, "linux,initrd-start", &s, 1);
    fdt_prop_u64s(&f, "linux,initrd-end", &e, 1);
  }
  fdt_end_node(&f);
  fdt_node(&f, "cpus");
  fdt_prop_u32(&f, "#address-cells", 1);
  fdt_prop_u32(&f, "#size-cells", 0);
  fdt_prop_u32(&f, "timebase-frequency", 10000000);  // virt's 10 MHz
  fdt_node(&f, "cpu@0");
  fdt_prop_str(&f, "device_type", "cpu");
  fdt_prop_u32(&f, "reg", 0);
  fdt_prop_str(&f, "status", "okay");
  fdt_prop_str(&f, "compatible", "riscv");
  fdt_prop_str(&f, "riscv,isa", isa);
  fdt_prop_str(&f, "mmu-type", "riscv,sv39");
  fdt_node(&f, "interrupt-controller");
  fdt_prop_u32(&f, "#interrupt-cells", 1);
  fdt_prop(&f, "interrupt-controller", NULL, 0);
  fdt_prop_str(&f, "compatible", "riscv,cpu-intc");
  fdt_end_node(&f);
  fdt_end_node(&f);
  fdt_end_node(&f);
  char mem[32];
  snprintf(mem, sizeof mem, "memory@%lx", ram_gpa);
  fdt_node(&f, mem);
  fdt_prop_str(&f, "device_type", "memory");
  u64 reg[2] = {ram_gpa, ram_size};
  fdt_prop_u64s(&f, "reg", reg, 2);
  fdt_end_node(&f);
  fdt_end_node(&f);
  u32 n = fdt_finish(&f, blob, sizeof blob);
  u64 gpa = ram_gpa + ram_size - GPKG_DTB_SPACE;
  if (n == 0 || vm_write(vm, gpa, blob, n) < 0)
    return 0;
  return gpa;
}

u64 (*gpkg_write_dtb)(struct vm *vm, u64 ram_gpa, u64 ram_size,
                      const char *args, u64 initrd,
                      u64 initrd_len) = write_dtb4;

int gpkg_load(struct vm *vm, struct vcpu *v, const struct gpkg_header *h,
              u64 ram_gpa, u64 ram_size) {
  const struct gpkg_seg *sg = (const struct gpkg_seg *)(h + 1);
  const u8 *base = (const u8 *)h;
  for (u32 i = 0; i < h->nseg; i++) {
    if (vm_write(vm, sg[i].gpa, base + sg[i].off, sg[i].filesz) < 0)
      return -1;
    printf("hv: loaded %lu bytes at GPA %lx (%lu in memory)\n", sg[i].filesz,
           sg[i].gpa, sg[i].memsz);
    // (the rest of memsz is zero: guest RAM starts zeroed)
  }
  u64 initrd = 0;
  if (h->initrd_len) {
    initrd = (ram_gpa + ram_size - GPKG_DTB_SPACE - h->initrd_len) &
             ~(PAGE_SIZE - 1);
    for (u32 i = 0; i < h->nseg; i++)
      if (initrd < sg[i].gpa + sg[i].memsz &&
          sg[i].gpa < initrd + h->initrd_len) {
        printf("hv: the initrd does not fit beside the image in guest RAM\n");
        return -1;
      }
    if (vm_write(vm, initrd, base + h->initrd_off, h->initrd_len) < 0)
      return -1;
    printf("hv: initrd: %lu bytes at GPA %lx\n", h->initrd_len, initrd);
  }
  const char *args = (const char *)base + h->args_off;
  u64 dtb = gpkg_write_dtb(vm, ram_gpa, ram_size, args, initrd, h->initrd_len);
  if (dtb == 0)
    return -1;
  printf("hv: device tree for the guest at GPA %lx, bootargs \"", dtb);
  print_escaped(args, strlen(args));  // (whatever bytes they are)
  printf("\"\n");
  vcpu_init(v, h->name, h->entry, 0);
  v->x[11] = dtb;  // a1 (a0, the hart id, is vcpu_init's)
  // The FPU on, in the guest's sstatus (vsstatus) and in ours, which
  // gates it too: stage 4 runs one guest and uses no FP itself, so there
  // is no other FP state to keep apart.
  v->vs.vsstatus |= SSTATUS_FS;
  csr_set(sstatus, SSTATUS_FS);
  return 0;
}
