// Console on the 16550 UART at 0x10000000 (see memlayout.h).
//
// QEMU's 16550 is always ready, but we poll the "transmit holding register
// empty" bit anyway so the code also works on a real 16550. Interrupts
// only for stage 5, whose guests may wait for a key (uart_rx_interrupt).

#include "defs.h"
#include "memlayout.h"

#define RHR 0  // receive holding register (read)
#define THR 0  // transmit holding register (write)
#define IER 1  // interrupt enable
#define FCR 2  // FIFO control
#define LCR 3  // line control
#define LSR 5  // line status
#define LSR_RX_READY (1 << 0)
#define LSR_TX_IDLE (1 << 5)

static volatile u8 *const uart = (volatile u8 *)UART0;

void uart_init(void) {
  uart[IER] = 0x00;  // no interrupts
  uart[LCR] = 0x03;  // 8 data bits, no parity, one stop bit
  uart[FCR] = 0x07;  // enable and reset both FIFOs
}

void uart_putc(int c) {
  while ((uart[LSR] & LSR_TX_IDLE) == 0)
    ;
  uart[THR] = (u8)c;
}

// Stage 5 waits for typed input with wfi: the UART's "data received"
// interrupt, through the host's PLIC, ends the wait.
void uart_rx_interrupt(int on) { uart[IER] = on ? 0x01 : 0x00; }

int uart_getc(void) {
  if (uart[LSR] & LSR_RX_READY)
    return uart[RHR];
  return -1;
}
