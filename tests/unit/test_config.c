/* test_config.c — loading the shipped config, environment overlays,
 * overrides, and the lookup helpers of config.h. */
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

/* ---- temp files ----------------------------------------------------------- */

typedef struct fixture {
    char dir[512];
    char path[640]; /* last file written */
} fixture;

static int setup_dir(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *base = getenv("AP_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700); /* may exist already */
    snprintf(f->dir, sizeof f->dir, "%s/test_config-XXXXXX", base);
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown_dir(void **state)
{
    fixture *f = *state;
    nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Writes `text` to DIR/name (creating DIR/environments when needed); the
 * full path is left in f->path. */
static const char *write_file(fixture *f, const char *name, const char *text)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/environments", f->dir);
    mkdir(sub, 0700);
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return f->path;
}

static const char *const base_main =
    "[server]\n"
    "listen = 127.0.0.1:9000\n"
    "[store]\n"
    "path = data/ap.db\n"
    "[plugins]\n"
    "dir = /opt/actionplane/plugins\n"
    "[environment]\n"
    "active = simulation\n"
    "[policy]\n"
    "file = policy.ini\n"
    "[connector:salesforce-crm]\n"
    "plugin.simulation = simulation\n"
    "plugin.sandbox = salesforce\n"
    "loginUrl = https://login.example.test\n"
    "allowedFields.Opportunity = StageName, Amount\n";

static char main_path[700];

static const char *write_main(fixture *f, const char *text)
{
    write_file(f, "actionplane.ini", text);
    snprintf(main_path, sizeof main_path, "%s", f->path);
    return main_path;
}

static char *joined(const char *a, const char *b)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", a, b);
    return buf;
}

/* ---- the shipped files ---------------------------------------------------- */

static void shipped_config_loads(void **state)
{
    (void)state;
    const char *src = getenv("AP_SOURCE_DIR");
    assert_non_null(src);
    char path[1024], want[1100];
    snprintf(path, sizeof path, "%s/config/actionplane.ini", src);
    char err[512] = "";
    ap_config *cfg = NULL;
    int rc = ap_config_load(path, NULL, &cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg->config_path, path);
    snprintf(want, sizeof want, "%s/config", src);
    assert_string_equal(cfg->config_dir, want);
    assert_int_equal(cfg->environment, AP_ENV_SIMULATION);
    assert_false(cfg->production_enabled);
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    snprintf(want, sizeof want, "%s/config/../var/actionplane.db", src);
    assert_string_equal(cfg->store_path, want);
    snprintf(want, sizeof want, "%s/config/../build/plugins", src);
    assert_string_equal(cfg->plugin_dir, want);
    snprintf(want, sizeof want, "%s/config/policy.ini", src);
    assert_string_equal(cfg->policy_path, want);
    snprintf(want, sizeof want, "%s/config/environments/simulation.ini", src);
    assert_non_null(cfg->overlay_path);
    assert_string_equal(cfg->overlay_path, want);

    assert_int_equal(cfg->n_connectors, 1);
    const ap_connector_config *c = ap_config_connector(cfg, "salesforce-crm");
    assert_non_null(c);
    assert_string_equal(c->plugin[AP_ENV_SIMULATION], "simulation");
    assert_string_equal(c->plugin[AP_ENV_SANDBOX], "salesforce");
    assert_string_equal(c->plugin[AP_ENV_PRODUCTION], "salesforce");
    assert_int_equal(c->n_settings, 0);
    const ap_allowlist *a = ap_connector_allowlist(c, "Opportunity");
    assert_non_null(a);
    assert_int_equal(a->n_fields, 4);
    assert_string_equal(a->fields[0], "StageName");
    assert_string_equal(a->fields[1], "CloseDate");
    assert_string_equal(a->fields[2], "Amount");
    assert_string_equal(a->fields[3], "NextStep");
    assert_true(ap_allowlist_has(a, "NextStep"));
    assert_false(ap_allowlist_has(a, "Probability"));
    assert_null(ap_connector_allowlist(c, "Account"));

    /* The overlays another engineer ships must pass the overlay rules too. */
    rc = ap_config_check_overlays(cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    ap_config_free(cfg);
}

/* ---- a config in a temp folder -------------------------------------------- */

static void relative_paths_resolve_against_config_dir(void **state)
{
    fixture *f = *state;
    const char *path = write_main(f, base_main);
    char err[512] = "";
    ap_config *cfg = NULL;
    assert_int_equal(ap_config_load(path, NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->config_dir, f->dir);
    assert_string_equal(cfg->store_path, joined(f->dir, "/data/ap.db"));
    assert_string_equal(cfg->plugin_dir, "/opt/actionplane/plugins"); /* absolute: kept */
    assert_string_equal(cfg->policy_path, joined(f->dir, "/policy.ini"));
    assert_int_equal(cfg->listen_port, 9000);
    assert_null(cfg->overlay_path); /* no environments/simulation.ini */
    const ap_connector_config *c = ap_config_connector(cfg, "salesforce-crm");
    assert_non_null(c);
    assert_null(c->plugin[AP_ENV_PRODUCTION]);
    const ap_setting *s = ap_connector_setting(c, "loginUrl");
    assert_non_null(s);
    assert_string_equal(s->value, "https://login.example.test");
    assert_string_equal(s->file, path);
    assert_int_equal(s->line, 14);
    assert_null(ap_connector_setting(c, "clientId"));
    ap_config_free(cfg);
}

static void config_path_without_folder_uses_dot(void **state)
{
    fixture *f = *state;
    write_main(f, base_main);
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    char err[512] = "";
    ap_config *cfg = NULL;
    int rc = ap_config_load("actionplane.ini", NULL, &cfg, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->config_dir, ".");
    assert_string_equal(cfg->store_path, "./data/ap.db");
    ap_config_free(cfg);
}

static void env_override_picks_that_overlay(void **state)
{
    fixture *f = *state;
    const char *path = write_main(f, base_main);
    write_file(f, "environments/simulation.ini",
               "[connector:salesforce-crm]\n"
               "loginUrl = https://simulation.example.test\n");
    write_file(f, "environments/sandbox.ini",
               "; sandbox credentials\n"
               "[connector:salesforce-crm]\n"
               "loginUrl = https://test.salesforce.com\n"
               "clientId = abc123\n"
               "allowedFields.Opportunity = NextStep\n"
               "allowedFields.Account = Name\n");
    char sandbox_overlay[700];
    snprintf(sandbox_overlay, sizeof sandbox_overlay, "%s", f->path);

    ap_config_overrides ov = {.environment = "sandbox"};
    char err[512] = "";
    ap_config *cfg = NULL;
    int rc = ap_config_load(path, &ov, &cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(cfg->environment, AP_ENV_SANDBOX);
    assert_string_equal(cfg->overlay_path, sandbox_overlay);
    const ap_connector_config *c = ap_config_connector(cfg, "salesforce-crm");
    /* Replaced: the overlay's value, file and line. */
    const ap_setting *s = ap_connector_setting(c, "loginUrl");
    assert_string_equal(s->value, "https://test.salesforce.com");
    assert_string_equal(s->file, sandbox_overlay);
    assert_int_equal(s->line, 3);
    /* Added. */
    s = ap_connector_setting(c, "clientId");
    assert_non_null(s);
    assert_string_equal(s->value, "abc123");
    assert_int_equal(s->line, 4);
    assert_int_equal(c->n_settings, 2);
    /* allowedFields.Opportunity replaced, allowedFields.Account added. */
    const ap_allowlist *a = ap_connector_allowlist(c, "Opportunity");
    assert_int_equal(a->n_fields, 1);
    assert_string_equal(a->fields[0], "NextStep");
    assert_false(ap_allowlist_has(a, "StageName"));
    a = ap_connector_allowlist(c, "Account");
    assert_non_null(a);
    assert_true(ap_allowlist_has(a, "Name"));
    ap_config_free(cfg);

    /* Without the override the simulation overlay applies instead. */
    assert_int_equal(ap_config_load(path, NULL, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg->environment, AP_ENV_SIMULATION);
    c = ap_config_connector(cfg, "salesforce-crm");
    assert_string_equal(ap_connector_setting(c, "loginUrl")->value,
                        "https://simulation.example.test");
    assert_null(ap_connector_setting(c, "clientId"));
    assert_int_equal(ap_connector_allowlist(c, "Opportunity")->n_fields, 2);

    /* Both overlays pass the overlay rules. */
    assert_int_equal(ap_config_check_overlays(cfg, err, sizeof err), 0);
    ap_config_free(cfg);
}

static void check_overlays_reports_inactive_overlay(void **state)
{
    fixture *f = *state;
    const char *path = write_main(f, base_main);
    write_file(f, "environments/production.ini", "[server]\nlisten = 0.0.0.0:80\n");
    char bad[700];
    snprintf(bad, sizeof bad, "%s", f->path);
    char err[512] = "", want[2048];
    ap_config *cfg = NULL;
    /* Not active, so loading ignores it... */
    assert_int_equal(ap_config_load(path, NULL, &cfg, err, sizeof err), 0);
    /* ...but the check finds it. */
    assert_int_equal(ap_config_check_overlays(cfg, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:1: section [server] is not allowed in an environment overlay "
             "(only [connector:NAME] sections; the rest belongs in %s)", bad, path);
    assert_string_equal(err, want);
    ap_config_free(cfg);
}

static void overrides_apply_after_files(void **state)
{
    fixture *f = *state;
    const char *path = write_main(f, base_main);
    ap_config_overrides ov = {.listen = "[::1]:0", .store_path = "relative/run.db"};
    char err[512] = "";
    ap_config *cfg = NULL;
    assert_int_equal(ap_config_load(path, &ov, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->listen_host, "::1");
    assert_int_equal(cfg->listen_port, 0);
    assert_string_equal(cfg->store_path, "relative/run.db"); /* as given */
    assert_int_equal(cfg->environment, AP_ENV_SIMULATION);
    ap_config_free(cfg);
}

static void defaults_and_inline_comments(void **state)
{
    fixture *f = *state;
    const char *path = write_main(f,
                                  "# minimal\n"
                                  "[store]\n"
                                  "path = /var/lib/ap.db ; the database\n"
                                  "[plugins]\n"
                                  "  ; an indented comment is fine\n"
                                  "dir = plugins\n"
                                  "\n"
                                  "[policy]   ; rules\n"
                                  "file = p;q.ini\n"
                                  "[environment]\n"
                                  "production_enabled = Yes\n");
    char err[512] = "";
    ap_config *cfg = NULL;
    int rc = ap_config_load(path, NULL, &cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    assert_int_equal(cfg->environment, AP_ENV_SIMULATION);
    assert_true(cfg->production_enabled);
    assert_string_equal(cfg->store_path, "/var/lib/ap.db");
    assert_string_equal(cfg->policy_path, joined(f->dir, "/p;q.ini")); /* glued ';' kept */
    assert_int_equal(cfg->n_connectors, 0);
    ap_config_free(cfg);
}

static void bom_crlf_and_longest_line_are_accepted(void **state)
{
    fixture *f = *state;
    char text[1024];
    char comment[198];
    memset(comment, 'c', 197);
    comment[0] = ';';
    comment[197] = '\0'; /* exactly 197 characters: the longest line */
    snprintf(text, sizeof text,
             "\xEF\xBB\xBF[store]\r\npath = a.db\r\n%s\r\n[plugins]\r\ndir = p\r\n"
             "[policy]\r\nfile = x.ini\r\n[server]\r\nlisten = 10.0.0.1:80",
             comment); /* and no newline at the end */
    const char *path = write_main(f, text);
    char err[512] = "";
    ap_config *cfg = NULL;
    int rc = ap_config_load(path, NULL, &cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg->store_path, joined(f->dir, "/a.db"));
    assert_string_equal(cfg->listen_host, "10.0.0.1");
    assert_int_equal(cfg->listen_port, 80);
    ap_config_free(cfg);

    /* One character more is refused, on its line. */
    char longer[199];
    memset(longer, 'c', 198);
    longer[0] = ';';
    longer[198] = '\0';
    snprintf(text, sizeof text, "[store]\npath = a.db\n%s\n", longer);
    path = write_main(f, text);
    assert_int_equal(ap_config_load(path, NULL, &cfg, err, sizeof err), -1);
    char want[1024];
    snprintf(want, sizeof want, "%s:3: line too long (more than 197 characters)", path);
    assert_string_equal(err, want);
}

static void parse_bool_spellings(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "On"};
    static const char *const no[] = {"false", "no", "off", "0", "False", "NO"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        bool v = false;
        assert_true(ap_parse_bool(yes[i], &v));
        assert_true(v);
        v = true;
        assert_true(ap_parse_bool(no[i], &v));
        assert_false(v);
    }
    bool v = true;
    assert_false(ap_parse_bool("", &v));
    assert_false(ap_parse_bool("2", &v));
    assert_false(ap_parse_bool("yess", &v));
    assert_false(ap_parse_bool(NULL, &v));
    assert_true(v); /* untouched on failure */
}

static void lookups_tolerate_null(void **state)
{
    (void)state;
    assert_null(ap_config_connector(NULL, "x"));
    assert_null(ap_connector_setting(NULL, "x"));
    assert_null(ap_connector_allowlist(NULL, "x"));
    assert_false(ap_allowlist_has(NULL, "x"));
    ap_config_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_config_loads),
        cmocka_unit_test_setup_teardown(relative_paths_resolve_against_config_dir, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(config_path_without_folder_uses_dot, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(env_override_picks_that_overlay, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(check_overlays_reports_inactive_overlay, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(overrides_apply_after_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(defaults_and_inline_comments, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(bom_crlf_and_longest_line_are_accepted, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(parse_bool_spellings),
        cmocka_unit_test(lookups_tolerate_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
