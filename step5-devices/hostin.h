// Stage 5: typed input as an interrupt for the boot hart (hostin.c).
#pragma once

// Route the host UART's receive interrupt through the host PLIC to this
// hart (call it on the boot hart, once) and handle it as an exit.
void hostin_init(void);
// Let the host UART interrupt when input is waiting (1), or not (0).
void hostin_enable(int enable);
