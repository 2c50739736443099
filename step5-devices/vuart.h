// Stage 5: the guest's console, a 16550A UART at VIRT_UART_GPA (vuart.c).
#pragma once

#include "vdev.h"

// Register the UART in vm (at VIRT_UART_GPA, interrupt VIRT_UART_IRQ) with
// its registers as after a reset. 0, or -1 if the region is taken.
int vuart_init(struct vm *vm);
// Move what was typed on the host console into the UART's receive FIFO
// (as much as fits: the rest waits in the host UART, nothing is dropped),
// raising the receive interrupt if the guest enabled it. Guest reads of
// LSR and RBR call it themselves; call it whenever a hart wakes up from
// wfi or takes an interrupt (main.c makes it host_input_poll). Never from
// an interrupt that can arrive while this hart is inside the UART model
// (its lock is not reentrant). While bytes wait on the host because the
// FIFO is full, the host UART's receive interrupt is off
// (uart_rx_interrupt), so that it cannot end every wfi at once.
void vuart_poll(void);
