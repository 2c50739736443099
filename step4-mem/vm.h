// Stage 4: a guest's memory -- its regions, the G-stage table that maps
// them, and guest-page faults.
#pragma once

#include "gstage.h"
#include "run.h"

// What lives at a range of guest-physical addresses.
enum region_kind {
  REGION_RAM,   // host memory, read/write/execute
  REGION_ROM,   // host memory, read/execute only
  REGION_MMIO,  // nothing mapped: every access faults to a device handler
};

struct gpf;
// A device's handler, called for a guest-page fault inside its region.
// Returns what an exit handler returns (run.h): the pc advance or EXIT_STOP.
typedef int (*mmio_handler_t)(struct vcpu *v, const struct gpf *f, void *dev);

struct region {
  const char *name;
  enum region_kind kind;
  u64 gpa, size;
  u64 hpa;  // RAM/ROM: host address of its first page (RAM comes in 2 MiB
            // pieces: gstage_translate finds the rest); 0 = on demand
  mmio_handler_t mmio;
  void *dev;
};

#define VM_MAX_REGIONS 16
struct vm {
  const char *name;
  struct gstage g;
  struct region regions[VM_MAX_REGIONS];
  int nregions;
  u64 demand_maps;  // pages mapped on first touch
};
extern struct vm *vm_current;  // the guest that runs (one at a time)

int vm_init(struct vm *vm, const char *name, u64 vmid);
// RAM at gpa: backed and mapped now, or (demand) page by page as touched.
struct region *vm_add_ram(struct vm *vm, const char *name, u64 gpa, u64 size,
                          int demand);
// Read-only memory, filled with data[0..n) and zeros after.
struct region *vm_add_rom(struct vm *vm, const char *name, u64 gpa, u64 size,
                          const void *data, u64 n);
// A device: its region is left unmapped, and faults in it call fn(dev).
struct region *mmio_register(struct vm *vm, const char *name, u64 gpa, u64 size,
                             mmio_handler_t fn, void *dev);
const struct region *vm_region_of(const struct vm *vm, u64 gpa);
// Copy between the hypervisor and guest-physical memory (the hypervisor's
// own view: it may write read-only regions). 0, or -1 if not all RAM/ROM.
int vm_write(struct vm *vm, u64 gpa, const void *src, u64 n);
int vm_read(struct vm *vm, u64 gpa, void *dst, u64 n);
void vm_print_regions(const struct vm *vm);

// A guest-page fault, decoded (gpf.c).
struct gpf {
  u64 cause;                 // 20, 21 or 23
  const char *access;        // "fetch", "load", "store/AMO"
  u64 gva;                   // stval: the guest virtual address ...
  int gva_valid;             // ... if hstatus.GVA says it is one
  u64 gpa;                   // htval << 2 | (stval & 3)
  int implicit;              // 1: an access of the guest's own page-table walk;
                             // 0: the instruction's own access; -1: unknown
  const char *implicit_why;  // how we know (a constant string: every MMIO
                             // access is a fault, too many to format)
  const struct region *region;  // where gpa falls, or NULL
};
extern struct gpf gpf_last;  // the last fault that stopped a guest
extern u64 gpf_stops;        // how many guests a fault stopped

void gpf_init(void);  // registers the handlers for scause 20, 21, 23
int guest_page_fault(struct vcpu *v, struct vm_exit *e);  // their handler
// ... which is these two: decode the fault, then act on its region (a
// later stage may look at the decoded fault first, as stage 5 does).
void gpf_decode(const struct vcpu *v, const struct vm_exit *e, struct gpf *f);
int gpf_handle(struct vcpu *v, struct vm_exit *e, const struct gpf *f);
void memcalls_init(void);
struct region *testdev_register(
    struct vm *vm);  // testdev.c  // memcalls.c: HVLAB_MEMCHECK, HVLAB_READ
