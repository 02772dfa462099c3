/*
 * ini_names.h — the spelling rules for names written in the INI files
 * (connectors, object and field API names), shared by config and policy so
 * that both files accept exactly the same names.
 */
#ifndef AP_INI_NAMES_H
#define AP_INI_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/** a-z or 0-9. */
bool ap_ini_is_lower_or_digit(char c);

/** A-Z or a-z. */
bool ap_ini_is_letter(char c);

/** 0-9. */
bool ap_ini_is_digit(char c);

/** True when `s` is 1..max characters, each accepted by `ok`. */
bool ap_ini_name_of(const char *s, size_t max, bool (*ok)(char));

/** A connector name: 1..64 characters of a-z, 0-9 and -. */
bool ap_ini_is_connector_name(const char *s);

/** An object or field API name: a letter, then letters, digits or _ (at
 *  most 80 characters), as Salesforce spells them. */
bool ap_ini_is_api_name(const char *s);

#endif /* AP_INI_NAMES_H */
