// Stage 5: a small driver for the disk QEMU gives the hypervisor.
//
// `make run STEP=5 GUEST_DISK=file` starts QEMU with the file behind a
// virtio-blk-device on one of virt's eight virtio-mmio slots (QEMU puts
// the first such device on the highest slot, 0x10008000), with the modern
// transport (-global virtio-mmio.force-legacy=false). This is the other
// side of the guest's device (vblk.c): the hypervisor is here a virtio
// *driver*, as the guest's kernel is one for vblk. It keeps one request in
// flight at a time and polls for its completion, so it needs no interrupt
// from QEMU's PLIC. The hypervisor runs with paging off: the addresses it
// puts in descriptors are its own.

#include "hostblk.h"
#include "defs.h"
#include "riscv.h"
#include "virtio.h"

struct hostblk hostblk;

#define VIRT_VIRTIO_SLOTS 8
#define VIRT_VIRTIO_SLOT0 0x10001000UL
#define VIRT_VIRTIO_SLOT_SIZE 0x1000UL
#define QSIZE 4                    // a request takes three descriptors
#define TIMEOUT_TICKS 100000000UL  // 10 s of virt's 10 MHz time

// The queue, in the hypervisor's own memory.
static struct virtq_desc desc[QSIZE] __attribute__((aligned(4096)));
static struct {
  u16 flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(4096)));
static struct {
  u16 flags;
  volatile u16 idx;
  struct virtq_used_elem ring[QSIZE];
  u16 avail_event;
} used __attribute__((aligned(4096)));
static u16 last_used;
static struct virtio_blk_req_hdr req;
static volatile u8 req_status;

static u32 rd(u64 off) { return *(volatile u32 *)(hostblk.base + off); }
static void wr(u64 off, u32 v) { *(volatile u32 *)(hostblk.base + off) = v; }

// Set up the device at hostblk.base (3.1.1, the driver's side). 0 or -1.
static int setup(void) {
  wr(VIRTIO_MMIO_STATUS, 0);  // reset
  wr(VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
  wr(VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
  wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  u32 lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
  wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  u32 hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
  if (!(hi >> (VIRTIO_F_VERSION_1 - 32) & 1))
    return -1;
  u32 want = lo & (1u << VIRTIO_BLK_F_FLUSH | 1u << VIRTIO_BLK_F_RO);
  hostblk.flush = want >> VIRTIO_BLK_F_FLUSH & 1;
  hostblk.ro = want >> VIRTIO_BLK_F_RO & 1;
  wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  wr(VIRTIO_MMIO_DRIVER_FEATURES, want);
  wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
  u32 st = VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK;
  wr(VIRTIO_MMIO_STATUS, st);
  if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_S_FEATURES_OK))
    return -1;
  wr(VIRTIO_MMIO_QUEUE_SEL, 0);
  if (rd(VIRTIO_MMIO_QUEUE_READY) || rd(VIRTIO_MMIO_QUEUE_NUM_MAX) < QSIZE)
    return -1;
  avail.idx = used.idx = last_used = 0;  // (a second setup starts afresh)
  wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
  wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)(u64)desc);
  wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (u32)((u64)desc >> 32));
  wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (u32)(u64)&avail);
  wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (u32)((u64)&avail >> 32));
  wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (u32)(u64)&used);
  wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (u32)((u64)&used >> 32));
  avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;  // we poll
  wr(VIRTIO_MMIO_QUEUE_READY, 1);
  wr(VIRTIO_MMIO_STATUS, st | VIRTIO_S_DRIVER_OK);
  // The capacity: a 64-bit field read as two 32-bit halves, again if the
  // configuration changed in between (ConfigGeneration).
  u32 gen, clo, chi;
  do {
    gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
    clo = rd(VIRTIO_MMIO_CONFIG);
    chi = rd(VIRTIO_MMIO_CONFIG + 4);
  } while (gen != rd(VIRTIO_MMIO_CONFIG_GENERATION));
  hostblk.capacity = (u64)chi << 32 | clo;
  return 0;
}

int hostblk_init(const void *dtb) {
  memset(&hostblk, 0, sizeof hostblk);
  // Only slots the device tree lists: probing an address with nothing
  // behind it would be an access fault. From the highest down: QEMU puts
  // the first -device on the command line there.
  for (int i = VIRT_VIRTIO_SLOTS - 1; i >= 0; i--) {
    u64 base = VIRT_VIRTIO_SLOT0 + (u64)i * VIRT_VIRTIO_SLOT_SIZE;
    char path[48];
    snprintf(path, sizeof path, "/soc/virtio_mmio@%lx", base);
    if (dtb_prop(dtb, path, "reg", NULL) == NULL)
      continue;
    volatile u32 *r = (volatile u32 *)base;
    if (r[VIRTIO_MMIO_MAGIC / 4] != VIRTIO_MAGIC ||
        r[VIRTIO_MMIO_DEVICE_ID / 4] != VIRTIO_ID_BLOCK)
      continue;
    if (r[VIRTIO_MMIO_VERSION_REG / 4] != VIRTIO_MMIO_VERSION) {
      printf("hv: the disk at %lx has the legacy virtio-mmio transport: "
             "QEMU needs -global virtio-mmio.force-legacy=false\n",
             base);
      return -1;
    }
    hostblk.base = base;
    if (setup() < 0) {
      printf("hv: the disk at %lx cannot be set up (no VIRTIO_F_VERSION_1, "
             "features refused, or no queue 0)\n",
             base);
      *(volatile u32 *)(base + VIRTIO_MMIO_STATUS) = VIRTIO_S_FAILED;
      hostblk.base = 0;
      return -1;
    }
    return 1;
  }
  return 0;
}

// The disk stops answering or breaks: no more requests go to it.
static int broken(const char *why) {
  printf("hv: disk at %lx: %s; it gets no more requests\n", hostblk.base, why);
  hostblk.base = 0;
  return VIRTIO_BLK_S_IOERR;
}

int hostblk_request(u32 type, u64 sector, void *buf, u32 len) {
  if (hostblk.base == 0)
    return VIRTIO_BLK_S_IOERR;
  req = (struct virtio_blk_req_hdr){.type = type, .sector = sector};
  req_status = 0xff;
  int n = 0;
  desc[n] = (struct virtq_desc){(u64)&req, sizeof req, VIRTQ_DESC_F_NEXT, 1};
  n++;
  if (len) {
    u16 w = type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE;
    desc[n] = (struct virtq_desc){(u64)buf, len, (u16)(w | VIRTQ_DESC_F_NEXT),
                                  (u16)(n + 1)};
    n++;
  }
  desc[n] = (struct virtq_desc){(u64)&req_status, 1, VIRTQ_DESC_F_WRITE, 0};
  avail.ring[avail.idx % QSIZE] = 0;
  asm volatile("fence rw, rw" ::: "memory");  // the chain, then the index
  avail.idx++;
  asm volatile("fence iorw, iorw" ::: "memory");  // the index, then notify
  wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
  u64 start = csr_read(time);
  while (used.idx == last_used) {
    if (rd(VIRTIO_MMIO_STATUS) & VIRTIO_S_NEEDS_RESET)
      return broken("the device needs a reset");
    if (csr_read(time) - start > TIMEOUT_TICKS)
      return broken("no answer in 10 s");
  }
  asm volatile("fence rw, rw" ::: "memory");  // the index, then the status
  last_used++;
  return req_status;
}
