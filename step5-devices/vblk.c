// Stage 5: the guest's block device, a virtio-mmio device (virtio 1.2,
// sections 4.2 and 5.2; the constants are in virtio.h).
//
// The guest's driver finds the device's registers at VIRT_VIRTIO_GPA,
// agrees on features through them, and gives it one queue: three tables
// in its own RAM (descriptors, the "avail" ring of requests, the "used"
// ring of answers) whose guest-physical addresses it writes into the
// registers. It asks for work by writing QueueNotify. That store is a
// guest-page fault like any MMIO access; here, inside it, the device does
// every request the guest made available -- reading and writing the
// guest's memory as a DMA engine would -- puts each on the used ring, and
// raises its interrupt line in the guest's PLIC. The guest's instruction
// then completes: to the guest the disk is infinitely fast.
//
// Everything in the queue is the guest's to scribble on, and it may be
// hostile: every index is checked against the queue's size, every address
// must be guest RAM (vm_region_of), every length is checked before use,
// and all memory goes through vm_read/vm_write. A request that is wrong
// but well formed (a bad length, a sector past the end, data outside RAM)
// gets VIRTIO_BLK_S_IOERR; a queue the device cannot make sense of (a
// descriptor index past the queue, a chain that loops, no status byte)
// sets the device's NEEDS_RESET status and a configuration interrupt, as
// QEMU's device does, and the device does nothing more until the driver
// resets it.

#include "vblk.h"
#include "defs.h"
#include "hostblk.h"
#include "spinlock.h"
#include "vdev.h"
#include "virtio.h"

#define VBLK_VENDOR 0x626c7668  // "hvlb", little-endian
#define VBLK_QUEUE_MAX 128      // QueueNumMax: the longest chain, too
#define VBLK_BOUNCE (64 * 1024)

// The device's state: what the driver wrote into its registers, and where
// the device is in the queue.
struct vblk {
  struct vm *vm;
  int disk;  // 1: a block device; 0: an empty slot (DeviceID 0)
  u64 features;
  u32 features_sel, driver_sel;
  u64 driver_features;
  u32 status;
  u32 int_status;
  u32 queue_sel;
  // Queue 0 (the only one): its size and tables, as the driver set them.
  u32 num, ready;
  u64 desc, driver, device;
  u16 last_avail;   // the next avail ring entry to take
  u16 used_idx;     // the next used ring entry to fill (ours, not re-read)
  spinlock_t lock;  // several vCPUs may touch the device at once
};
static struct vblk vblk;
static u64 resets;  // times the device set NEEDS_RESET

// One request's descriptors, split by direction: the bytes the device
// reads (header, then data for OUT) and those it writes (data for IN,
// then the status byte), each a stream across its segments.
struct seg {
  u64 gpa;
  u32 len;
};
struct stream {
  struct seg seg[VBLK_QUEUE_MAX];
  int n;
  u64 total;
};
static struct stream rs, ws;  // (under vblk.lock)
static u8 bounce[VBLK_BOUNCE] __attribute__((aligned(4096)));

// Is [gpa, gpa + n) all guest RAM (not ROM, a device or a hole)?
static int in_ram(struct vm *vm, u64 gpa, u64 n) {
  if (gpa + n < gpa)
    return 0;
  while (n) {
    const struct region *r = vm_region_of(vm, gpa);
    if (r == NULL || r->kind != REGION_RAM)
      return 0;
    u64 left = r->gpa + r->size - gpa;
    if (left >= n)
      return 1;
    gpa += left, n -= left;
  }
  return 1;
}

// The device's interrupt line into the guest's PLIC (vplic.c).
static void irq_line(int level) { virq_set(VIRT_VIRTIO_IRQ, level); }

static void raise(struct vblk *d, u32 bit) {
  d->int_status |= bit;
  irq_line(1);
}

// The queue is beyond repair: stop until the driver resets the device.
static void needs_reset(struct vblk *d, const char *why) {
  if (resets < 8)  // (a hostile guest could flood the console)
    printf("hv: vblk: %s: the device needs a reset%s\n", why,
           resets == 7 ? " (no more of these messages)" : "");
  resets++;
  d->status |= VIRTIO_S_NEEDS_RESET;
  if (d->status & VIRTIO_S_DRIVER_OK)
    raise(d, VIRTIO_INT_CONFIG);
}

