#include "config.h"

#include "report.h"

#include <errno.h>
#include <string.h>

#include "report_chrome.h"
#include "report_collapsed.h"
#include "report_gecko.h"
#include "report_pprof.h"
#include "report_speedscope.h"
#include "report_svg.h"
#include "report_text.h"
#include "util.h"

static const struct {
    const char *name;
    ReportFormat format;
} format_names[] = {
    {"text", REPORT_TEXT},          {"collapsed", REPORT_COLLAPSED},
    {"folded", REPORT_COLLAPSED},   {"speedscope", REPORT_SPEEDSCOPE},
    {"pprof", REPORT_PPROF},        {"svg", REPORT_SVG},
    {"flamegraph", REPORT_SVG},     {"chrome", REPORT_CHROME},
    {"chrometrace", REPORT_CHROME}, {"gecko", REPORT_GECKO},
    {"firefox", REPORT_GECKO},
};

bool
Report_parse_format(const char *name, ReportFormat *format)
{
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
        if (strcmp(name, format_names[i].name) == 0) {
            *format = format_names[i].format;
            return true;
        }
    }
    return false;
}

const char *
Report_format_name(ReportFormat format)
{
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
        if (format_names[i].format == format)
            return format_names[i].name;
    return "?";
}

int
Report_write(ReportFormat format, const RecReader *reader, Symtab *symtab,
             const ReportOptions *options, FILE *out)
{
    switch (format) {
    case REPORT_TEXT:
        return Report_text(reader, symtab, options, out);
    case REPORT_COLLAPSED:
        return Report_collapsed(reader, symtab, options, out);
    case REPORT_SPEEDSCOPE:
        return Report_speedscope(reader, symtab, options, out);
    case REPORT_PPROF:
        return Report_pprof(reader, symtab, options, out);
    case REPORT_SVG:
        return Report_svg(reader, symtab, options, out);
    case REPORT_CHROME:
        return Report_chrome(reader, symtab, options, out);
    case REPORT_GECKO:
        return Report_gecko(reader, symtab, options, out);
    }
    return -EINVAL;
}
