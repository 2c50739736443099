// Stage 5: a spinlock, for state that several harts share (the device
// models: two vCPUs may touch the UART or the PLIC at the same moment).
//
// The A extension's amoswap does the work: __atomic_exchange_n compiles
// to amoswap.w.aq, which writes 1 and returns what was there in one
// indivisible step; the acquire ordering keeps the critical section's
// loads and stores after it. The waiting loop only reads (no stores, so
// the cache line is not bounced between harts) until the lock looks free.
// Unlock is a store with release ordering: everything written inside is
// visible before the lock reads as free.
//
// Not reentrant: a hart that takes a lock it already holds waits for ever.
// So no lock here may be taken from an interrupt handler that can run
// while the same hart holds it.
#pragma once

struct spinlock {
  volatile int locked;  // 0 free, 1 held
};

static inline void spin_lock(struct spinlock *l) {
  while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
      ;
}

static inline void spin_unlock(struct spinlock *l) {
  __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
