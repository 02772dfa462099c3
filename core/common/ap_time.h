/*
 * ap_time.h — wall-clock helpers. Timestamps in the API and the audit log are
 * RFC 3339 UTC with milliseconds ("2026-12-03T15:46:19.123Z").
 */
#ifndef AP_TIME_H
#define AP_TIME_H

#include <stddef.h>
#include <stdint.h>

/** Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t ap_now_ms(void);

/** Writes `ms` as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes). */
void ap_format_time(int64_t ms, char *buf, size_t len);

#define AP_TIME_LEN 25

#endif /* AP_TIME_H */
