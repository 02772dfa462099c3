/* ini_file.c — see ini_file.h. */
#include "ini_file.h"

#include <ini.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Files larger than this are refused: no INI file of ours comes close, and a
 * bound keeps a wrong path (a log, a device) from eating memory. */
#define INI_FILE_MAX_BYTES (4u * 1024u * 1024u)

/** A section or key already seen, for duplicate messages. */
typedef struct seen_name {
    char *name;
    int line;
} seen_name;

typedef struct seen_list {
    seen_name *items;
    size_t n, cap;
} seen_list;

/** The state of one parse: the text being handed out and what was seen. */
typedef struct ini_run {
    const char *file;
    const char *text;
    size_t len;
    size_t pos;
    int line; /* physical lines handed to inih so far */
    const ap_ini_callbacks *cb;
    void *user;
    const char *section; /* current section (points into sections) or NULL */
    seen_list sections;
    seen_list keys; /* keys of the current section */
    bool failed;
    int error_line;
    char msg[AP_INI_MSG_LEN];
} ini_run;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

static bool is_comment_start(char c)
{
    return c == ';' || c == '#';
}

/* Records the first error; later ones are dropped (the earliest line wins,
 * and errors arrive in line order). */
static void fail(ini_run *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(ini_run *r, int line, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    r->error_line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

static void seen_free(seen_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].name);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static const seen_name *seen_find(const seen_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

/* Adds a copy of `name`; returns the stored copy, or NULL when out of memory. */
static const char *seen_add(seen_list *l, const char *name, size_t name_len,
                            int line)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        seen_name *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return NULL;
        l->items = items;
        l->cap = cap;
    }
    char *copy = strndup(name, name_len);
    if (!copy)
        return NULL;
    l->items[l->n].name = copy;
    l->items[l->n].line = line;
    l->n++;
    return copy;
}

/* Mirrors inih's find_chars_or_comment(): the first of `chars`, or of a ';'
 * that follows whitespace (an inline comment), or `end`. */
static const char *find_chars_or_comment(const char *s, const char *end,
                                         const char *chars)
{
    bool was_space = false;
    while (s < end && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = is_blank(*s);
        s++;
    }
    return s;
}

/* A `[section]` line (p points at '['). Errors that inih would report
 * itself (no ']') are reported here too, with the same wording. */
static void take_section_header(ini_run *r, const char *p, const char *end)
{
    const char *close = find_chars_or_comment(p + 1, end, "]");
    if (close == end || *close != ']') {
        fail(r, r->line, "syntax error (section header without ']')");
        return;
    }
    for (const char *t = close + 1; t < end && !is_comment_start(*t); t++) {
        if (!is_blank(*t)) {
            fail(r, r->line, "unexpected text after ']' in section header");
            return;
        }
    }
    const char *name = p + 1;
    const char *name_end = close;
    while (name < name_end && is_blank(*name))
        name++;
    while (name_end > name && is_blank(name_end[-1]))
        name_end--;
    if (name == name_end) {
        fail(r, r->line, "empty section name");
        return;
    }
    char probe[AP_INI_MSG_LEN];
    snprintf(probe, sizeof probe, "%.*s", (int)(name_end - name), name);
    const seen_name *dup = seen_find(&r->sections, probe);
    if (dup) {
        fail(r, r->line, "duplicate section [%s] (first on line %d)", probe,
             dup->line);
        return;
    }
    const char *stored = seen_add(&r->sections, name, (size_t)(name_end - name), r->line);
    if (!stored) {
        fail(r, r->line, "out of memory");
        return;
    }
    r->section = stored;
    seen_free(&r->keys);
    char msg[AP_INI_MSG_LEN] = "";
    if (r->cb->section && r->cb->section(r->user, stored, r->line, msg, sizeof msg) != 0)
        fail(r, r->line, "%s", msg);
}

/* Looks at one raw line before inih does (`content` excludes the line end):
 * finds section headers and refuses what inih would take surprisingly. */
static void inspect_line(ini_run *r, const char *start, size_t content)
{
    const char *p = start;
    const char *end = start + content;
    bool indented = p < end && is_blank(*p);
    while (p < end && is_blank(*p))
        p++;
    if (p == end || is_comment_start(*p))
        return;
    if (indented) {
        /* inih appends an indented line to the previous key's value. */
        fail(r, r->line,
             "continuation lines are not supported (an indented line would "
             "continue the previous value; start it at the beginning of the line)");
        return;
    }
    if (*p == '[') {
        take_section_header(r, p, end);
        return;
    }
    /* inih also splits on ':', which turns a forgotten '=' in
     * "listen 127.0.0.1:8080" into a baffling key; only '=' is accepted. */
    const char *sep = find_chars_or_comment(p, end, "=:");
    if (sep == end || *sep != '=')
        fail(r, r->line, "syntax error (expected [section] or key = value)");
}

/* The ini_reader: one physical line per call, so inih's line count and ours
 * agree. A refused line is handed out blank; after an error, end of input. */
