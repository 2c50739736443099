// The hypervisor's own stacks and the guards below them (guard.c), for C
// and assembly alike: plain numbers only.
//
// Stacks grow down, so an overflow writes below a stack's lowest address.
// kernel.ld puts every stack in the .stacks section, each right above a
// guard: a region that boot fills with a known pattern and that nothing
// uses. An overflow lands in its guard first, where it is found when a
// guest stops and when the hypervisor panics, instead of silently
// overwriting whatever data happened to lie below the stack.
//
// (These are canaries, not guard *pages*: the hypervisor runs without
// paging, so nothing traps at the first write. A guard catches an
// overflow up to its size; a deeper one also damages what lies below.)
#pragma once

#define BOOT_STACK_SIZE 16384  // the hypervisor's stack (entry.S)
#define BOOT_GUARD_SIZE 4096
#define PANIC_STACK_SIZE 4096  // for hs_trap when sp was broken (trapvec.S)
#define PANIC_GUARD_SIZE 1024
