// Stage 3's probes with the grader's own guest (guest3.c).
#pragma once

struct probe;
void g3_runs(struct probe *pr);   // V=1 at its first instruction
void g3_exits(struct probe *pr);  // every exit, register and answer