static void reset(struct vblk *d) {
  d->features_sel = d->driver_sel = d->queue_sel = 0;
  d->driver_features = 0;
  d->status = d->int_status = 0;
  d->num = d->ready = 0;
  d->desc = d->driver = d->device = 0;
  d->last_avail = d->used_idx = 0;
  irq_line(0);
}

// Copy n bytes between buf and the stream s at offset off (to_guest: into
// the guest's memory). 0, or -1 if the stream is too short or a copy
// failed.
static int stream_copy(struct vm *vm, const struct stream *s, u64 off,
                       void *buf, u64 n, int to_guest) {
  u8 *b = buf;
  if (off > s->total || n > s->total - off)
    return -1;
  for (int i = 0; i < s->n && n; i++) {
    if (off >= s->seg[i].len) {
      off -= s->seg[i].len;
      continue;
    }
    u64 k = s->seg[i].len - off;
    if (k > n)
      k = n;
    u64 gpa = s->seg[i].gpa + off;
    if ((to_guest ? vm_write(vm, gpa, b, k) : vm_read(vm, gpa, b, k)) < 0)
      return -1;
    b += k, n -= k, off = 0;
  }
  return n ? -1 : 0;
}

// The guest-physical address of byte off of s (off < s->total).
static u64 stream_gpa(const struct stream *s, u64 off) {
  for (int i = 0; i < s->n; i++) {
    if (off < s->seg[i].len)
      return s->seg[i].gpa + off;
    off -= s->seg[i].len;
  }
  return ~0UL;  // (not reached)
}

// Walk the chain that starts at descriptor `head` into rs and ws.
// NULL, or what is wrong with it.
static const char *walk(struct vblk *d, u32 head) {
  rs.n = ws.n = 0;
  rs.total = ws.total = 0;
  u32 i = head;
  for (u32 count = 0;; count++) {
    struct virtq_desc e;
    if (i >= d->num)
      return "a descriptor index past the queue";
    if (count == d->num)
      return "a descriptor chain that loops";
    if (vm_read(d->vm, d->desc + 16 * (u64)i, &e, sizeof e) < 0)
      return "a descriptor table outside guest memory";
    if (e.flags & VIRTQ_DESC_F_INDIRECT)
      return "an indirect descriptor (not offered)";
    struct stream *s = e.flags & VIRTQ_DESC_F_WRITE ? &ws : &rs;
    if (s == &rs && ws.n)
      return "a readable descriptor after a writable one";
    s->seg[s->n++] = (struct seg){e.addr, e.len};
    s->total += e.len;
    if (!(e.flags & VIRTQ_DESC_F_NEXT))
      return NULL;
    i = e.next;
  }
}

// Do a read or write of n bytes from `sector`: IN copies from the disk to
// ws at offset 0, OUT from rs at offset 16 to the disk, a bounce buffer
// at a time.
static int transfer(struct vblk *d, u32 type, u64 sector, u64 n) {
  for (u64 done = 0; done < n;) {
    u64 k = n - done < VBLK_BOUNCE ? n - done : VBLK_BOUNCE;
    u64 at = sector + done / VIRTIO_BLK_SECTOR;
    if (type == VIRTIO_BLK_T_IN) {
      if (hostblk_request(type, at, bounce, (u32)k) != VIRTIO_BLK_S_OK ||
          stream_copy(d->vm, &ws, done, bounce, k, 1) < 0)
        return VIRTIO_BLK_S_IOERR;
    } else {
      if (stream_copy(d->vm, &rs, sizeof(struct virtio_blk_req_hdr) + done,
                      bounce, k, 0) < 0 ||
          hostblk_request(type, at, bounce, (u32)k) != VIRTIO_BLK_S_OK)
        return VIRTIO_BLK_S_IOERR;
    }
    done += k;
  }
  return VIRTIO_BLK_S_OK;
}

