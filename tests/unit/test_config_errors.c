/* test_config_errors.c — every class of config error gives the exact
 * "FILE:LINE: message", with the right line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

/* One broken setup: a main file, optionally an overlay, optionally
 * overrides, and the exact error. In `want`, {MAIN} and {OVERLAY} stand for
 * the paths of the two files. */
typedef struct error_case {
    const char *name;
    const char *main_text;
    const char *overlay_env; /* e.g. "simulation", or NULL */
    const char *overlay_text;
    ap_config_overrides ov;
    const char *want;
} error_case;

/* The valid tail most cases append after their broken part. */
#define REQUIRED                                                                   \
    "[store]\npath = ap.db\n[plugins]\ndir = plugins\n[policy]\nfile = policy.ini\n"
#define CONNECTOR "[connector:crm]\nplugin.simulation = simulation\n"

static const error_case cases[] = {
    {"unknown section", "[server]\nlisten = 127.0.0.1:1\n[srever]\n" REQUIRED, NULL, NULL, {0},
     "{MAIN}:3: unknown section [srever] (expected server, store, plugins, environment, "
     "policy or connector:NAME)"},
    {"unknown key", REQUIRED "[server]\nport = 8080\n", NULL, NULL, {0},
     "{MAIN}:8: unknown key 'port' in [server] (expected: listen)"},
    {"unknown environment key", REQUIRED "[environment]\nactive = sandbox\nprod = 1\n", NULL,
     NULL, {0},
     "{MAIN}:9: unknown key 'prod' in [environment] (expected: active, production_enabled)"},
    {"duplicate key", REQUIRED "[server]\nlisten = a:1\n\nlisten = b:2\n", NULL, NULL, {0},
     "{MAIN}:10: duplicate key 'listen' in [server] (first on line 8)"},
    {"duplicate section", REQUIRED "[store]\n", NULL, NULL, {0},
     "{MAIN}:7: duplicate section [store] (first on line 1)"},
    {"bad port", REQUIRED "[server]\nlisten = 127.0.0.1:65536\n", NULL, NULL, {0},
     "{MAIN}:8: listen: bad port '65536' (expected 0..65535)"},
    {"port not a number", REQUIRED "[server]\nlisten = localhost:http\n", NULL, NULL, {0},
     "{MAIN}:8: listen: bad port 'http' (expected 0..65535)"},
    {"listen without port", REQUIRED "[server]\nlisten = localhost\n", NULL, NULL, {0},
     "{MAIN}:8: listen: expected HOST:PORT, got 'localhost'"},
    {"ipv6 without brackets", REQUIRED "[server]\nlisten = ::1:80\n", NULL, NULL, {0},
     "{MAIN}:8: listen: an IPv6 address needs brackets, e.g. [::1]:8080, got '::1:80'"},
    {"bad bool", REQUIRED "[environment]\nproduction_enabled = maybe\n", NULL, NULL, {0},
     "{MAIN}:8: [environment] production_enabled: 'maybe' is not a boolean (use true/false, "
     "yes/no, on/off or 1/0)"},
    {"bad environment name", REQUIRED "[environment]\nactive = staging\n", NULL, NULL, {0},
     "{MAIN}:8: [environment] active: unknown environment 'staging' (expected simulation, "
     "sandbox or production)"},
    {"missing key, section present", "[store]\n; no path\n[plugins]\ndir = p\n[policy]\nfile = x\n",
     NULL, NULL, {0}, "{MAIN}:1: [store] path is required"},
    {"missing key and section", "[store]\npath = a\n[plugins]\ndir = p\n", NULL, NULL, {0},
     "{MAIN}:0: [policy] file is required"},
    {"empty path", "[store]\npath =\n[plugins]\ndir = p\n[policy]\nfile = x\n", NULL, NULL, {0},
     "{MAIN}:2: [store] path is empty"},
    {"syntax error", REQUIRED "[server]\nlisten 127.0.0.1:8080\n", NULL, NULL, {0},
     "{MAIN}:8: syntax error (expected [section] or key = value)"},
    {"section without bracket", REQUIRED "[server\n", NULL, NULL, {0},
     "{MAIN}:7: syntax error (section header without ']')"},
    {"text after section", REQUIRED "[server] extra\n", NULL, NULL, {0},
     "{MAIN}:7: unexpected text after ']' in section header"},
    {"key outside sections", "listen = 1.2.3.4:5\n" REQUIRED, NULL, NULL, {0},
     "{MAIN}:1: key 'listen' is outside any section"},
    {"continuation line", REQUIRED CONNECTOR
     "allowedFields.Opportunity = StageName, CloseDate\n  Amount, NextStep\n",
     NULL, NULL, {0},
     "{MAIN}:10: continuation lines are not supported (an indented line would continue the "
     "previous value; start it at the beginning of the line)"},
    {"line too long",
     REQUIRED "; "
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     NULL, NULL, {0}, "{MAIN}:7: line too long (more than 197 characters)"},
    {"earliest error wins (syntax first)", "[store]\nbroken line\n[nope]\n" REQUIRED, NULL, NULL,
     {0}, "{MAIN}:2: syntax error (expected [section] or key = value)"},
    {"earliest error wins (key first)", "[store]\nsize = 1\nbroken line\n", NULL, NULL, {0},
     "{MAIN}:2: unknown key 'size' in [store] (expected: path)"},
    {"bad connector name", REQUIRED "[connector:CRM]\n", NULL, NULL, {0},
     "{MAIN}:7: bad connector name 'CRM' in [connector:CRM] (use a-z, 0-9 and -, at most 64)"},
    {"no binding for active env", REQUIRED "[connector:crm]\nplugin.sandbox = salesforce\n", NULL,
     NULL, {0},
     "{MAIN}:7: connector 'crm' binds no plugin for the active environment 'simulation' (add "
     "plugin.simulation = PLUGIN)"},
    {"no binding after env override", REQUIRED CONNECTOR, NULL, NULL, {.environment = "production"},
     "{MAIN}:7: connector 'crm' binds no plugin for the active environment 'production' (add "
     "plugin.production = PLUGIN)"},
    {"unknown plugin environment", REQUIRED CONNECTOR "plugin.staging = x\n", NULL, NULL, {0},
     "{MAIN}:9: unknown key 'plugin.staging' (plugin bindings are plugin.simulation, "
     "plugin.sandbox and plugin.production)"},
    {"plugin name leaving the folder", REQUIRED "[connector:crm]\nplugin.simulation = ../evil\n",
     NULL, NULL, {0},
     "{MAIN}:8: plugin.simulation: bad plugin name '../evil' (the file NAME.so in the plugin "
     "folder; use a-z, 0-9, - and _)"},
    {"allowlist duplicate", REQUIRED CONNECTOR "allowedFields.Opportunity = Amount, StageName, Amount\n",
     NULL, NULL, {0}, "{MAIN}:9: allowedFields.Opportunity: field 'Amount' is listed twice"},
    {"allowlist empty", REQUIRED CONNECTOR "allowedFields.Opportunity =\n", NULL, NULL, {0},
     "{MAIN}:9: allowedFields.Opportunity: the list of fields is empty"},
    {"allowlist empty element", REQUIRED CONNECTOR "allowedFields.Opportunity = Amount,,NextStep\n",
     NULL, NULL, {0}, "{MAIN}:9: allowedFields.Opportunity: empty field name in the list"},
    {"allowlist bad field", REQUIRED CONNECTOR "allowedFields.Opportunity = Close Date\n", NULL,
     NULL, {0},
     "{MAIN}:9: allowedFields.Opportunity: 'Close Date' is not a field API name (a letter, "
     "then letters, digits or _)"},
    {"allowlist without object", REQUIRED CONNECTOR "allowedFields = Amount\n", NULL, NULL, {0},
     "{MAIN}:9: allowedFields: bad object name '' (a letter, then letters, digits or _)"},
    {"bad setting key", REQUIRED CONNECTOR "1st = x\n", NULL, NULL, {0},
     "{MAIN}:9: bad key '1st' (a setting name starts with a letter; letters, digits, _ . -)"},
    {"overlay: unknown connector", REQUIRED CONNECTOR, "simulation",
     "; comment\n[connector:erp]\nkey = v\n", {0},
     "{OVERLAY}:2: unknown connector 'erp' (not declared in {MAIN})"},
    {"overlay: other section", REQUIRED CONNECTOR, "simulation", "[store]\npath = elsewhere.db\n",
     {0},
     "{OVERLAY}:1: section [store] is not allowed in an environment overlay (only "
     "[connector:NAME] sections; the rest belongs in {MAIN})"},
    {"overlay: plugin binding", REQUIRED CONNECTOR, "simulation",
     "[connector:crm]\nplugin.simulation = other\n", {0},
     "{OVERLAY}:2: plugin.simulation cannot be set in an environment overlay (bind plugins in "
     "the main config file)"},
    {"overlay: bad allowlist", REQUIRED CONNECTOR, "simulation",
     "[connector:crm]\nallowedFields.Opportunity = A, A\n", {0},
     "{OVERLAY}:2: allowedFields.Opportunity: field 'A' is listed twice"},
    {"overlay: duplicate key", REQUIRED CONNECTOR, "simulation",
     "[connector:crm]\ntoken = a\ntoken = b\n", {0},
     "{OVERLAY}:3: duplicate key 'token' in [connector:crm] (first on line 2)"},
    {"overlay of the overridden env", REQUIRED CONNECTOR "plugin.sandbox = salesforce\n", "sandbox",
     "[connector:crm]\n  indented = 1\n", {.environment = "sandbox"},
     "{OVERLAY}:2: continuation lines are not supported (an indented line would continue the "
     "previous value; start it at the beginning of the line)"},
    {"override: bad environment", REQUIRED, NULL, NULL, {.environment = "staging"},
     "<override>: unknown environment 'staging' (expected simulation, sandbox or production)"},
    {"override: bad listen", REQUIRED, NULL, NULL, {.listen = "localhost:99999"},
     "<override>: listen: bad port '99999' (expected 0..65535)"},
};

