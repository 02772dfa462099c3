/* ap_log.c — see ap_log.h. */
#include "ap_log.h"

#include <stdarg.h>
#include <stdio.h>

void ap_logf(const ap_logger *log, ap_log_level level, const char *fmt, ...)
{
    if (!log || !log->sink)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log->sink(log->ctx, level, line);
}

const char *ap_log_level_name(ap_log_level level)
{
    switch (level) {
    case AP_LOG_DEBUG: return "debug";
    case AP_LOG_INFO: return "info";
    case AP_LOG_WARN: return "warn";
    case AP_LOG_ERROR: return "error";
    }
    return "unknown";
}
