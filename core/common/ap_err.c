/* ap_err.c — see ap_err.h. */
#include "ap_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ap_err_set(ap_err *e, const char *code, const char *fmt, ...)
{
    if (!e)
        return;
    ap_err_clear(e);
    snprintf(e->code, sizeof e->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void ap_err_details(ap_err *e, json_t *details)
{
    if (!e) {
        json_decref(details);
        return;
    }
    json_decref(e->details);
    e->details = details;
}

bool ap_err_is_set(const ap_err *e)
{
    return e && e->code[0] != '\0';
}

void ap_err_clear(ap_err *e)
{
    if (!e)
        return;
    json_decref(e->details);
    e->details = NULL;
    e->code[0] = '\0';
    e->message[0] = '\0';
}

void ap_err_move(ap_err *dst, ap_err *src)
{
    if (!dst) {
        ap_err_clear(src);
        return;
    }
    ap_err_clear(dst);
    *dst = *src;
    src->details = NULL;
    src->code[0] = '\0';
    src->message[0] = '\0';
}
