/* `--batch`: no terminal handling; every DELAY seconds a plain-text table
 * of the hottest functions on stdout, like `top -b`. */
#ifndef SPYTOP_SRC_BATCH_H
#define SPYTOP_SRC_BATCH_H

#include <stdio.h>

#include "aggregator.h"
#include "consumer.h"
#include "symtab.h"

typedef struct BatchOptions {
    double delay_s;      /* between tables */
    unsigned iterations; /* 0: until the target exits or spytop is stopped */
    unsigned rows;       /* rows per table */
    AggQuery query;
} BatchOptions;

typedef struct Batch Batch;

/* out is borrowed. */
Batch *Batch_new(const BatchOptions *options, Symtab *symtab, FILE *out);
void Batch_delete(Batch *batch);

/* The Consumer that prints the tables. */
/* Why writing the tables failed (an errno: EPIPE when the reader went
 * away), or 0. The run ends at the first failed write. */
int Batch_write_error(const Batch *batch);

Consumer *Batch_consumer(Batch *batch);

#endif
