// Stage 5: the guest's console, a 16550A UART at VIRT_UART_GPA (vuart.c).
#pragma once

#include "vdev.h"

// Register the UART in vm (at VIRT_UART_GPA, interrupt VIRT_UART_IRQ) with
// its registers as after a reset. 0, or -1 if the region is taken.
int vuart_init(struct vm *vm);
// Move what was typed on the host console into the UART's receive FIFO
// (as much as fits: the rest waits in the host UART, nothing is dropped),
// raising the receive interrupt if the guest enabled it. The host UART's
// interrupt calls it (hostin.c, which vuart_init sets up), and so do
// guest reads of LSR and RBR; call it too whenever a hart wakes up from
// wfi. Never from an interrupt that can arrive while this hart is inside
// the UART model (its lock is not reentrant).
void vuart_poll(void);
// End the guest's current console line, if it left one open, so that the
// hypervisor's next line starts at the left margin.
void vuart_end_line(void);