// Do the request in rs/ws. Returns its status; *written: the bytes
// written into the guest's buffers before the status byte.
static int request(struct vblk *d, const struct virtio_blk_req_hdr *h,
                   u32 *written) {
  *written = 0;
  for (int i = 0; i < rs.n; i++)  // data outside RAM: an error, not a fault
    if (!in_ram(d->vm, rs.seg[i].gpa, rs.seg[i].len))
      return VIRTIO_BLK_S_IOERR;
  for (int i = 0; i < ws.n; i++)
    if (!in_ram(d->vm, ws.seg[i].gpa, ws.seg[i].len))
      return VIRTIO_BLK_S_IOERR;
  u64 n;
  switch (h->type) {
  case VIRTIO_BLK_T_IN:
  case VIRTIO_BLK_T_OUT:
    n = h->type == VIRTIO_BLK_T_IN ? ws.total - 1 : rs.total - sizeof *h;
    if (n % VIRTIO_BLK_SECTOR || h->sector > hostblk.capacity ||
        n / VIRTIO_BLK_SECTOR > hostblk.capacity - h->sector ||
        (h->type == VIRTIO_BLK_T_OUT && hostblk.ro))
      return VIRTIO_BLK_S_IOERR;
    int st = transfer(d, h->type, h->sector, n);
    if (st == VIRTIO_BLK_S_OK && h->type == VIRTIO_BLK_T_IN)
      *written = (u32)n;
    return st;
  case VIRTIO_BLK_T_FLUSH:
    return hostblk.flush ? hostblk_request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0)
                         : VIRTIO_BLK_S_OK;
  case VIRTIO_BLK_T_GET_ID:  // the disk's own id (QEMU's serial=)
    n = ws.total - 1 < VIRTIO_BLK_ID_BYTES ? ws.total - 1 : VIRTIO_BLK_ID_BYTES;
    memset(bounce, 0, VIRTIO_BLK_ID_BYTES);
    if (hostblk_request(VIRTIO_BLK_T_GET_ID, 0, bounce, VIRTIO_BLK_ID_BYTES) !=
            VIRTIO_BLK_S_OK ||
        stream_copy(d->vm, &ws, 0, bounce, n, 1) < 0)
      return VIRTIO_BLK_S_IOERR;
    *written = (u32)n;
    return VIRTIO_BLK_S_OK;
  default: return VIRTIO_BLK_S_UNSUPP;
  }
}

// QueueNotify: do every request the driver has made available.
static void notify(struct vblk *d) {
  if (!(d->status & VIRTIO_S_DRIVER_OK) || !d->ready ||
      (d->status & VIRTIO_S_NEEDS_RESET))
    return;
  const char *bad = NULL;
  u16 avail_idx;
  if (d->num == 0 || d->num > VBLK_QUEUE_MAX)
    bad = "a queue size it cannot have";
  else if (vm_read(d->vm, d->driver + VIRTQ_AVAIL_IDX, &avail_idx, 2) < 0)
    bad = "an avail ring outside guest memory";
  else if ((u16)(avail_idx - d->last_avail) > d->num)
    bad = "an avail index that moved too far";
  else if (!in_ram(d->vm, d->device, VIRTQ_USED_RING(d->num)))
    bad = "a used ring outside guest RAM";
  int done = 0;
  while (bad == NULL && d->last_avail != avail_idx) {
    u16 head;
    struct virtio_blk_req_hdr h;
    if (vm_read(d->vm, d->driver + VIRTQ_AVAIL_RING(d->last_avail % d->num),
                &head, 2) < 0) {
      bad = "an avail ring outside guest memory";
      break;
    }
    if ((bad = walk(d, head)) != NULL)
      break;
    // The header is the readable stream's first 16 bytes, the status the
    // writable stream's last byte, however the guest cut them up.
    if (rs.total < sizeof h || ws.total < 1) {
      bad = "a request without its header or status byte";
      break;
    }
    if (stream_copy(d->vm, &rs, 0, &h, sizeof h, 0) < 0 ||
        !in_ram(d->vm, stream_gpa(&ws, ws.total - 1), 1)) {
      bad = "a request header or status byte outside guest RAM";
      break;
    }
    u32 written;
    u8 st = (u8)request(d, &h, &written);
    struct virtq_used_elem u = {head, written + 1};
    u64 slot = d->device + VIRTQ_USED_RING(d->used_idx % d->num);
    u16 next = (u16)(d->used_idx + 1);
    if (stream_copy(d->vm, &ws, ws.total - 1, &st, 1, 1) < 0 ||
        vm_write(d->vm, slot, &u, sizeof u) < 0) {
      bad = "a status byte or used ring outside guest RAM";
      break;
    }
    asm volatile("fence rw, rw" ::: "memory");  // the entry, then the index
    vm_write(d->vm, d->device + VIRTQ_USED_IDX, &next, 2);
    d->used_idx = next;
    d->last_avail++;
    done = 1;
  }
  if (bad)
    needs_reset(d, bad);
  u16 flags;
  if (done && (vm_read(d->vm, d->driver + VIRTQ_AVAIL_FLAGS, &flags, 2) < 0 ||
               !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT)))
    raise(d, VIRTIO_INT_USED);
}

