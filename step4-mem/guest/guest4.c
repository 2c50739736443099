// Stage 4's built-in guest: tests of guest memory, seen from inside.
// It is a separate program (not part of the hypervisor image it runs
// under): the hypervisor loads it into guest RAM, and it can reach only
// what the G-stage table maps. It prints and reports through hypercalls
// (step3-guest/guest_lib.c, compiled into it as well).

#include "guest4.h"
#include "guest.h"
#include "hvlab/pte.h"

// Its own Sv39 page table: a root and, for the test window, one table per
// level below it. (Page tables are 4 KiB and 4 KiB aligned.)
static u64 root[SV39_ENTRIES] __attribute__((aligned(4096)));
static u64 l1[SV39_ENTRIES] __attribute__((aligned(4096)));
static u64 l0[SV39_ENTRIES] __attribute__((aligned(4096)));
// The pattern's pages, in guest-physical memory.
static u64 pat[G4_PAT_PAGES][SV39_ENTRIES] __attribute__((aligned(4096)));

static u64 pte_table(const void *table) {
  return ((u64)table >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;
}

static u64 pte_leaf(u64 gpa, u64 perm) {
  return (gpa >> PAGE_SHIFT) << PTE_PPN_SHIFT | perm | PTE_V | PTE_A | PTE_D;
}

// Turn on our own translation: satp (vsatp, as the hypervisor sees it).
static void satp_on(void) {
  u64 satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | (u64)root >> PAGE_SHIFT;
  asm volatile("csrw satp, %0\n sfence.vma" ::"r"(satp) : "memory");
}

// The identity map of our RAM (one 1 GiB leaf at 0x80000000), so that the
// code, stack and data keep their addresses when translation goes on.
static void map_identity(void) {
  root[2] = pte_leaf(0x80000000UL, PTE_R | PTE_W | PTE_X);
}

// G4_PAGING: translation through both stages.
//   VA window page i  --(our Sv39 table)-->  GPA pat[3 - i]
//   GPA pat[k]        --(the G-stage)------>  host address (hypervisor's)
static int paging(void) {
  int failed = 0;
  map_identity();
  root[G4_WINDOW_VA >> 30] = pte_table(l1);
  l1[(G4_WINDOW_VA >> 21) & 511] = pte_table(l0);
  for (int i = 0; i < G4_PAT_PAGES; i++)
    l0[i] = pte_leaf((u64)pat[G4_PAT_PAGES - 1 - i], PTE_R | PTE_W);
  // and one more page that leads to a GPA outside our memory
  l0[G4_PAT_PAGES] = pte_leaf(G4_HOLE_GPA, PTE_R | PTE_W);
  satp_on();

  // Write the pattern through the window: each word gets the value for the
  // GPA our table says it lands at.
  volatile u64 *win = (u64 *)G4_WINDOW_VA;
  for (int i = 0; i < G4_PAT_PAGES * SV39_ENTRIES; i++) {
    u64 gpa = (u64)pat[G4_PAT_PAGES - 1 - i / SV39_ENTRIES] +
              (u64)(i % SV39_ENTRIES) * 8;
    win[i] = g4_pattern(gpa);
  }
  int ok = 1;
  for (int p = 0; p < G4_PAT_PAGES; p++)
    for (int j = 0; j < SV39_ENTRIES; j++)
      ok &= pat[p][j] == g4_pattern((u64)&pat[p][j]);
  failed += !gtest("the pattern written through the window is at its GPAs", ok);
  struct sbiret r = gcall(SBI_EXT_HVLAB, HVLAB_MEMCHECK, (u64)pat, sizeof pat);
  failed += !gtest("the hypervisor finds it at the host addresses it mapped",
                   r.error == 0 && r.value == (long)(sizeof pat / 8));

  // Hypercalls that point at memory: ours, not ours, nowhere.
  u64 sum = 0;
  for (int i = 0; i < 64; i++)
    sum += ((volatile u8 *)win)[i];
  r = gcall(SBI_EXT_HVLAB, HVLAB_READ, G4_WINDOW_VA, 64);
  failed += !gtest("the hypervisor reads our buffer through both stages",
                   r.error == 0 && (u64)r.value == sum);
  r = gcall(SBI_EXT_HVLAB, HVLAB_READ, G4_UNMAPPED_VA, 8);
  failed += !gtest("a buffer our table does not map: SBI_ERR_INVALID_ADDRESS",
                   r.error == SBI_ERR_INVALID_ADDRESS);
  r = gcall(SBI_EXT_HVLAB, HVLAB_READ, G4_WINDOW_VA + G4_PAT_PAGES * PAGE_SIZE,
            8);
  failed += !gtest("a buffer at a GPA we do not own: SBI_ERR_INVALID_ADDRESS",
                   r.error == SBI_ERR_INVALID_ADDRESS);
  r = gcall(SBI_EXT_HVLAB, HVLAB_MEMCHECK, G4_HOLE_GPA, 8);
  failed += !gtest("memcheck of a GPA we do not own: SBI_ERR_INVALID_ADDRESS",
                   r.error == SBI_ERR_INVALID_ADDRESS);
  return failed;
}

// Store to addr and read it back, then put the old value back. Under
// hgatp = Bare this would be the hypervisor's memory; now it is ours.
static int poke(u64 addr) {
  volatile u64 *p = (u64 *)addr;
  u64 old = *p;
  *p = ~old;
  int ok = *p == ~old;
  *p = old;
  return ok;
}

static int demand(u64 base, u64 stride) {
  for (u64 i = 0; i < G4_DEMAND_PAGES; i++)
    *(volatile u64 *)(base + i * stride) = g4_pattern(base + i * stride);
  int ok = 1;
  for (u64 i = 0; i < G4_DEMAND_PAGES; i++)
    ok &= *(volatile u64 *)(base + i * stride) == g4_pattern(base + i * stride);
  return !gtest("pages touched for the first time hold what we wrote", ok);
}

// G4_FAULTBENCH: the instructions one on-demand G-stage fault costs, from
// the guest's store to its return there: a store to a fresh page minus a
// store to a mapped one. Exact under QEMU's -icount shift=0 (make bench);
// meaningless otherwise, and 0 unless RAM is mapped on demand.
static u64 store_cost(volatile u64 *p) {
  u64 t0, t1;
  asm volatile("rdinstret %0\n sd zero, 0(%2)\n rdinstret %1"
               : "=&r"(t0), "=&r"(t1)
               : "r"(p)
               : "memory");
  return t1 - t0;
}

static int faultbench(u64 base) {
  volatile u64 *p = (u64 *)base;
  store_cost(p);  // the first page of its 2 MiB: also a level-0 table
  u64 fresh = store_cost(p + 512), mapped = store_cost(p + 513);
  gputs("guest4: on-demand fault round trip: ");
  gputdec((long)(fresh - mapped));
  gputs(" instructions (a store to a fresh page ");
  gputdec((long)fresh);
  gputs(", to a mapped one ");
  gputdec((long)mapped);
  gputs(")\n");
  return 0;
}

// G4_MMIO: the test device answers loads and stores of every width, and
// counts them. Each access is an exit: the hypervisor decodes it.
static int mmio(u64 base) {
  volatile u64 *r64 = (u64 *)base;
  volatile u32 *r32 = (u32 *)base;
  volatile u8 *r8 = (u8 *)base;
  int failed = 0;
  failed += !gtest("the test device's ID reads (ld)", r64[0] == G4_TESTDEV_ID);
  failed += !gtest("its ID, 32 bits at a time (lw, sign-extended)",
                   (u64)(long)(int)r32[0] == (u64)(long)(int)G4_TESTDEV_ID &&
                       r32[1] == (u32)(G4_TESTDEV_ID >> 32));
  r64[1] = 0x1122334455667788UL;
  r8[8] = 0x99;
  failed += !gtest("a store to SCRATCH reads back (sd, sb, ld)",
                   r64[1] == 0x1122334455667799UL);
  failed +=
      !gtest("the device counted 7 accesses, this one included", r64[2] == 7);
  return failed;
}

void guest4_main(u64 hartid, u64 dtb, u64 test, u64 a3, u64 a4) {
  (void)hartid, (void)dtb;
  int failed = 0;
  switch (test) {
  case G4_PAGING: failed = paging(); break;
  case G4_HVIMAGE:
    failed += !gtest("a store to the hypervisor's code address hits our RAM",
                     poke(a3));
    failed += !gtest("a store to the hypervisor's data address hits our RAM",
                     poke(a4));
    break;
  case G4_BEYOND: *(volatile u64 *)a3 = 1; break;
  case G4_ROM:
    failed += !gtest("the ROM reads", *(volatile u64 *)a3 == G4_ROM_MAGIC);
    *(volatile u64 *)a3 = 0;
    break;
  case G4_LOAD: (void)*(volatile u64 *)a3; break;
  case G4_FETCH: ((void (*)(void))a3)(); break;
  case G4_PTWALK:
    map_identity();
    root[G4_WINDOW_VA >> 30] = pte_table((void *)a3);
    satp_on();
    (void)*(volatile u64 *)G4_WINDOW_VA;
    break;
  case G4_DEMAND: failed = demand(a3, a4); break;
  case G4_FAULTBENCH: failed = faultbench(a3); break;
  case G4_MMIO: failed = mmio(a3); break;
  default: gputs("guest4: unknown test\n"); failed = 1;
  }
  if (test >= G4_BEYOND && test <= G4_PTWALK) {
    gputs("guest4: still running after the access: not isolated\n");
    failed++;
  }
  gshutdown(failed);
}
