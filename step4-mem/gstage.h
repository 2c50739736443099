// Stage 4: the G-stage -- the hypervisor's page table for a guest's
// physical address space (hgatp, Sv39x4).
#pragma once

#include "hvlab/pte.h"
#include "types.h"

struct gstage {
  u64 *root;   // 2048 entries, 16 KiB, 16 KiB aligned
  u64 vmid;    // tags this guest's translations in the TLB
  u64 hgatp;   // MODE=Sv39x4 | VMID | root PPN: what vcpu_load writes
  u64 tables;  // page-table pages in use (the root counts 4)
};

// What a walk of one guest-physical address found.
struct gwalk {
  int level;      // where it stopped: 2, 1 or 0
  u64 *pte;       // the last entry read (NULL if the GPA is out of range)
  u64 hpa;        // for a leaf: the host-physical address
  u64 leaf_size;  // for a leaf: 4 KiB, 2 MiB or 1 GiB
};

int gstage_init(struct gstage *g, u64 vmid);
// Map [gpa, gpa + size) to [hpa, ...) with permissions perm (PTE_R/W/X;
// V, U, A and D are added). Uses 2 MiB leaves where both sides are 2 MiB
// aligned, 4 KiB leaves elsewhere. Returns 0, or -1 if out of memory or
// a page is already mapped.
int gstage_map(struct gstage *g, u64 gpa, u64 hpa, u64 size, u64 perm);
// Create the tables that 2 MiB leaves for [gpa, gpa + size) need, now
// (so that memory allocated next lies in one piece). 0, or -1 if out.
int gstage_prepare(struct gstage *g, u64 gpa, u64 size);
// Walk gpa; returns 1 and fills *w if a valid leaf maps it, else 0.
int gstage_walk(const struct gstage *g, u64 gpa, struct gwalk *w);
// The host address behind gpa if the mapping allows every PTE_R/W/X bit in
// `need`, else 0.
u64 gstage_translate(const struct gstage *g, u64 gpa, u64 need);
// Flush this guest's cached translations of one GPA (after a change).
void gstage_flush(const struct gstage *g, u64 gpa);

// For people and gdb: print the walk of one GPA, or every mapping, of the
// current guest (`call gstage_dump()` / `call gstage_walk_print(0x80200000)`
// in gdb), or of a given table.
// (They print on the console, QEMU's terminal; gstage_hpa answers in gdb:
// `p/x gstage_hpa(0x80200000)`, 0 if unmapped.)
void gstage_dump(void);
u64 gstage_hpa(u64 gpa);
void gstage_walk_print(u64 gpa);
void gstage_dump_of(const struct gstage *g);
void gstage_walk_print_of(const struct gstage *g, u64 gpa);
extern struct gstage *gstage_current;
