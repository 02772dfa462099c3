/*
 * ap_log.h — the logger handle core modules receive instead of printing.
 *
 * The daemon's top level owns the sink (stderr, one line per call); modules
 * hold an ap_logger by value and call ap_logf. A zero ap_logger drops
 * messages, which is what unit tests use.
 */
#ifndef AP_LOG_H
#define AP_LOG_H

#include <actionplane/plugin.h>

/** Writes one complete line (no trailing newline) at `level`. `ctx` is the
 *  sink's own state. Must be callable from any thread. */
typedef void (*ap_log_sink)(void *ctx, ap_log_level level, const char *line);

/** A logger: a sink and its state. Both NULL: messages are dropped. */
typedef struct ap_logger {
    ap_log_sink sink;
    void *ctx;
} ap_logger;

/** Formats and writes one line to `log` (printf-style). */
void ap_logf(const ap_logger *log, ap_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** "debug", "info", "warn" or "error". */
const char *ap_log_level_name(ap_log_level level);

#endif /* AP_LOG_H */
