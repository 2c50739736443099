// Stage 5: the disk QEMU gives the hypervisor (make run STEP=5
// GUEST_DISK=file: -device virtio-blk-device on one of virt's virtio-mmio
// slots, the modern transport), driven by polling. It backs the guest's
// block device (vblk.c): the guest's writes end up in the file.
#pragma once

#include "types.h"

struct hostblk {
  u64 base;      // the device's registers (host physical = virtual)
  u64 capacity;  // in 512-byte sectors
  int flush;     // it takes VIRTIO_BLK_T_FLUSH
  int ro;        // it is read-only
};
extern struct hostblk hostblk;  // valid once hostblk_init() returned 1

// Look for a virtio block device in QEMU's device tree (the virtio_mmio
// nodes) and set it up. Returns 1 with hostblk filled in, 0 if there is
// none, -1 if there is one we cannot drive (it says why).
int hostblk_init(const void *dtb);

// One request (VIRTIO_BLK_T_IN, _OUT, _FLUSH, _GET_ID) of len bytes at
// buf (hypervisor memory; len a multiple of 512 for IN and OUT), waited
// for. Returns its status (VIRTIO_BLK_S_*): IOERR also if the disk did not
// answer in time. Callers serialise (vblk.c holds its lock).
int hostblk_request(u32 type, u64 sector, void *buf, u32 len);
