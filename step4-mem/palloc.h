// Stage 4: the hypervisor's page allocator.
#pragma once

#include "types.h"

void palloc_init(void);
void *palloc(u64 size, u64 align);  // zeroed memory, or NULL when out
u64 palloc_free_bytes(void);
void palloc_report(void);