static char *read_line(char *str, int num, void *stream)
{
    ini_run *r = stream;
    if (r->failed || r->pos >= r->len || num < 4)
        return NULL;
    const char *start = r->text + r->pos;
    const char *nl = memchr(start, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - start) + 1 : r->len - r->pos;
    r->pos += n;
    r->line++;
    if (r->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
        start += 3;
        n -= 3;
    }
    size_t content = n;
    if (content > 0 && start[content - 1] == '\n')
        content--;
    if (content > 0 && start[content - 1] == '\r')
        content--;
    size_t limit = (size_t)num - 3; /* room for "\r\n" and the NUL */
    if (content > limit)
        fail(r, r->line, "line too long (more than %zu characters)", limit);
    else
        inspect_line(r, start, content);
    if (r->failed) {
        strcpy(str, "\n");
        return str;
    }
    memcpy(str, start, n);
    str[n] = '\0';
    return str;
}

/* The inih handler. inih's `section` is ignored: it truncates names to 49
 * characters, and the reader already knows the section exactly. */
static int on_entry(void *user, const char *section, const char *key,
                    const char *value)
{
    (void)section;
    ini_run *r = user;
    if (r->failed)
        return 0;
    if (!r->section) {
        fail(r, r->line, "key '%s' is outside any section", key);
        return 0;
    }
    if (key[0] == '\0') {
        fail(r, r->line, "empty key in [%s]", r->section);
        return 0;
    }
    const seen_name *dup = seen_find(&r->keys, key);
    if (dup) {
        fail(r, r->line, "duplicate key '%s' in [%s] (first on line %d)", key,
             r->section, dup->line);
        return 0;
    }
    if (!seen_add(&r->keys, key, strlen(key), r->line)) {
        fail(r, r->line, "out of memory");
        return 0;
    }
    char msg[AP_INI_MSG_LEN] = "";
    if (r->cb->entry &&
        r->cb->entry(r->user, r->section, key, value, r->line, msg, sizeof msg) != 0) {
        fail(r, r->line, "%s", msg);
        return 0;
    }
    return 1;
}

void ap_ini_error(char *err, size_t errlen, const char *file, int line,
                  const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n = snprintf(err, errlen, "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

int ap_ini_parse_text(const char *text, size_t len, const char *file,
                      const ap_ini_callbacks *cb, void *user, char *err,
                      size_t errlen)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        ap_ini_error(err, errlen, file, line, "NUL byte in file");
        return -1;
    }
    ini_run r = {.file = file, .text = text, .len = len, .cb = cb, .user = user};
    int ret = ini_parse_stream(read_line, &r, on_entry, &r);
    seen_free(&r.sections);
    seen_free(&r.keys);
    if (ret > 0 && (!r.failed || ret < r.error_line)) {
        /* A line inih refused that the reader did not foresee. */
        ap_ini_error(err, errlen, file, ret, "syntax error");
        return -1;
    }
    if (r.failed) {
        ap_ini_error(err, errlen, file, r.error_line, "%s", r.msg);
        return -1;
    }
    if (ret != 0) {
        ap_ini_error(err, errlen, file, 0, "out of memory while parsing");
        return -1;
    }
    return 0;
}

/* "cannot read: REASON" for errno `errnum`, without strerror's shared
 * buffer (a policy reload may run beside other threads). */
static void cannot_read(char *err, size_t errlen, const char *path, int errnum)
{
    char buf[128];
    ap_ini_error(err, errlen, path, 0, "cannot read: %s", strerror_r(errnum, buf, sizeof buf));
}

int ap_ini_read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cannot_read(err, errlen, path, errno);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int saved_errno = 0;
    bool too_large = false;
    while (buf) {
        if (n + 1 >= cap) {
            if (cap >= INI_FILE_MAX_BYTES) {
                too_large = true;
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                saved_errno = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (too_large) {
        free(buf);
        ap_ini_error(err, errlen, path, 0, "cannot read: file too large (over %u bytes)",
                     INI_FILE_MAX_BYTES);
        return -1;
    }
    if (!buf || saved_errno) {
        int errnum = buf ? saved_errno : ENOMEM;
        free(buf);
        cannot_read(err, errlen, path, errnum);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

int ap_ini_parse_file(const char *path, const ap_ini_callbacks *cb,
                      void *user, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (ap_ini_read_file(path, &text, &len, err, errlen) != 0)
        return -1;
    int rc = ap_ini_parse_text(text, len, path, cb, user, err, errlen);
    free(text);
    return rc;
}

int ap_ini_split_list(const char *text,
                      int (*item)(void *user, const char *element),
                      void *user)
{
    size_t len = strlen(text);
    if (len >= AP_INI_VALUE_MAX)
        return -1;
    char buf[AP_INI_VALUE_MAX];
    memcpy(buf, text, len + 1);
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *e = p + strlen(p);
        while (is_blank(*p))
            p++;
        while (e > p && is_blank(e[-1]))
            *--e = '\0';
        int rc = item(user, p);
        if (rc != 0)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}
