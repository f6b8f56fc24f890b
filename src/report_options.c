#include "config.h"

#include "report_options.h"

#include <string.h>

void
ReportOptions_init(ReportOptions *options)
{
    memset(options, 0, sizeof(*options));
    options->to_ns = REPORT_TO_END;
    options->thread_roots = true;
    options->rows = 50;
    options->sort = AGG_SORT_OWN_TIME;
}
