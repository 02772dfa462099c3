/* ini_names.c — see ini_names.h. */
#include "ini_names.h"

bool ap_ini_is_lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool ap_ini_is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool ap_ini_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool ap_ini_name_of(const char *s, size_t max, bool (*ok)(char))
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !ok(s[n]))
            return false;
    return n > 0;
}

static bool connector_char(char c)
{
    return ap_ini_is_lower_or_digit(c) || c == '-';
}

static bool api_char(char c)
{
    return ap_ini_is_letter(c) || ap_ini_is_digit(c) || c == '_';
}

bool ap_ini_is_connector_name(const char *s)
{
    return ap_ini_name_of(s, 64, connector_char);
}

bool ap_ini_is_api_name(const char *s)
{
    return ap_ini_is_letter(s[0]) && ap_ini_name_of(s, 80, api_char);
}