/* Replaces {MAIN} and {OVERLAY} in `pattern`. */
static void expand(const char *pattern, const char *main_path, const char *overlay_path,
                   char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 1 < outlen;) {
        const char *sub = NULL;
        size_t skip = 0;
        if (strncmp(p, "{MAIN}", 6) == 0) {
            sub = main_path;
            skip = 6;
        } else if (strncmp(p, "{OVERLAY}", 9) == 0) {
            sub = overlay_path;
            skip = 9;
        }
        if (sub) {
            n += (size_t)snprintf(out + n, outlen - n, "%s", sub);
            p += skip;
        } else {
            out[n++] = *p++;
        }
    }
    out[n < outlen ? n : outlen - 1] = '\0';
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void each_error_class_names_file_and_line(void **state)
{
    (void)state;
    const char *base = getenv("AP_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const error_case *c = &cases[i];
        char dir[512], main_path[600], env_dir[600], overlay_path[700] = "";
        snprintf(dir, sizeof dir, "%s/test_config_errors-XXXXXX", base);
        assert_non_null(mkdtemp(dir));
        snprintf(main_path, sizeof main_path, "%s/actionplane.ini", dir);
        write_text(main_path, c->main_text);
        if (c->overlay_env) {
            snprintf(env_dir, sizeof env_dir, "%s/environments", dir);
            assert_int_equal(mkdir(env_dir, 0700), 0);
            snprintf(overlay_path, sizeof overlay_path, "%s/%s.ini", env_dir, c->overlay_env);
            write_text(overlay_path, c->overlay_text);
        }
        char err[1024] = "", want[1024];
        ap_config *cfg = (ap_config *)&err; /* must be reset to NULL on failure */
        int rc = ap_config_load(main_path, &c->ov, &cfg, err, sizeof err);
        expand(c->want, main_path, overlay_path, want, sizeof want);
        if (rc != -1 || strcmp(err, want) != 0)
            fail_msg("case '%s': rc %d\n  got:  %s\n  want: %s", c->name, rc, err, want);
        assert_null(cfg);
        nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    }
}

