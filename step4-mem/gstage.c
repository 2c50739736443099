// Stage 4: building and reading the G-stage page table (privileged spec
// 8.5, "Two-Stage Address Translation").
//
// With hgatp = Bare (stages 1-3) a guest physical address *is* a host
// physical address, and a guest reaches everything, the hypervisor too.
// With hgatp = Sv39x4, every guest physical address (GPA) goes through
// this table to a host physical address (HPA) -- or to a guest-page fault,
// which comes to us. The format is Sv39's (include/hvlab/pte.h), except
// that the root covers 41 bits of GPA and so has 2048 entries:
//
//   GPA:  | 40 .. 30 | 29 .. 21 | 20 .. 12 | 11 .. 0 |
//         | VPN[2]   | VPN[1]   | VPN[0]   | offset  |
//           11 bits    9 bits     9 bits
//           root       level 1    level 0
//           (2048)     (512)      (512)

#include "gstage.h"
#include "defs.h"
#include "palloc.h"
#include "riscv.h"

struct gstage *gstage_current;

// The index into the level-`level` table for gpa (level 2 is the root).
static u64 vpn(u64 gpa, int level) {
  // BEGIN TASK lab4.3
  u64 mask = level == 2 ? SV39X4_ROOT_ENTRIES - 1 : SV39_ENTRIES - 1;
  return (gpa >> (PAGE_SHIFT + 9 * level)) & mask;
  // STUB: (void)gpa;
  // STUB: (void)level;
  // STUB: @TODO@;
  // END TASK
}

static u64 *table_of(u64 pte) { return (u64 *)(PTE_PPN(pte) << PAGE_SHIFT); }

int gstage_init(struct gstage *g, u64 vmid) {
  g->root = palloc(SV39X4_ROOT_SIZE, SV39X4_ROOT_SIZE);
  if (g->root == NULL)
    return -1;
  g->tables = SV39X4_ROOT_SIZE / PAGE_SIZE;
  g->vmid = vmid;
  // BEGIN TASK lab4.1
  g->hgatp = HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT |
             (vmid << HGATP_VMID_SHIFT & HGATP_VMID) |
             (u64)g->root >> PAGE_SHIFT;
  // STUB: @TODO@;
  // END TASK
  return 0;
}

