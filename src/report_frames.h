/* Frames as the exports that number them show them (speedscope, Chrome
 * trace): one per name and file (and line, by line), numbered densely in
 * order of first use by the picks. Private to src/report_*.c. */
#ifndef SPYTOP_SRC_REPORT_FRAMES_H
#define SPYTOP_SRC_REPORT_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_common.h"
#include "report_options.h"
#include "symtab.h"

/* Owned; ReportFrames_done frees it. */
typedef struct ReportFrames {
    Symtab *names;   /* private: (name, file, line by line, python or not) */
    uint32_t *index; /* by FrameId of the reader's symtab; UINT32_MAX: unused */
    uint32_t *lines; /* by number */
    size_t count;
} ReportFrames;

void ReportFrames_init(ReportFrames *rf, const Symtab *symtab, const ReportPick *picks,
                       size_t npicks, const ReportOptions *options);
void ReportFrames_done(ReportFrames *rf);
/* Borrowed until ReportFrames_done. */
const char *ReportFrames_name(const ReportFrames *rf, uint32_t n);
const char *ReportFrames_file(const ReportFrames *rf, uint32_t n);
/* By line, the line; by function, the lowest line sampled in it (the
 * recording keeps no function's first line: that is the nearest); 0 when
 * none is known. */
uint32_t ReportFrames_line(const ReportFrames *rf, uint32_t n);
bool ReportFrames_is_python(const ReportFrames *rf, uint32_t n);

#endif
