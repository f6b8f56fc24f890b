/* The yardstick of the stall benchmark: a sampler built the way most
 * ptrace profilers are, which unwinds while the thread is stopped through
 * libunwind-ptrace's stock _UPT accessors (one PTRACE_PEEKDATA per word, a
 * fresh address space per sample, so no cache). spytop must never work like
 * this; it exists only to give spytop's numbers a scale. One thread only. */
#ifndef SPYTOP_BENCH_NAIVE_SAMPLER_H
#define SPYTOP_BENCH_NAIVE_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct NaiveSample {
    uint64_t latency_ns; /* PTRACE_INTERRUPT -> stop reported by waitpid */
    uint64_t unwind_ns;  /* _UPT_create .. last unw_step, thread stopped */
    uint64_t resume_ns;  /* PTRACE_CONT */
    uint64_t stopped_ns; /* stop reported -> PTRACE_CONT returned */
    size_t frames;
} NaiveSample;

typedef struct NaiveSampler NaiveSampler;

/* Seizes tid (PTRACE_SEIZE, no stop). NULL + *cause on error. */
NaiveSampler *NaiveSampler_new(pid_t tid, char **cause);
/* Interrupts and detaches the thread, then frees. */
void NaiveSampler_delete(NaiveSampler *naive);

/* One sample: interrupt, wait, unwind the live thread, continue. 0, or
 * -errno (-ESRCH: the thread is gone). */
int NaiveSampler_tick(NaiveSampler *naive, NaiveSample *out);

#endif