// The entry for gpa at `level` (1 or 0), creating tables on the way down.
static u64 *entry_at(struct gstage *g, u64 gpa, int level) {
  // BEGIN TASK lab4.3
  u64 *table = g->root;
  for (int l = 2; l > level; l--) {
    u64 *pte = &table[vpn(gpa, l)];
    if (!(*pte & PTE_V)) {
      u64 *next = palloc(PAGE_SIZE, PAGE_SIZE);
      if (next == NULL)
        return NULL;
      g->tables++;
      // A pointer to a table: V only. (U, A, D are for leaves.)
      *pte = ((u64)next >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;
    } else if (PTE_IS_LEAF(*pte)) {
      return NULL;  // a bigger leaf is already there
    }
    table = table_of(*pte);
  }
  return &table[vpn(gpa, level)];
  // STUB: (void)g;
  // STUB: (void)gpa;
  // STUB: (void)level;
  // STUB: @TODO@;
  // END TASK
}

int gstage_prepare(struct gstage *g, u64 gpa, u64 size) {
  for (u64 a = gpa & ~(GIGAPAGE_SIZE - 1); a < gpa + size; a += GIGAPAGE_SIZE)
    if (entry_at(g, a, 1) == NULL)
      return -1;
  return 0;
}

int gstage_map(struct gstage *g, u64 gpa, u64 hpa, u64 size, u64 perm) {
  if (gpa >> SV39X4_GPA_BITS || (gpa | hpa | size) & (PAGE_SIZE - 1))
    return -1;
  while (size) {
    int big = ((gpa | hpa) & (MEGAPAGE_SIZE - 1)) == 0 && size >= MEGAPAGE_SIZE;
    u64 *pte = entry_at(g, gpa, big ? 1 : 0);
    if (pte == NULL || (*pte & PTE_V))
      return -1;
    // BEGIN TASK lab4.2
    *pte = (hpa >> PAGE_SHIFT) << PTE_PPN_SHIFT |
           (perm & (PTE_R | PTE_W | PTE_X)) | PTE_V | PTE_U | PTE_A | PTE_D;
    // STUB: (void)perm;
    // STUB: @TODO@;
    // END TASK
    u64 step = big ? MEGAPAGE_SIZE : PAGE_SIZE;
    gpa += step, hpa += step, size -= step;
  }
  return 0;
}

int gstage_walk(const struct gstage *g, u64 gpa, struct gwalk *w) {
  w->pte = NULL;
  w->level = 2;
  if (gpa >> SV39X4_GPA_BITS)
    return 0;
  u64 *table = g->root;
  for (int l = 2; l >= 0; l--) {
    w->level = l;
    w->pte = &table[vpn(gpa, l)];
    u64 pte = *w->pte;
    if (!(pte & PTE_V))
      return 0;
    if (PTE_IS_LEAF(pte)) {
      w->leaf_size = 1UL << (PAGE_SHIFT + 9 * l);
      w->hpa = (PTE_PPN(pte) << PAGE_SHIFT) + (gpa & (w->leaf_size - 1));
      return 1;
    }
    table = table_of(pte);
  }
  return 0;
}

u64 gstage_translate(const struct gstage *g, u64 gpa, u64 need) {
  struct gwalk w;
  if (!gstage_walk(g, gpa, &w) || (*w.pte & need) != need)
    return 0;
  return w.hpa;
}

// hfence.gvma rs1, rs2 (rs1 = GPA >> 2, rs2 = VMID): forget this guest's
// cached translations of that address (8.3.2). Spelled as .insn, like the
// other H instructions, for GCC 12's sake.
void gstage_flush(const struct gstage *g, u64 gpa) {
  asm volatile(".insn r 0x73, 0, 0x31, x0, %0, %1" ::"r"(gpa >> 2), "r"(g->vmid)
               : "memory");
}

// ---- Printing ----------------------------------------------------------------

static void perms(u64 pte, char s[6]) {
  s[0] = pte & PTE_R ? 'r' : '-';
  s[1] = pte & PTE_W ? 'w' : '-';
  s[2] = pte & PTE_X ? 'x' : '-';
  s[3] = pte & PTE_U ? 'u' : '-';
  s[4] = 0;
}

void gstage_walk_print_of(const struct gstage *g, u64 gpa) {
  printf("G-stage walk of GPA %lx (hgatp %016lx):\n", gpa, g->hgatp);
  if (gpa >> SV39X4_GPA_BITS) {
    printf("  beyond the 41 bits Sv39x4 translates: guest-page fault\n");
    return;
  }
  u64 *table = g->root;
  for (int l = 2; l >= 0; l--) {
    u64 i = vpn(gpa, l), *pte = &table[i];
    char p[6];
    perms(*pte, p);
    printf("  level %d: table %lx[%4lu] at %lx = %016lx", l, (u64)table, i,
           (u64)pte, *pte);
    if (!(*pte & PTE_V)) {
      printf("  invalid: guest-page fault\n");
      return;
    }
    if (PTE_IS_LEAF(*pte)) {
      u64 size = 1UL << (PAGE_SHIFT + 9 * l);
      printf("  leaf %s, %lu KiB\n", p, size >> 10);
      printf("  GPA %lx -> HPA %lx\n", gpa,
             (PTE_PPN(*pte) << PAGE_SHIFT) + (gpa & (size - 1)));
      return;
    }
    printf("  next table\n");
    table = table_of(*pte);
  }
}

// The dump coalesces neighbouring leaves that continue one another (next
// GPA, next HPA, same permissions) into one line.
struct run {
  u64 gpa, hpa, size, pte_flags, leaves;
};

static void run_print(const struct run *r) {
  if (r->size == 0)
    return;
  char p[6];
  perms(r->pte_flags, p);
  printf("  GPA %010lx-%010lx  %s  -> HPA %010lx-%010lx  %6lu KiB in %lu "
         "leaves\n",
         r->gpa, r->gpa + r->size - 1, p, r->hpa, r->hpa + r->size - 1,
         r->size >> 10, r->leaves);
}

static void dump_table(const u64 *table, int level, u64 base, struct run *r) {
  u64 n = level == 2 ? SV39X4_ROOT_ENTRIES : SV39_ENTRIES;
  u64 span = 1UL << (PAGE_SHIFT + 9 * level);
  for (u64 i = 0; i < n; i++) {
    u64 pte = table[i], gpa = base + i * span;
    if (!(pte & PTE_V))
      continue;
    if (!PTE_IS_LEAF(pte)) {
      dump_table(table_of(pte), level - 1, gpa, r);
      continue;
    }
    u64 hpa = PTE_PPN(pte) << PAGE_SHIFT, flags = pte & 0xff;
    if (r->size && r->gpa + r->size == gpa && r->hpa + r->size == hpa &&
        r->pte_flags == flags) {
      r->size += span;
      r->leaves++;
      continue;
    }
    run_print(r);
    *r = (struct run){gpa, hpa, span, flags, 1};
  }
}

void gstage_dump_of(const struct gstage *g) {
  printf("G-stage mappings (hgatp %016lx: Sv39x4, VMID %lu, root %lx, %lu "
         "table pages):\n",
         g->hgatp, g->vmid, (u64)g->root, g->tables);
  struct run r = {0};
  dump_table(g->root, 2, 0, &r);
  run_print(&r);
}

void gstage_dump(void) {
  if (gstage_current)
    gstage_dump_of(gstage_current);
  else
    printf("no guest has a G-stage table yet\n");
}

u64 gstage_hpa(u64 gpa) {
  return gstage_current ? gstage_translate(gstage_current, gpa, 0) : 0;
}

void gstage_walk_print(u64 gpa) {
  if (gstage_current)
    gstage_walk_print_of(gstage_current, gpa);
  else
    printf("no guest has a G-stage table yet\n");
}
