// Stage 5: the guest's block device, virtio-mmio (modern transport,
// Version 2) at virt's first virtio slot, backed by the disk QEMU gives
// the hypervisor (hostblk.h).
#pragma once

#include "vm.h"

// Register the device at VIRT_VIRTIO_GPA in vm. With a disk (hostblk_init
// found one) it is a block device (DeviceID 2) of the disk's size; without
// one it is an empty virtio-mmio slot (DeviceID 0), as QEMU's are, so that
// the guest's device tree may list the slot either way. Returns 1 (a
// disk), 0 (an empty slot) or -1: QEMU has a disk we cannot drive (it
// printed why: the legacy transport, say), or the region could not be
// registered. Call it once the guest's RAM and PLIC exist, before the
// guest's device tree is written (1: keep its virtio node).
int vblk_init(struct vm *vm);
