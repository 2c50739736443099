// Stage 5: the guest's console -- a 16550A UART, emulated.
//
// QEMU's virt machine has a 16550A at 0x10000000 (one byte per register,
// no gaps: reg-shift 0) on PLIC interrupt 10, and software written for virt
// expects exactly that chip: U-Boot's ns16550 driver polls it, Linux's 8250
// driver probes it (it writes and reads back IER, SCR, MCR in loopback,
// and enables the FIFOs to see IIR's top bits say "16550A") and then runs
// it on interrupts. So every register is here, behaving as the data sheet
// says, with two shortcuts a real line does not allow:
//   - transmitting takes no time: a byte written to THR is on the host
//     console at once, so THR is always empty again (LSR.THRE and TEMT);
//   - receiving never overruns: bytes stay in the host's UART until our
//     16-byte FIFO has room, so nothing typed is lost (LSR.OE stays 0).
// Typed bytes come in when the guest reads LSR or RBR (a polling guest),
// and when a hart wakes up from wfi (vuart_poll: a guest waiting for its
// receive interrupt), which the host UART's own interrupt ends.
//
//   offset  read                  write              (DLAB = LCR bit 7)
//     0     RBR: received byte    THR: send a byte   DLL when DLAB = 1
//     1     IER                   IER                DLM when DLAB = 1
//     2     IIR: why it interrupts FCR: FIFO control
//     3     LCR: line control     LCR
//     4     MCR: modem control    MCR
//     5     LSR: line status      (ignored)
//     6     MSR: modem status     (ignored)
//     7     SCR: scratch          SCR
//
// The guest's bytes go to the host console as they are, except control
// characters that would drive the terminal (ESC and the like): those are
// shown as \xHH (hvlab/escape.h); \n, \r, \t and \b pass, as line editing
// needs them.

#include "vuart.h"
#include "defs.h"
#include "hvlab/escape.h"
#include "spinlock.h"

// virt's device tree gives the UART 0x100 bytes, but the G-stage table
// maps whole pages, so its region is the page (the next one is virtio's).
#define VUART_SIZE 0x1000
#define VUART_FIFO 16  // a 16550A's receive FIFO

#define REG_RBR 0  // also THR, and DLL with DLAB
#define REG_IER 1  // also DLM with DLAB
#define REG_IIR 2  // read; FCR on write
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01   // interrupt when received data is available
#define IER_THRI 0x02  // ... when THR is empty
#define IER_RLSI 0x04  // ... on a receive error (never happens here)
#define IER_MSI 0x08   // ... when a modem status line changes
#define IER_MASK 0x0f  // a 16550A has these four bits and no more

// IIR: bit 0 = 1 means no interrupt; bits 3..1 say which, highest first.
#define IIR_NONE 0x01
#define IIR_RLSI 0x06     // receiver line status
#define IIR_RDI 0x04      // received data reached the FIFO trigger level
#define IIR_TIMEOUT 0x0c  // data below the trigger level, waiting
#define IIR_THRI 0x02     // THR empty
#define IIR_MSI 0x00      // modem status
#define IIR_FIFO 0xc0     // both set: FIFOs enabled (a 16550A, not a 16550)

#define FCR_ENABLE 0x01    // FIFOs on
#define FCR_CLEAR_RX 0x02  // empty the receive FIFO (self-clearing)
#define FCR_CLEAR_TX 0x04  // empty the transmit FIFO (ours is always empty)
#define FCR_TRIGGER 0xc0   // receive trigger level: 1, 4, 8 or 14 bytes

#define LCR_DLAB 0x80  // divisor latch access: offsets 0 and 1 are DLL, DLM

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10  // loopback: THR feeds RBR, MCR's outputs feed MSR
#define MCR_MASK 0x1f

#define LSR_DR 0x01    // data ready: RBR holds a byte
#define LSR_THRE 0x20  // THR empty
#define LSR_TEMT 0x40  // transmitter empty

#define MSR_DCTS 0x01  // delta bits: set by a change, cleared by reading MSR
#define MSR_DDSR 0x02
#define MSR_TERI 0x04  // RI went from on to off
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct vuart {
  spinlock_t lock;
  u8 rx[VUART_FIFO];  // receive FIFO: rx_count bytes from rx_head on
  unsigned rx_head, rx_count;
  u8 ier, lcr, mcr, msr, scr, dll, dlm;
  u8 fcr;            // FCR_ENABLE and FCR_TRIGGER as last written
  int thr_ipending;  // the THR-empty interrupt is armed (IIR read clears it)
  int irq;           // the level we drive on VIRT_UART_IRQ
  int host_irq;      // the host UART's receive interrupt: on, off, -1 unknown
};

