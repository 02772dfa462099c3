/*
 * ini_file.h — INI text parsed with inih, but with exact line numbers, one
 * callback per [section] header and the structural checks every ActionPlane
 * INI file shares. Used by the config and policy modules (library ap_ini).
 *
 * Why a layer over inih: Debian's libinih 55 passes no line number to its
 * handler and reports only the first syntax error's line. So the text is fed
 * to ini_parse_stream() through a reader that hands out one physical line per
 * call and counts them: the handler inih calls next belongs to the line the
 * reader returned last. The reader also sees every raw line, which lets it
 * find section headers (inih does not report them) and refuse what inih would
 * silently accept in a surprising way.
 *
 * The dialect (every ActionPlane INI file; documented for operators in the
 * shipped files):
 *  - `[section]` on its own line; whitespace around the name is ignored;
 *    after `]` only whitespace or a comment may follow.
 *  - `key = value`, key and value trimmed. A key cannot contain `:` (inih
 *    would split `key: value` there; here such a line is a syntax error).
 *  - Comments: a line whose first non-blank character is `;` or `#`, and,
 *    because Debian builds inih with inline comments on, the rest of a line
 *    from a `;` that follows whitespace (`key = value ; note`). A `;` glued to
 *    a word stays in the value (`posture; one approval` keeps it).
 *  - No continuation lines: inih would append an indented line to the
 *    previous value; here any indented line that is not blank or a comment is
 *    an error ("continuation lines are not supported").
 *  - A line is at most (reader buffer - 3) characters (197 with Debian's
 *    inih); a longer one is an error rather than silently split in two.
 *  - A section name appears once per file; a key appears once per section;
 *    no key before the first section; no NUL byte; a UTF-8 BOM is skipped.
 *
 * Errors are "FILE:LINE: message", FILE as the caller named it.
 */
#ifndef AP_INI_FILE_H
#define AP_INI_FILE_H

#include <stddef.h>

/** Longest message a callback may write (more is truncated). */
#define AP_INI_MSG_LEN 400

/**
 * What the caller does with the parsed file. Each callback returns 0 to go
 * on, or -1 after writing a one-line message (no "FILE:LINE: " prefix: the
 * layer adds it) into msg (msglen bytes). After the first error no callback
 * is called again. `section`, `key` and `value` are borrowed for the call.
 */
typedef struct ap_ini_callbacks {
    /** A `[section]` header on `line` (name trimmed, never a duplicate). */
    int (*section)(void *user, const char *section, int line, char *msg,
                   size_t msglen);
    /** `key = value` on `line`, inside `section` (whose header was passed to
     *  `section` before). Never a duplicate key within the section. */
    int (*entry)(void *user, const char *section, const char *key,
                 const char *value, int line, char *msg, size_t msglen);
} ap_ini_callbacks;

/**
 * Parses `text` (`len` bytes; need not be NUL-terminated) as the INI file
 * named `file` (used only in messages). Returns 0 when the whole text parsed
 * and every callback returned 0; otherwise -1 with the earliest error in the
 * file as "FILE:LINE: message" in err (errlen bytes, always NUL-terminated).
 */
int ap_ini_parse_text(const char *text, size_t len, const char *file,
                      const ap_ini_callbacks *cb, void *user, char *err,
                      size_t errlen);

/**
 * Reads the file at `path` whole and parses it as ap_ini_parse_text does.
 * An unreadable file gives "PATH:0: cannot read: REASON".
 */
int ap_ini_parse_file(const char *path, const ap_ini_callbacks *cb,
                      void *user, char *err, size_t errlen);

/**
 * Reads the whole file at `path` into a new NUL-terminated buffer (*text,
 * free() it; *len excludes the NUL). Returns 0, or -1 with
 * "PATH:0: cannot read: REASON" in err.
 */
int ap_ini_read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen);

/** Writes "FILE:LINE: message" (printf-style message) into err. */
void ap_ini_error(char *err, size_t errlen, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/** Longest value ap_ini_split_list takes (every value of a parsed line is
 *  shorter, since lines are). */
#define AP_INI_VALUE_MAX 1024

/**
 * Splits a comma-separated list: calls `item` with each element, trimmed,
 * in order (an element may be empty: "a,,b" gives "", and "" gives one ""),
 * and stops at the first nonzero return, which it returns; 0 when all
 * returned 0. A text of AP_INI_VALUE_MAX bytes or more returns -1 without
 * calling `item`. `element` is borrowed for the call.
 */
int ap_ini_split_list(const char *text,
                      int (*item)(void *user, const char *element),
                      void *user);

#endif /* AP_INI_FILE_H */
