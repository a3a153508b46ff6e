/*
 * The adapters through the ABI: API key checks against a store, and
 * appends to an audit log, from C.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* A fresh temporary directory, and a path inside it. */
static char dir[64];

static const char *in_dir(const char *name, char *buf, size_t size) {
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

static mailshield_keyset *fernet_keys(void) {
    mailshield_keyset *k = NULL;

    CHECK_OK(mailshield_keyset_from_fernet_key(
        (const uint8_t *)CHECK_FERNET_KEY, strlen(CHECK_FERNET_KEY), &k));
    return k;
}

/* Keys that are no keys are refused as unknown; the verdict is JSON. */
static void test_api_keys(void) {
    char path[128];
    mailshield_keyset *keys = fernet_keys();
    mailshield_apikeys *api = NULL;
    mailshield_buffer *verdict = NULL;
    mailshield_bytes b;
    int32_t reason = -1;
    static const char key[] =
        "eb_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    if (!CHECK_OK(mailshield_apikeys_open(in_dir("s.db", path, sizeof path),
                                          keys, &api)))
        return;
    CHECK_OK(mailshield_apikeys_check(api, (const uint8_t *)key, strlen(key),
                                      "10.0.0.1", &reason, &verdict));
    CHECK(reason == MAILSHIELD_KEY_UNKNOWN);
    if (CHECK_OK(mailshield_buffer_data(verdict, &b)))
        CHECK_BYTES(b.ptr, b.len,
                    "{\"valid\":false,\"reason\":\"unknown\","
                    "\"user_id\":null,\"permissions\":[]}");
    mailshield_buffer_free(verdict);
    /* Without a verdict buffer; bytes that are not UTF-8. */
    CHECK_OK(mailshield_apikeys_check(api, (const uint8_t *)"\xff\xfe", 2,
                                      "s", &reason, NULL));
    CHECK(reason == MAILSHIELD_KEY_UNKNOWN);
    CHECK_STATUS(mailshield_apikeys_check(api, NULL, 3, "s", &reason, NULL),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mailshield_apikeys_check(api, (const uint8_t *)key, 3, "s",
                                          NULL, NULL),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    mailshield_apikeys_free(api);
    mailshield_apikeys_free(NULL);
    /* A store that cannot be opened. */
    api = (mailshield_apikeys *)1;
    CHECK_STATUS(mailshield_apikeys_open("/nonexistent/dir/s.db", keys, &api),
                 MAILSHIELD_STATUS_IO);
    CHECK(api == NULL);
    mailshield_keyset_free(keys);
}

/* Appends are numbered and on disk; bad events are refused unquoted. */
static void test_audit(void) {
    char path[128];
    mailshield_keyset *keys = fernet_keys();
    mailshield_engine *engine = check_engine("default");
    mailshield_audit *log = NULL;
    uint64_t seq = 99;
    static const char event[] =
        "{\"event_type\":\"data_access\",\"user_id\":\"ana\","
        "\"details\":{\"q\":\"mail ana@example.com\"}}";
    static const char bad[] = "{\"event_type\":\"x\",\"nope\":\"value-77\"}";
    FILE *f;
    char text[4096];
    size_t n;

    if (!CHECK_OK(mailshield_audit_open(in_dir("a.log", path, sizeof path),
                                        keys, engine, &log)))
        return;
    CHECK_OK(mailshield_audit_append(log, (const uint8_t *)event,
                                     strlen(event), &seq));
    CHECK(seq == 0);
    CHECK_OK(mailshield_audit_append(log, (const uint8_t *)event,
                                     strlen(event), NULL));
    CHECK_STATUS(mailshield_audit_append(log, (const uint8_t *)bad,
                                         strlen(bad), &seq),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(mailshield_last_error(), "value-77") == NULL);
    CHECK_OK(mailshield_audit_checkpoint(log));
    /* Nothing new since: closing writes no second checkpoint. */
    CHECK_OK(mailshield_audit_close(log));
    CHECK_OK(mailshield_audit_close(NULL));
    mailshield_audit_free(NULL);
    mailshield_engine_free(engine);
    mailshield_keyset_free(keys);

    /* Two events and one checkpoint; the address never written. */
    f = fopen(path, "r");
    if (!CHECK(f != NULL))
        return;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    CHECK(strstr(text, "ana@example.com") == NULL);
    CHECK(strstr(text, "mail [EMAIL_REDACTED]") != NULL);
    CHECK(strstr(text, "\"seq\":2,") != NULL);
    CHECK(strstr(text, "\"seq\":3,") == NULL);
}

int main(void) {
    char cmd[128];

    strcpy(dir, "/tmp/mailshield-ctest-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    test_api_keys();
    test_audit();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report("adapters");
}
