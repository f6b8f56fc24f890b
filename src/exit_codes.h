/* spytop's exit statuses, as eu-stack's: documented in --help and
 * spytop(1). */
#ifndef SPYTOP_SRC_EXIT_CODES_H
#define SPYTOP_SRC_EXIT_CODES_H

#define EXIT_OK 0
#define EXIT_PARTIAL 1 /* some threads could not be sampled, a file was damaged, ... */
#define EXIT_FATAL 2   /* no such process, permission denied, already traced, ... */
#define EXIT_USAGE 64

#endif