static struct vuart uart0;

// ---- State, under the lock --------------------------------------------------

// The modem input lines (MSR bits 7..4). Nothing is wired to them, so
// QEMU's answer holds (carrier, data set ready, clear to send), except in
// loopback, where each is one of MCR's outputs.
static u8 modem_lines(const struct vuart *u) {
  if (!(u->mcr & MCR_LOOP))
    return MSR_DCD | MSR_DSR | MSR_CTS;
  return (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
         (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
}

// Lines changed (MCR written): MSR takes the new lines and notes the change
// in its delta bits until the guest reads them.
static void modem_update(struct vuart *u) {
  u8 old = u->msr, now = modem_lines(u), d = u->msr & 0x0f;
  if ((old ^ now) & MSR_CTS)
    d |= MSR_DCTS;
  if ((old ^ now) & MSR_DSR)
    d |= MSR_DDSR;
  if ((old ^ now) & MSR_DCD)
    d |= MSR_DDCD;
  if ((old & MSR_RI) && !(now & MSR_RI))
    d |= MSR_TERI;
  u->msr = now | d;
}

static unsigned rx_capacity(const struct vuart *u) {
  return u->fcr & FCR_ENABLE ? VUART_FIFO : 1;  // without FIFOs: RBR alone
}

static void rx_push(struct vuart *u, u8 c) {
  if (u->rx_count < rx_capacity(u))
    u->rx[(u->rx_head + u->rx_count++) % VUART_FIFO] = c;
}

static u8 rx_pop(struct vuart *u) {
  if (u->rx_count == 0)
    return 0;
  u8 c = u->rx[u->rx_head];
  u->rx_head = (u->rx_head + 1) % VUART_FIFO;
  u->rx_count--;
  return c;
}

// The receive FIFO's trigger level (FCR bits 7..6).
static unsigned rx_trigger(const struct vuart *u) {
  static const unsigned level[4] = {1, 4, 8, 14};
  return u->fcr & FCR_ENABLE ? level[u->fcr >> 6] : 1;
}

// Which interrupt IIR reports: the highest-priority condition that is both
// present and enabled in IER (16550A data sheet, table "Interrupt Control
// Functions"). Receiver line status would come first, but without overruns
// or framing there is none.
static u8 iir_id(const struct vuart *u) {
  if ((u->ier & IER_RDI) && u->rx_count > 0)
    // At or above the trigger level: "data available". Below it a real
    // chip waits four character times before its "timeout" interrupt; our
    // bytes are all there already, so it is due at once.
    return u->rx_count >= rx_trigger(u) ? IIR_RDI : IIR_TIMEOUT;
  if ((u->ier & IER_THRI) && u->thr_ipending)
    return IIR_THRI;
  if ((u->ier & IER_MSI) && (u->msr & 0x0f))
    return IIR_MSI;
  return IIR_NONE;
}

// Drive the interrupt line to what IIR says, telling the PLIC only when it
// changes. (Called with the lock held, so that two harts' updates reach the
// PLIC in the order they happened.)
static void irq_update(struct vuart *u) {
  int level = iir_id(u) != IIR_NONE;
  if (level != u->irq) {
    u->irq = level;
    virq_set(VIRT_UART_IRQ, level);
  }
}

// Take what the host console has, while the FIFO has room. In loopback the
// chip listens to itself only: typed bytes wait in the host's UART. Bytes
// that wait there must not wake us meanwhile (their interrupt would end
// every wfi at once): the host UART's receive interrupt is on only while
// it has nothing left for us.
static void host_rx_interrupt(struct vuart *u, int on) {
  if (on != u->host_irq) {
    u->host_irq = on;
    uart_rx_interrupt(on);
  }
}

static void rx_fill(struct vuart *u) {
  int empty = 0;
  while (!(u->mcr & MCR_LOOP) && u->rx_count < rx_capacity(u)) {
    int c = uart_getc();
    if (c < 0) {
      empty = 1;
      break;
    }
    rx_push(u, (u8)c);
  }
  host_rx_interrupt(u, empty);
}

// Send a byte of the guest's to the host console.
static void tx(struct vuart *u, u8 c) {
  if (u->mcr & MCR_LOOP) {
    rx_push(u, c);  // loopback: the byte comes straight back
    return;
  }
  char shown[HV_ESCAPE_MAX];
  if (c == '\r' || c == '\b')  // line editing: harmless, and needed
    shown[0] = (char)c, shown[1] = 0;
  else
    hv_escape_byte(c, shown);
  console_guest("", shown);
}

// ---- Register accesses --------------------------------------------------------

static u8 reg_read(struct vuart *u, unsigned reg) {
  u8 val;
  switch (reg) {
  case REG_RBR:
    if (u->lcr & LCR_DLAB)
      return u->dll;
    val = rx_pop(u);
    rx_fill(u);  // a polling guest sees the next typed byte at once
    return val;
  case REG_IER: return u->lcr & LCR_DLAB ? u->dlm : u->ier;
  case REG_IIR:
    val = iir_id(u);
    if (val == IIR_THRI)  // reading IIR is what acknowledges THR-empty
      u->thr_ipending = 0;
    return val | (u->fcr & FCR_ENABLE ? IIR_FIFO : 0);
  case REG_LCR: return u->lcr;
  case REG_MCR: return u->mcr;
  case REG_LSR:
    rx_fill(u);  // U-Boot waits for a key by reading LSR in a loop
    return (u->rx_count ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
  case REG_MSR:
    val = u->msr;
    u->msr &= 0xf0;  // reading clears the delta bits
    return val;
  default: return u->scr;
  }
}

static void reg_write(struct vuart *u, unsigned reg, u8 val) {
  switch (reg) {
  case REG_RBR:
    if (u->lcr & LCR_DLAB) {
      u->dll = val;
    } else {
      tx(u, val);
      u->thr_ipending = 1;  // sent at once: THR is empty again
    }
    break;
  case REG_IER:
    if (u->lcr & LCR_DLAB) {
      u->dlm = val;
    } else {
      // Enabling THR-empty while THR is empty interrupts at once (drivers
      // start transmitting this way); disabling it forgets it.
      if ((val ^ u->ier) & IER_THRI)
        u->thr_ipending = !!(val & IER_THRI);
      u->ier = val & IER_MASK;
    }
    break;
  case REG_IIR:  // FCR
    // Turning the FIFOs on or off empties them, as the data sheet says.
    if ((val ^ u->fcr) & FCR_ENABLE || (val & FCR_CLEAR_RX))
      u->rx_count = 0;
    u->fcr = val & (FCR_ENABLE | FCR_TRIGGER);
    if (!(u->fcr & FCR_ENABLE))
      u->fcr = 0;
    rx_fill(u);
    break;
  case REG_LCR: u->lcr = val; break;
  case REG_MCR:
    u->mcr = val & MCR_MASK;
    modem_update(u);
    rx_fill(u);  // leaving loopback: the host's bytes may come in again
    break;
  case REG_LSR:
  case REG_MSR: break;  // read only
  default: u->scr = val; break;
  }
}

// The access function (vdev.h): one byte at a time, at offsets 0..7.
// Wider accesses are bus errors, as are offsets past the eighth register
// (QEMU's 16550 answers only those eight bytes of the page).
static int vuart_access(struct vcpu *v, void *dev, struct mmio_access *a) {
  (void)v;
  struct vuart *u = dev;
  if (a->width != 1 || a->off > REG_SCR)
    return VDEV_FAULT;
  spin_lock(&u->lock);
  if (a->write)
    reg_write(u, (unsigned)a->off, (u8)a->val);
  else
    a->val = reg_read(u, (unsigned)a->off);
  irq_update(u);
  spin_unlock(&u->lock);
  return VDEV_OK;
}

// ---- The outside ------------------------------------------------------------

void vuart_poll(void) {
  struct vuart *u = &uart0;
  spin_lock(&u->lock);
  rx_fill(u);
  irq_update(u);
  spin_unlock(&u->lock);
}

int vuart_init(struct vm *vm) {
  struct vuart *u = &uart0;
  spin_lock(&u->lock);
  u->rx_head = u->rx_count = 0;
  u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = u->fcr = 0;
  u->msr = modem_lines(u);
  u->thr_ipending = 0;
  u->host_irq = -1;
  if (u->irq)
    virq_set(VIRT_UART_IRQ, 0);
  u->irq = 0;
  spin_unlock(&u->lock);
  return vdev_register(vm, "uart", VIRT_UART_GPA, VUART_SIZE, vuart_access, u)
             ? 0
             : -1;
}
