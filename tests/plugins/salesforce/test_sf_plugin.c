/*
 * test_sf_plugin.c — salesforce.so's descriptor and `open`: the settings it declares and checks, secrets
 * from the environment, and that open never touches the network. No fake server needed.
 */
#include "sf_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static mock_host *host_with(const char *login_url)
{
    mock_host *h = mock_host_load(sf_test_plugin_path());
    assert_non_null(h);
    mock_host_set(h, "loginUrl", login_url);
    mock_host_set(h, "clientId", "3MVG9-test-client");
    mock_host_set(h, "clientSecret", "s3cr3t-value-never-shown");
    mock_host_set(h, "allowedFields.Opportunity", "StageName, CloseDate, Amount, NextStep");
    return h;
}

static const ap_setting_spec *find_setting(const ap_plugin_descriptor *d, const char *name)
{
    for (const ap_setting_spec *s = d->settings; s && s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static void descriptor_names_the_plugin_and_its_action(void **state)
{
    (void)state;
    mock_host *h = mock_host_load(sf_test_plugin_path());
    assert_non_null(h);
    const ap_plugin_descriptor *d = mock_host_descriptor(h);
    assert_int_equal(d->abi.abi_major, AP_ABI_MAJOR);
    assert_int_equal(d->abi.abi_minor, AP_ABI_MINOR);
    assert_int_equal(d->abi.struct_size, sizeof(ap_plugin_descriptor));
    assert_string_equal(d->name, "salesforce");
    assert_string_equal(d->version, "1.0.0");
    assert_string_equal(d->actions[0], "salesforce.update-opportunity");
    assert_null(d->actions[1]);
    assert_non_null(d->open);
    assert_non_null(d->validate);
    assert_non_null(d->sync_metadata);
    assert_non_null(d->preview);
    assert_non_null(d->execute);
    assert_non_null(d->rollback);
    assert_non_null(d->read_record);
    assert_non_null(d->close);
    assert_null(d->reset); /* a real org has no seeded state to restore */
    assert_int_equal(d->flags & AP_PLUGIN_THREAD_SAFE, 0);
    mock_host_free(h);
}

static void settings_table_declares_every_key_of_issue_3(void **state)
{
    (void)state;
    mock_host *h = mock_host_load(sf_test_plugin_path());
    const ap_plugin_descriptor *d = mock_host_descriptor(h);
    const char *keys[] = {"loginUrl", "clientId", "clientSecret", "refreshToken", "apiVersion", "isSandbox",
                          "caBundle", "allowInsecureHttp", "connectTimeoutMs", "timeoutMs", "allowedFields.", NULL};
    for (int i = 0; keys[i]; i++) {
        if (!find_setting(d, keys[i]))
            fprintf(stderr, "missing setting %s\n", keys[i]);
        assert_non_null(find_setting(d, keys[i]));
    }
    assert_true(find_setting(d, "clientSecret")->flags & AP_SETTING_SECRET);
    assert_true(find_setting(d, "refreshToken")->flags & AP_SETTING_SECRET);
    assert_false(find_setting(d, "clientId")->flags & AP_SETTING_SECRET);
    assert_int_equal(find_setting(d, "loginUrl")->type, AP_SETTING_URL);
    assert_int_equal(find_setting(d, "isSandbox")->type, AP_SETTING_BOOL);
    assert_int_equal(find_setting(d, "timeoutMs")->type, AP_SETTING_INT);
    assert_int_equal(find_setting(d, "caBundle")->type, AP_SETTING_PATH);
    const ap_setting_spec *allow = find_setting(d, "allowedFields.");
    assert_int_equal(allow->type, AP_SETTING_LIST);
    assert_true(allow->flags & AP_SETTING_PREFIX);
    mock_host_free(h);
}

/* A listening socket nobody accepts on: if open connected, a connection would be pending. */
static void open_does_no_network_io(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(s, 4), 0);
    socklen_t len = sizeof addr;
    getsockname(s, (struct sockaddr *)&addr, &len);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", ntohs(addr.sin_port));

    mock_host *h = host_with(url);
    mock_result res;
    assert_int_equal(mock_host_open(h, &res), AP_OK);
    mock_result_clear(&res);
    fcntl(s, F_SETFL, O_NONBLOCK);
    int conn = accept(s, NULL, NULL);
    assert_int_equal(conn, -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    mock_host_free(h);
    close(s);
}

static void expect_invalid_config(mock_host *h, const char *needle)
{
    mock_result res;
    ap_status st = mock_host_open(h, &res);
    assert_int_not_equal(st, AP_OK);
    assert_string_equal(res.code, "invalid_config");
    if (needle && !strstr(res.message, needle))
        fprintf(stderr, "message '%s' does not mention '%s'\n", res.message, needle);
    if (needle)
        assert_non_null(strstr(res.message, needle));
    assert_null(strstr(res.message, "s3cr3t-value-never-shown"));
    mock_result_clear(&res);
    mock_host_free(h);
}

static void open_refuses_http_unless_allowed(void **state)
{
    (void)state;
    expect_invalid_config(host_with("http://127.0.0.1:9"), "http://");

    mock_host *h = host_with("http://127.0.0.1:9");
    mock_host_set(h, "allowInsecureHttp", "true");
    mock_result res;
    assert_int_equal(mock_host_open(h, &res), AP_OK);
    mock_result_clear(&res);
    mock_host_free(h);
}

static void open_refuses_bad_settings(void **state)
{
    (void)state;
    expect_invalid_config(host_with("ftp://example.com"), "https://");
    expect_invalid_config(host_with(""), "loginUrl");

    mock_host *h = host_with("https://acme.my.salesforce.com");
    mock_host_set(h, "apiVersion", "sixty-six");
    expect_invalid_config(h, "apiVersion");

    h = host_with("https://acme.my.salesforce.com");
    mock_host_set(h, "timeoutMs", "-5");
    expect_invalid_config(h, "timeoutMs");

    h = host_with("https://acme.my.salesforce.com");
    mock_host_set(h, "allowedFields.Opportunity", "StageName, Amount; DROP");
    expect_invalid_config(h, "allowedFields.Opportunity");

    h = host_with("https://acme.my.salesforce.com");
    mock_host_set(h, "clientId", "");
    expect_invalid_config(h, "clientId");
}

static void open_needs_a_credential(void **state)
{
    (void)state;
    unsetenv("ACTIONPLANE_SALESFORCE_CLIENT_SECRET");
    unsetenv("ACTIONPLANE_SALESFORCE_REFRESH_TOKEN");
    mock_host *h = host_with("https://acme.my.salesforce.com");
    mock_host_set(h, "clientSecret", "");
    expect_invalid_config(h, "ACTIONPLANE_SALESFORCE_CLIENT_SECRET");
}

static void secrets_may_come_from_the_environment(void **state)
{
    (void)state;
    const char *envs[] = {"ACTIONPLANE_SALESFORCE_CLIENT_SECRET", "ACTIONPLANE_SALESFORCE_REFRESH_TOKEN"};
    for (int i = 0; i < 2; i++) {
        unsetenv(envs[0]);
        unsetenv(envs[1]);
        setenv(envs[i], "from-the-environment", 1);
        mock_host *h = host_with("https://acme.my.salesforce.com");
        mock_host_set(h, "clientSecret", "");
        mock_result res;
        assert_int_equal(mock_host_open(h, &res), AP_OK);
        mock_result_clear(&res);
        mock_host_free(h);
    }
    unsetenv(envs[0]);
    unsetenv(envs[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptor_names_the_plugin_and_its_action),
        cmocka_unit_test(settings_table_declares_every_key_of_issue_3),
        cmocka_unit_test(open_does_no_network_io),
        cmocka_unit_test(open_refuses_http_unless_allowed),
        cmocka_unit_test(open_refuses_bad_settings),
        cmocka_unit_test(open_needs_a_credential),
        cmocka_unit_test(secrets_may_come_from_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