// Status: the driver's progress through setup (3.1.1); 0 resets.
static void set_status(struct vblk *d, u32 val) {
  if (val == 0) {
    reset(d);
    return;
  }
  if ((val & VIRTIO_S_FEATURES_OK) && !(d->status & VIRTIO_S_FEATURES_OK)) {
    // Features the device did not offer, or not VERSION_1 (we have no
    // legacy interface): FEATURES_OK does not stick, and the driver that
    // reads Status back knows we refused.
    if ((d->driver_features & ~d->features) ||
        !(d->driver_features >> VIRTIO_F_VERSION_1 & 1))
      val &= ~(u32)VIRTIO_S_FEATURES_OK;
  }
  d->status = (val & ~(u32)VIRTIO_S_NEEDS_RESET) |
              (d->status & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FEATURES_OK));
}

// The configuration space (5.2.4): capacity, then fields of features we
// do not offer (read as 0). Little-endian, as every virtio 1.x field is.
#define VBLK_CONFIG_SIZE 0x3c
static u64 config_read(struct mmio_access *a) {
  u8 cfg[VBLK_CONFIG_SIZE] = {0};
  for (int i = 0; i < 8; i++)
    cfg[i] = (u8)(hostblk.capacity >> (8 * i));
  u64 off = a->off - VIRTIO_MMIO_CONFIG, v = 0;
  for (int i = a->width - 1; i >= 0; i--)
    v = v << 8 | (off + (u64)i < sizeof cfg ? cfg[off + (u64)i] : 0);
  return v;
}

static u32 reg_read(struct vblk *d, u64 off) {
  switch (off) {
  case VIRTIO_MMIO_MAGIC: return VIRTIO_MAGIC;
  case VIRTIO_MMIO_VERSION_REG: return VIRTIO_MMIO_VERSION;
  case VIRTIO_MMIO_VENDOR_ID: return VBLK_VENDOR;
  }
  if (!d->disk)  // an empty slot: the rest reads as 0, as QEMU's do
    return 0;
  switch (off) {
  case VIRTIO_MMIO_DEVICE_ID: return VIRTIO_ID_BLOCK;
  case VIRTIO_MMIO_DEVICE_FEATURES:
    return d->features_sel > 1 ? 0 : (u32)(d->features >> 32 * d->features_sel);
  case VIRTIO_MMIO_QUEUE_NUM_MAX: return d->queue_sel ? 0 : VBLK_QUEUE_MAX;
  case VIRTIO_MMIO_QUEUE_READY: return d->queue_sel ? 0 : d->ready;
  case VIRTIO_MMIO_INTERRUPT_STATUS: return d->int_status;
  case VIRTIO_MMIO_STATUS: return d->status;
  case VIRTIO_MMIO_CONFIG_GENERATION: return 0;  // the config never changes
  }
  return 0;  // write-only or unknown registers read as 0 (as on QEMU)
}

