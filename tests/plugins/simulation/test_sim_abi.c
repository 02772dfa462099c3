/*
 * test_sim_abi.c — what the host relies on before any operation: the
 * descriptors of simulation.so and of the SDK's echo example (ABI header,
 * names, actions, capabilities, settings, operation table), the entry
 * point's refusal of an unusable host, hidden internals, and the echo
 * example driven through the mock host like any plugin.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_test_support.h"

static int list_has(const char *const *list, const char *item)
{
    for (; *list; list++)
        if (strcmp(*list, item) == 0)
            return 1;
    return 0;
}

static void test_simulation_descriptor(void **state)
{
    (void)state;
    mock_host *h = mock_host_load(sim_plugin_path());
    assert_non_null(h);
    const ap_plugin_descriptor *d = mock_host_descriptor(h);
    assert_int_equal(d->abi.abi_major, AP_ABI_MAJOR);
    assert_int_equal(d->abi.abi_minor, AP_ABI_MINOR);
    assert_int_equal(d->abi.struct_size, sizeof(ap_plugin_descriptor));
    assert_string_equal(d->name, "simulation");
    assert_string_equal(d->version, "1.0.0");
    assert_true(strlen(d->description) > 0);
    assert_int_equal(d->flags, 0);
    assert_string_equal(d->actions[0], "salesforce.update-opportunity");
    assert_null(d->actions[1]);
    static const char *const wanted[] = {"preview", "execute", "rollback", "reset",
                                         "read_record", "seeded-records"};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (!list_has(d->capabilities, wanted[i]))
            fail_msg("capability %s missing", wanted[i]);
    assert_null(d->settings[0].name);
    assert_non_null(d->open);
    assert_non_null(d->validate);
    assert_non_null(d->sync_metadata);
    assert_non_null(d->preview);
    assert_non_null(d->execute);
    assert_non_null(d->rollback);
    assert_non_null(d->reset);
    assert_non_null(d->read_record);
    assert_non_null(d->close);
    mock_host_free(h);
}

/* Internals are hidden: only ap_plugin_entry is reachable with dlsym. */
static void test_only_the_entry_is_exported(void **state)
{
    (void)state;
    void *dl = dlopen(sim_plugin_path(), RTLD_NOW | RTLD_LOCAL);
    assert_non_null(dl);
    assert_non_null(dlsym(dl, AP_PLUGIN_ENTRY_SYMBOL));
    static const char *const internals[] = {"sim_op_preview", "sim_store_open", "sim_seed_records",
                                            "sim_validate_change", "sim_fail", "entry_host"};
    for (size_t i = 0; i < sizeof internals / sizeof internals[0]; i++)
        if (dlsym(dl, internals[i]))
            fail_msg("%s is exported", internals[i]);
    dlclose(dl);
}

static ap_plugin_entry_fn entry_of(const char *path)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(dl);
    ap_plugin_entry_fn entry;
    *(void **)&entry = dlsym(dl, AP_PLUGIN_ENTRY_SYMBOL);
    assert_non_null(entry);
    return entry; /* the handle stays open: the host never dlcloses either */
}

static void test_entry_refuses_unusable_host(void **state)
{
    (void)state;
    const char *paths[] = {sim_plugin_path(), ECHO_PLUGIN_PATH};
    for (size_t i = 0; i < 2; i++) {
        ap_plugin_entry_fn entry = entry_of(paths[i]);
        ap_host_services host;
        memset(&host, 0, sizeof host);
        host.abi = (ap_abi_header)AP_ABI_HEADER_INIT(ap_host_services);
        assert_non_null(entry(&host));
        host.abi.abi_major = AP_ABI_MAJOR + 1;
        assert_null(entry(&host));
        host.abi.abi_major = AP_ABI_MAJOR;
        host.abi.struct_size = (uint32_t)offsetof(ap_host_services, data_dir);
        assert_null(entry(&host));
        assert_null(entry(NULL));
    }
}

static void test_echo_example(void **state)
{
    (void)state;
    mock_host *h = mock_host_load(ECHO_PLUGIN_PATH);
    assert_non_null(h);
    const ap_plugin_descriptor *d = mock_host_descriptor(h);
    assert_string_equal(d->name, "echo");
    assert_int_equal(d->abi.struct_size, sizeof(ap_plugin_descriptor));
    assert_string_equal(d->settings[0].name, "greeting");
    assert_null(d->settings[1].name);
    assert_null(d->reset);

    mock_host_set(h, "greeting", "hi \"there\"");
    mock_host_set_now(h, 1234);
    mock_result res;
    assert_int_equal(mock_host_open(h, &res), AP_OK);
    mock_result_clear(&res);

    json_t *out = sim_call_ok(h, MOCK_PREVIEW, "{\"workspace\": \"w\", \"x\": [1, 2]}");
    sim_assert_str(out, "operation", "preview");
    sim_assert_str(out, "greeting", "hi \"there\"");
    sim_assert_num(out, "call", 1);
    sim_assert_num(out, "at", 1234);
    json_t *want = json_pack("{s:s, s:[i, i]}", "workspace", "w", "x", 1, 2);
    sim_assert_json_same(json_object_get(out, "input"), want);
    json_decref(want);
    json_decref(out);

    out = sim_call_ok(h, MOCK_EXECUTE, "{}");
    sim_assert_str(out, "operation", "execute");
    sim_assert_num(out, "call", 2);
    json_decref(out);

    json_decref(sim_call_err(h, MOCK_READ_RECORD, AP_INVALID, "invalid_request", NULL, "[1]"));
    assert_int_equal(mock_host_call(h, MOCK_RESET, "{}", &res), AP_UNSUPPORTED);
    mock_result_clear(&res);
    mock_host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulation_descriptor),
        cmocka_unit_test(test_only_the_entry_is_exported),
        cmocka_unit_test(test_entry_refuses_unusable_host),
        cmocka_unit_test(test_echo_example),
    };
    return cmocka_run_group_tests_name("plugin ABI", tests, NULL, NULL);
}
