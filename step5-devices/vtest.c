// Stage 5: virt's power-off device (QEMU's sifive_test), emulated.
//
// One register, at offset 0. Software that wants the machine off writes a
// command into its low 16 bits (Linux and U-Boot find the values in the
// device tree's syscon-poweroff and syscon-reboot nodes):
//   0x5555             power off: the guest is done, status 0
//   0x3333 | code<<16  power off reporting failure: status `code`
//   0x7777             reset: we cannot restart a guest, so it stops, as a
//                      failure (as an SRST reboot does in stage 3)
// Other values do nothing, reads return 0, as on QEMU; so do accesses of
// 16 or 32 bits, the only widths QEMU's device answers (others fault).

#include "defs.h"
#include "hypercall.h"
#include "memlayout.h"  // SIFIVE_TEST_PASS, _FAIL, _RESET
#include "vdev.h"

#define VTEST_SIZE 0x1000

static int vtest_access(struct vcpu *v, void *dev, struct mmio_access *a) {
  (void)dev;
  if (a->width != 2 && a->width != 4)
    return VDEV_FAULT;
  if (!a->write) {
    a->val = 0;
    return VDEV_OK;
  }
  if (a->off != 0)
    return VDEV_OK;
  u64 cmd = a->val & 0xffff, code = a->val >> 16 & 0xffff;
  if (cmd != SIFIVE_TEST_PASS && cmd != SIFIVE_TEST_FAIL &&
      cmd != SIFIVE_TEST_RESET)
    return VDEV_OK;
  if (cmd == SIFIVE_TEST_PASS)
    guest_stop(v, 0, "powered off");
  else if (cmd == SIFIVE_TEST_FAIL)
    guest_stop(v, code ? (int)code : EXIT_FAIL,
               "powered off reporting failure");
  else
    guest_stop(v, EXIT_FAIL, "asked for a reset; stopping it instead");
  return VDEV_STOP;
}

int vtest_init(struct vm *vm) {
  return vdev_register(vm, "test", VIRT_TEST_GPA, VTEST_SIZE, vtest_access,
                       NULL)
             ? 0
             : -1;
}