static void unreadable_file(void **state)
{
    (void)state;
    char err[512] = "";
    ap_config *cfg = NULL;
    assert_int_equal(ap_config_load("/nonexistent/actionplane.ini", NULL, &cfg, err, sizeof err),
                     -1);
    assert_string_equal(err, "/nonexistent/actionplane.ini:0: cannot read: No such file or directory");
    assert_null(cfg);

    /* A folder is not a config file either. */
    assert_int_equal(ap_config_load("/", NULL, &cfg, err, sizeof err), -1);
    assert_string_equal(err, "/:0: cannot read: Is a directory");
}

static void unreadable_overlay(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads a 0000 file anyway */
    const char *base = getenv("AP_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700);
    char dir[512], path[600], overlay[700], want[1024], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/test_config_errors-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/actionplane.ini", dir);
    write_text(path, REQUIRED);
    snprintf(overlay, sizeof overlay, "%s/environments", dir);
    mkdir(overlay, 0700);
    snprintf(overlay, sizeof overlay, "%s/environments/simulation.ini", dir);
    write_text(overlay, "[connector:crm]\n");
    chmod(overlay, 0);
    ap_config *cfg = NULL;
    assert_int_equal(ap_config_load(path, NULL, &cfg, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:0: cannot read: Permission denied", overlay);
    assert_string_equal(err, want);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void nul_byte_is_refused(void **state)
{
    (void)state;
    const char *base = getenv("AP_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700);
    char dir[512], path[600], want[1024], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/test_config_errors-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/actionplane.ini", dir);
    static const char text[] = "[store]\npath = a\0b\n";
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, sizeof text - 1, fp), sizeof text - 1);
    fclose(fp);
    ap_config *cfg = NULL;
    assert_int_equal(ap_config_load(path, NULL, &cfg, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: NUL byte in file", path);
    assert_string_equal(err, want);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void short_error_buffer_is_terminated(void **state)
{
    (void)state;
    char err[16];
    memset(err, 'x', sizeof err);
    ap_config *cfg = NULL;
    assert_int_equal(ap_config_load("/nonexistent/actionplane.ini", NULL, &cfg, err, sizeof err),
                     -1);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_memory_equal(err, "/nonexistent/ac", 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_error_class_names_file_and_line),
        cmocka_unit_test(unreadable_file),
        cmocka_unit_test(unreadable_overlay),
        cmocka_unit_test(nul_byte_is_refused),
        cmocka_unit_test(short_error_buffer_is_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
