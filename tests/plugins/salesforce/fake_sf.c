/* fake_sf.c — see fake_sf.h. */
#include "fake_sf.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AP_PYTHON_DEFAULT
#define AP_PYTHON_DEFAULT "python3"
#endif
#ifndef AP_FAKE_SF_SCRIPT_DEFAULT
#define AP_FAKE_SF_SCRIPT_DEFAULT "tests/fake_salesforce/fake_salesforce.py"
#endif

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static bool copy_str(char *dst, size_t len, const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (!v)
        return false;
    snprintf(dst, len, "%s", v);
    return true;
}

static void child(const fake_sf *f, pid_t parent, const char *ready)
{
    /* Die with the test process, even if it crashes before fake_sf_stop. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
        dup2(devnull, STDOUT_FILENO);
    const char *python = env_or("AP_PYTHON", AP_PYTHON_DEFAULT);
    const char *script = env_or("AP_FAKE_SF_SCRIPT", AP_FAKE_SF_SCRIPT_DEFAULT);
    if (f->plain_http)
        execlp(python, python, script, "--dir", f->dir, "--ready-file", ready, "--plain-http", (char *)NULL);
    else
        execlp(python, python, script, "--dir", f->dir, "--ready-file", ready, (char *)NULL);
    fprintf(stderr, "fake_sf: cannot run %s: %s\n", python, strerror(errno));
    _exit(127);
}

int fake_sf_start(fake_sf *f, bool plain_http)
{
    memset(f, 0, sizeof *f);
    f->plain_http = plain_http;
    snprintf(f->dir, sizeof f->dir, "%s/ap-fake-sf-XXXXXX", env_or("TMPDIR", "/tmp"));
    if (!mkdtemp(f->dir)) {
        perror("fake_sf: mkdtemp");
        return -1;
    }
    char ready[320];
    snprintf(ready, sizeof ready, "%s/ready.json", f->dir);
    pid_t parent = getpid();
    f->pid = fork();
    if (f->pid < 0) {
        perror("fake_sf: fork");
        return -1;
    }
    if (f->pid == 0)
        child(f, parent, ready);
    /* Certificate generation plus Python start-up: seconds at most; allow a slow CI box 30 s. */
    for (int i = 0; i < 600; i++) {
        json_t *info = json_load_file(ready, 0, NULL);
        if (info) {
            bool ok = copy_str(f->url, sizeof f->url, info, "url") &&
                      copy_str(f->instance_url, sizeof f->instance_url, info, "instanceUrl") &&
                      copy_str(f->ca_bundle, sizeof f->ca_bundle, info, "caBundle") &&
                      copy_str(f->other_ca, sizeof f->other_ca, info, "otherCa") &&
                      copy_str(f->client_id, sizeof f->client_id, info, "clientId");
            json_decref(info);
            if (ok)
                return 0;
            break;
        }
        int status;
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            fprintf(stderr, "fake_sf: the fake exited before it was ready (status %d)\n", status);
            f->pid = 0;
            fake_sf_stop(f);
            return -1;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "fake_sf: the fake did not become ready\n");
    fake_sf_stop(f);
    return -1;
}

void fake_sf_stop(fake_sf *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        int status;
        bool gone = false;
        for (int i = 0; i < 100 && !gone; i++) {
            gone = waitpid(f->pid, &status, WNOHANG) == f->pid;
            if (!gone)
                sleep_ms(50);
        }
        if (!gone) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, &status, 0);
        }
        f->pid = 0;
    }
    if (f->dir[0]) {
        nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
        f->dir[0] = '\0';
    }
}

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer *b = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->data = grown;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

json_t *fake_sf_control(const fake_sf *f, const char *method, const char *path, const char *body)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    char url[512];
    snprintf(url, sizeof url, "%s%s", f->url, path);
    buffer b = {0};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, f->ca_bundle);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body || strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    json_t *answer = NULL;
    if (rc == CURLE_OK && status == 200 && b.data)
        answer = json_loads(b.data, 0, NULL);
    else
        fprintf(stderr, "fake_sf: %s %s failed: %s, HTTP %ld\n", method, path, curl_easy_strerror(rc), status);
    free(b.data);
    return answer;
}

static int control_ok(const fake_sf *f, const char *method, const char *path, const char *body)
{
    json_t *answer = fake_sf_control(f, method, path, body);
    int rc = answer ? 0 : -1;
    json_decref(answer);
    return rc;
}

int fake_sf_reset(const fake_sf *f)
{
    return control_ok(f, "POST", "/__fake/reset", NULL);
}

int fake_sf_clear_log(const fake_sf *f)
{
    return control_ok(f, "POST", "/__fake/log/clear", NULL);
}

int fake_sf_fault(const fake_sf *f, const char *fault_json)
{
    return control_ok(f, "POST", "/__fake/faults", fault_json);
}

int fake_sf_expire_tokens(const fake_sf *f)
{
    return control_ok(f, "POST", "/__fake/expire-tokens", NULL);
}

int fake_sf_validation_rule(const fake_sf *f, const char *rule_json)
{
    return control_ok(f, "POST", "/__fake/validation-rules", rule_json);
}

json_t *fake_sf_log(const fake_sf *f)
{
    json_t *answer = fake_sf_control(f, "GET", "/__fake/log", NULL);
    json_t *requests = json_incref(json_object_get(answer, "requests"));
    json_decref(answer);
    return requests;
}

json_t *fake_sf_record(const fake_sf *f, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/__fake/records/%s", id);
    return fake_sf_control(f, "GET", path, NULL);
}

int fake_sf_edit(const fake_sf *f, const char *id, const char *fields_json)
{
    char path[128], body[2048];
    snprintf(path, sizeof path, "/__fake/records/%s", id);
    snprintf(body, sizeof body, "{\"fields\": %s}", fields_json);
    return control_ok(f, "POST", path, body);
}

static bool matches(const json_t *entry, const char *kind, const char *method, const char *path_part)
{
    const char *k = json_string_value(json_object_get(entry, "kind"));
    const char *m = json_string_value(json_object_get(entry, "method"));
    const char *p = json_string_value(json_object_get(entry, "path"));
    if (!p)
        p = json_string_value(json_object_get(entry, "url"));
    return (!kind || (k && strcmp(k, kind) == 0)) && (!method || (m && strcmp(m, method) == 0)) &&
           (!path_part || (p && strstr(p, path_part)));
}

size_t fake_sf_count(const json_t *log, const char *kind, const char *method, const char *path_part)
{
    size_t n = 0, i;
    const json_t *entry;
    json_array_foreach(log, i, entry) {
        if (matches(entry, kind, method, path_part))
            n++;
    }
    return n;
}

size_t fake_sf_count_patches(const json_t *log)
{
    size_t n = 0, i, j;
    const json_t *entry, *sub;
    json_array_foreach(log, i, entry) {
        if (matches(entry, NULL, "PATCH", NULL))
            n++;
        json_array_foreach(json_object_get(entry, "subrequests"), j, sub) {
            if (matches(sub, NULL, "PATCH", NULL))
                n++;
        }
    }
    return n;
}