// Set the low or high half of a 64-bit register.
static void half(u64 *r, u64 off, u32 val) {
  int hi = off & 4;
  *r = hi ? (*r & 0xffffffffUL) | (u64)val << 32 : (*r & ~0xffffffffUL) | val;
}

static void reg_write(struct vblk *d, u64 off, u32 val) {
  if (!d->disk)
    return;
  // Queue 0's size and addresses, while it is not in use (QEMU too takes
  // them only when QueueReady is set).
  int q0 = d->queue_sel == 0 && !d->ready;
  int setup = !(d->status & VIRTIO_S_FEATURES_OK);
  switch (off) {
  case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->features_sel = val; break;
  case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->driver_sel = val; break;
  case VIRTIO_MMIO_DRIVER_FEATURES:
    if (setup && d->driver_sel < 2)
      half(&d->driver_features, d->driver_sel * 4, val);
    break;
  case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = val; break;
  case VIRTIO_MMIO_QUEUE_NUM:
    if (q0)
      d->num = val;
    break;
  case VIRTIO_MMIO_QUEUE_READY:
    if (d->queue_sel == 0)
      d->ready = val & 1;
    break;
  case VIRTIO_MMIO_QUEUE_NOTIFY:
    if (val == 0)
      notify(d);
    break;
  case VIRTIO_MMIO_INTERRUPT_ACK:
    d->int_status &= ~val;
    if (d->int_status == 0)
      irq_line(0);
    break;
  case VIRTIO_MMIO_STATUS: set_status(d, val); break;
  case VIRTIO_MMIO_QUEUE_DESC_LOW:
  case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    if (q0)
      half(&d->desc, off, val);
    break;
  case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
  case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    if (q0)
      half(&d->driver, off, val);
    break;
  case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
  case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
    if (q0)
      half(&d->device, off, val);
    break;
  }  // read-only and unknown registers: the store is ignored (as on QEMU)
}

// Every guest load and store in the device's page (vdev.h).
static int vblk_access(struct vcpu *v, void *dev, struct mmio_access *a) {
  struct vblk *d = dev;
  (void)v;
  spin_lock(&d->lock);
  if (a->off >= VIRTIO_MMIO_CONFIG) {  // any width; writes are ignored
    if (!a->write)
      a->val = d->disk ? config_read(a) : 0;
  } else if (a->width < 4) {  // the registers are 32-bit: as on QEMU, a
    if (!a->write)            // narrower access reads 0 and writes nothing
      a->val = 0;
  } else {  // (a 64-bit access is two 32-bit ones, low first, as on QEMU)
    for (u64 k = 0; k < (u64)a->width; k += 4) {
      if (a->write)
        reg_write(d, a->off + k, (u32)(a->val >> 8 * k));
      else
        a->val = (k ? a->val : 0) | (u64)reg_read(d, a->off + k) << 8 * k;
    }
  }
  spin_unlock(&d->lock);
  return VDEV_OK;
}

int vblk_init(struct vm *vm) {
  memset(&vblk, 0, sizeof vblk);
  vblk.vm = vm;
  int found = hostblk_init(boot_dtb);
  if (found < 0)  // a disk was given that we cannot use: say so, run nothing
    return -1;
  vblk.disk = found == 1;
  vblk.features = 1UL << VIRTIO_F_VERSION_1 | 1UL << VIRTIO_BLK_F_FLUSH;
  if (hostblk.ro)
    vblk.features |= 1UL << VIRTIO_BLK_F_RO;
  if (vdev_register(vm, "virtio", VIRT_VIRTIO_GPA, VIRT_VIRTIO_SIZE,
                    vblk_access, &vblk) == NULL)
    return -1;
  if (vblk.disk)
    printf("hv: virtio block device at %lx, irq %d: a disk of %lu sectors%s "
           "(QEMU's virtio-mmio at %lx)\n",
           VIRT_VIRTIO_GPA, VIRT_VIRTIO_IRQ, hostblk.capacity,
           hostblk.ro ? ", read-only" : "", hostblk.base);
  else
    printf("hv: virtio slot at %lx: empty (GUEST_DISK=file gives the guest a "
           "disk)\n",
           VIRT_VIRTIO_GPA);
  return vblk.disk;
}
