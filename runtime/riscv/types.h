// Fixed-width integer types for freestanding code (no libc here).
#pragma once

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed long i64;
typedef unsigned long uintptr;
#ifndef __SIZE_TYPE__
typedef unsigned long size_t;
#else
typedef __SIZE_TYPE__ size_t;  // the same type the C library uses
#endif

// (Guarded so that host programs can include hypervisor headers such as
// step2-vmcs/vcpu.h next to the C library's own definitions.)
#ifndef NULL
#define NULL ((void *)0)
#endif
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
