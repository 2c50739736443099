// Stage 5: what the virtio specification (version 1.2) says about the
// MMIO transport (section 4.2), split virtqueues (2.7) and block devices
// (5.2), as needed by the guest's block device (vblk.c) and by the driver
// of the disk QEMU gives the hypervisor (hostblk.c).
//
// A virtio-mmio device is a page of 32-bit registers, little-endian:
//
//   0x000 MagicValue "virt"     0x050 QueueNotify (W)
//   0x004 Version (2: modern)   0x060 InterruptStatus (R), 0x064 ACK (W)
//   0x008 DeviceID (2: block)   0x070 Status (RW)
//   0x00c VendorID              0x080/84 QueueDesc low/high (W)
//   0x010 DeviceFeatures (R)    0x090/94 QueueDriver (the avail ring) (W)
//   0x014 DeviceFeaturesSel     0x0a0/a4 QueueDevice (the used ring) (W)
//   0x020 DriverFeatures        0x0fc ConfigGeneration (R)
//   0x024 DriverFeaturesSel     0x100... the device's configuration space
//   0x030 QueueSel              (a block device's: capacity, u64 sectors)
//   0x034 QueueNumMax (R)
//   0x038 QueueNum (W)
//   0x044 QueueReady (RW)
//
// Features are 64 bits, read and written 32 at a time (Sel 0: bits 0-31,
// Sel 1: bits 32-63).
#pragma once

#include "types.h"

#define VIRTIO_MAGIC 0x74726976  // "virt", little-endian
#define VIRTIO_MMIO_VERSION 2    // 1 is the legacy transport
#define VIRTIO_ID_BLOCK 2

#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION_REG 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

// InterruptStatus bits.
#define VIRTIO_INT_USED 1    // a used buffer was added to a queue
#define VIRTIO_INT_CONFIG 2  // the configuration changed (or NEEDS_RESET)

// Device status bits (2.1), set by the driver in this order.
#define VIRTIO_S_ACKNOWLEDGE 1     // the driver has seen the device
#define VIRTIO_S_DRIVER 2          // ... and knows how to drive it
#define VIRTIO_S_DRIVER_OK 4       // ... and it is ready to go
#define VIRTIO_S_FEATURES_OK 8     // the features are agreed on
#define VIRTIO_S_NEEDS_RESET 0x40  // (set by the device) something broke
#define VIRTIO_S_FAILED 0x80       // (set by the driver) it gave up

// Feature bits.
#define VIRTIO_BLK_F_RO 5      // the disk is read-only
#define VIRTIO_BLK_F_FLUSH 9   // VIRTIO_BLK_T_FLUSH exists
#define VIRTIO_F_VERSION_1 32  // virtio 1.x, not legacy

// A split virtqueue (2.7): a table of descriptors, a ring of the chains
// the driver makes available, and a ring of those the device has used.
struct virtq_desc {
  u64 addr;  // guest-physical (or, for hostblk, host-physical)
  u32 len;
  u16 flags;
  u16 next;
};
#define VIRTQ_DESC_F_NEXT 1      // the chain goes on at `next`
#define VIRTQ_DESC_F_WRITE 2     // the device writes this buffer
#define VIRTQ_DESC_F_INDIRECT 4  // a table of descriptors (not offered)

// avail: u16 flags, u16 idx, u16 ring[num]; used: u16 flags, u16 idx,
// struct virtq_used_elem ring[num]. Offsets, so nothing depends on num:
#define VIRTQ_AVAIL_FLAGS 0
#define VIRTQ_AVAIL_IDX 2
#define VIRTQ_AVAIL_RING(i) (4 + 2 * (u64)(i))
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_IDX 2
#define VIRTQ_USED_RING(i) (4 + 8 * (u64)(i))
struct virtq_used_elem {
  u32 id;   // the head of the chain
  u32 len;  // how many bytes the device wrote into it
};

// A block request (5.2.6): a header the device reads, the data, and a
// status byte the device writes last.
struct virtio_blk_req_hdr {
  u32 type;
  u32 reserved;
  u64 sector;  // in 512-byte sectors, whatever the disk's block size
};
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_SECTOR 512
