// Stage 5 driver: a guest with devices, interrupts and several harts --
// software written for QEMU's virt machine, run unchanged.
//
//   make run STEP=5 GUEST=image [GUEST_HARTS=n] [GUEST_ARGS=...] ...
//
// Boot arguments (make step5 ARGS="..."), checked by boot() against the
// table below before anything runs; `make step5 ARGS=help` lists them.

#include "bootargs.h"
#include "defs.h"
#include "hext.h"
#include "hypercall.h"
#include "loader.h"
#include "palloc.h"
#include "run.h"
#include "vblk.h"
#include "vdev.h"
#include "vhart.h"
#include "vplic.h"
#include "vtest.h"
#include "vuart.h"

#define GUEST_RAM_GPA 0x80000000UL
#define GUEST_VMID 1

static struct vm vm;

void sbi5_init(void);
void dtpatch_init(void);
extern int guest_has_disk;  // dtpatch.c: keep the virtio slot in the tree

static long gram_mib = 128;
static const char *sstc_word;
static const char *const on_off[] = {"on", "off", NULL};
static const char *const crash_words[] = {"hv", "sp", "stack", "status", NULL};
static const struct bootarg args[] = {
    BOOTARG_NUM("gram", &gram_mib, 16, 1024,
                "guest RAM at 0x80000000, in MiB (default 128)"),
    BOOTARG_WORD("sstc", &sstc_word, on_off,
                 "off: hide Sstc from the guest: its timer goes through SBI "
                 "(default on, if the CPU has it)"),
    BOOTARG_WORD("crash", &boot_crash, crash_words,
                 "traps (hv, sp), stack overflow, poweroff(256)"),
};
const struct stage_info stage = {
    .name = "step5",
    .args = args,
    .nargs = ARRAY_SIZE(args),
    .notes = "  Without a guest from a file (make run STEP=5 GUEST=image "
             "[GUEST_HARTS=1..4],\n  see README.md) it runs its built-in "
             "guest, sbitest.\n",
    .memory_note = "no guest can reach it: a hypervisor bug",
};

// The guest's machine: RAM where virt has it, and the devices.
static int make_vm(const char *name, u64 ram_size) {
  if (vm_init(&vm, name, GUEST_VMID) < 0 ||
      !vm_add_ram(&vm, "ram", GUEST_RAM_GPA, ram_size, 0))
    return -1;
  vm_current = &vm;
  gstage_current = &vm.g;
  if (vtest_init(&vm) < 0 || vplic_init(&vm, nharts) < 0 || vuart_init(&vm) < 0)
    return -1;
  host_input_poll = vuart_poll;
  // The disk (GUEST_DISK=file): a virtio block device, or an empty slot.
  int disk = vblk_init(&vm);
  if (disk < 0)
    return -1;
  guest_has_disk = disk;
  return 0;
}

int stage_main(void) {
  printf("step5: devices, interrupts, several vCPUs\n");
  h_enable(0);
  exits_init();
  gpf_init();
  palloc_init();
  mmio_init();
  vtimer_init();
  sbi5_init();
  dtpatch_init();
  guest_sstc = (h_henvcfg & HENVCFG_STCE) &&
               !(sstc_word && strcmp(sstc_word, "off") == 0);

  u64 ram_size = (u64)gram_mib << 20;  // checked by boot(): 16..1024
  u64 pkg_len;
  const struct gpkg_header *pkg = gpkg_find(&pkg_len);
  if (pkg == NULL) {  // no GUEST=: the built-in guest (guest_pkg.S)
    extern const char guest5_pkg[], guest5_pkg_end[];
    pkg = (const struct gpkg_header *)guest5_pkg;
    pkg_len = (u64)(guest5_pkg_end - guest5_pkg);
    printf("hv: no GUEST=image: running the built-in guest, sbitest (SBI "
           "conformance, step5-devices/guest/)\n");
  }
  const char *bad = gpkg_check(pkg, pkg_len, GUEST_RAM_GPA, ram_size);
  if (bad) {
    printf("hv: the guest package at %p: %s\n", (void *)pkg, bad);
    printf("step5: FAIL: cannot load the guest (status %d)\n", EXIT_FAIL);
    return EXIT_FAIL;
  }
  smp_init(pkg->name);
  struct vcpu *v0 = &vharts[0].vcpu;
  if (make_vm(pkg->name, ram_size) < 0 ||
      gpkg_load(&vm, v0, pkg, GUEST_RAM_GPA, ram_size) < 0) {
    printf("step5: FAIL: cannot load guest '%s' (status %d)\n", pkg->name,
           EXIT_FAIL);
    return EXIT_FAIL;
  }
  vm_print_regions(&vm);
  printf("hv: entering guest '%s' at %016lx on %d hart%s, Sstc %s\n", pkg->name,
         v0->pc, nharts, nharts > 1 ? "s" : "", guest_sstc ? "on" : "off");
  int st = smp_run(v0->pc, v0->x[11]);
  if (integrity_check())
    st = EXIT_HV_PANIC;
  trace_summary();
  if (st == EXIT_OK) {
    printf("step5: PASS: guest '%s' ran on %d hart%s and shut down\n",
           pkg->name, nharts, nharts > 1 ? "s" : "");
    return EXIT_OK;
  }
  if (st != EXIT_GUEST_ERROR && st != EXIT_HV_PANIC)
    st = EXIT_FAIL;
  printf("step5: FAIL: guest '%s' %s (status %d)\n", pkg->name,
         st == EXIT_FAIL ? "shut down reporting failure" : "failed", st);
  return st;
}
