// Stage 5: emulated devices. A device owns a range of guest-physical
// addresses that the G-stage table leaves unmapped (stage 4's
// mmio_register), so every guest load or store there is a guest-page
// fault. mmio.c reads the faulting instruction (htinst is 0 on QEMU 7.2),
// decodes its width, signedness and register, and calls the device's
// access function with one `struct mmio_access`; then it writes a load's
// result into the guest's register and steps over the instruction.
#pragma once

#include "virt5.h"
#include "vm.h"

struct mmio_access {
  u64 off;    // offset of the access in the device's region
  int width;  // 1, 2, 4 or 8 bytes (naturally aligned: mmio.c checks)
  int write;  // 1: a store of `val`; 0: a load, the device sets `val`
  u64 val;    // store: the low `width` bytes of the register; load: the
              // value (mmio.c keeps the low `width` bytes and extends them)
};

// What a device's access function returns.
#define VDEV_OK 0  // done: the guest goes on after its instruction
#define VDEV_FAULT                                                             \
  -1  // not an access this device has: the guest gets an
      // access fault (load/store access fault, 5 or 7),
      // as a bus error on real hardware
#define VDEV_STOP                                                              \
  -2  // the access stopped the guest (guest_stop() was
      // called, e.g. the power-off device): no advance

typedef int (*vdev_access_t)(struct vcpu *v, void *dev, struct mmio_access *a);

// Register a device at [gpa, gpa + size) of vm. Returns its region, or
// NULL if the range overlaps another region or the table is full.
struct region *vdev_register(struct vm *vm, const char *name, u64 gpa, u64 size,
                             vdev_access_t fn, void *dev);

// Interrupt lines into the guest's PLIC (vplic.c): a device raises or
// lowers its line; the PLIC decides which vCPU sees an external interrupt.
void virq_set(int irq, int level);

// The guest's devices at their QEMU virt addresses and interrupt numbers.
#define VIRT_TEST_GPA 0x00100000UL  // sifive_test: power-off and reset
#define VIRT_PLIC_GPA 0x0c000000UL
#define VIRT_PLIC_SIZE 0x00400000UL  // contexts 0..7: harts 0..3, M and S
#define VIRT_UART_GPA 0x10000000UL
#define VIRT_UART_IRQ 10
#define VIRT_VIRTIO_GPA 0x10001000UL  // the first virtio-mmio slot
#define VIRT_VIRTIO_SIZE 0x1000UL
#define VIRT_VIRTIO_IRQ 1
