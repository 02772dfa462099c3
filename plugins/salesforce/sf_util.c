/* sf_util.c — small helpers: host-allocated strings, API names, record ids, dates, SOQL escaping. */
#include "sf_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

char *sf_strdup(const ap_host_services *host, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = host->mem_alloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

void sf_free_secret(const ap_host_services *host, char **s)
{
    if (*s) {
        explicit_bzero(*s, strlen(*s)); /* the heap keeps freed bytes: do not leave a secret there */
        host->mem_free(*s);
        *s = NULL;
    }
}

void sf_free_str(const ap_host_services *host, char **s)
{
    if (*s) {
        host->mem_free(*s);
        *s = NULL;
    }
}

bool sf_is_api_name(const char *name)
{
    if (!name || !isalpha((unsigned char)name[0]))
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return n <= 80;
}

bool sf_id_normalise(const char *id, char out[19])
{
    static const char suffix_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    size_t len = id ? strlen(id) : 0;
    if (len != 15 && len != 18)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)id[i]))
            return false;
    /* The suffix encodes, per 5-character chunk, which characters are upper case: it lets case-insensitive
     * systems keep ids apart. An 18-character id whose suffix disagrees was mangled (e.g. case-folded). */
    char suffix[4] = {0};
    for (int chunk = 0; chunk < 3; chunk++) {
        unsigned bits = 0;
        for (int i = 0; i < 5; i++)
            if (isupper((unsigned char)id[chunk * 5 + i]))
                bits |= 1u << i;
        suffix[chunk] = suffix_alphabet[bits];
    }
    if (len == 18 && memcmp(id + 15, suffix, 3) != 0)
        return false;
    memcpy(out, id, 15);
    memcpy(out + 15, suffix, 4);
    return true;
}

bool sf_http_date(const char *sf_datetime, char *out, size_t out_len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (!sf_datetime)
        return false;
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(sf_datetime, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return false;
    const char *p = sf_datetime + consumed;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    long offset_s = 0;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        /* Salesforce writes +0000; accept +HH:MM too. */
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 && sscanf(p + 1, "%2d%2d", &hh, &mm) != 2)
            return false;
        offset_s = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
    } else if (*p != 'Z' && *p != '\0') {
        return false;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    t -= offset_s;
    struct tm utc;
    if (!gmtime_r(&t, &utc))
        return false;
    /* Day and month names spelled out here: strftime's %a/%b follow the process locale. */
    int n = snprintf(out, out_len, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[utc.tm_wday], utc.tm_mday,
                     months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
    return n > 0 && (size_t)n < out_len;
}

char *sf_soql_escape(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len * 2 + 1);
    if (!out)
        return NULL;
    char *w = out;
    for (const char *p = text; *p; p++) {
        char esc = 0;
        switch (*p) {
        case '\'': esc = '\''; break;
        case '"': esc = '"'; break;
        case '\\': esc = '\\'; break;
        case '\n': esc = 'n'; break;
        case '\r': esc = 'r'; break;
        case '\t': esc = 't'; break;
        case '\b': esc = 'b'; break;
        case '\f': esc = 'f'; break;
        default: break;
        }
        if (esc) {
            *w++ = '\\';
            *w++ = esc;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return out;
}

void sf_sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

uint32_t sf_random_below(uint32_t bound)
{
    if (bound <= 1)
        return 0;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)clock(); /* jitter only spreads retries: a weak fallback is harmless */
    return r % bound;
}
