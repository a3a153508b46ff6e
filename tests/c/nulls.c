/*
 * nulls.c: every pointer check of the ABI, every empty buffer and every
 * length past PTRDIFF_MAX.
 *
 * Each required pointer, passed as null, gives NULL_ARGUMENT, a last
 * error naming the call and the argument, and a null *out where the call
 * makes a handle. A buffer of length 0 may have a null pointer. A length
 * over PTRDIFF_MAX is refused before any byte is read (valgrind would
 * report a read of the one-byte buffers given with it).
 */

#include "check.h"

#include <stdio.h>

/* Checks a NULL_ARGUMENT and its message: "`call`: `arg` is null". */
#define CHECK_NULL(call_expr, call, arg)                                  \
    do {                                                                  \
        char want_[160];                                                  \
        CHECK_STATUS(call_expr, MAILSHIELD_STATUS_NULL_ARGUMENT);         \
        snprintf(want_, sizeof want_, "%s: `%s` is null", (call), (arg)); \
        if (strcmp(mailshield_last_error(), want_) != 0)                  \
            check_fail(__FILE__, __LINE__, "last error \"%s\", want \"%s\"", \
                       mailshield_last_error(), want_);                   \
    } while (0)

/* Checks INVALID_ARGUMENT for a length over PTRDIFF_MAX. */
#define CHECK_TOO_LONG(call_expr, call)                                   \
    do {                                                                  \
        CHECK_STATUS(call_expr, MAILSHIELD_STATUS_INVALID_ARGUMENT);      \
        CHECK_ERROR((call), "longer than PTRDIFF_MAX");                   \
    } while (0)

static const uint8_t ONE[] = "x";
static const size_t HUGE = (size_t)PTRDIFF_MAX + 1;

static void test_engines(void) {
    mailshield_engine *e = POISON(mailshield_engine *);
    mailshield_engine *engine = check_engine("default");
    const mailshield_text *items = POISON(const mailshield_text *);
    size_t count = 7;

    CHECK_NULL(mailshield_engine_new("default", NULL),
               "mailshield_engine_new", "out");
    CHECK_NULL(mailshield_engine_from_toml(NULL, 3, &e),
               "mailshield_engine_from_toml", "toml");
    CHECK(e == NULL);
    CHECK_NULL(mailshield_engine_from_toml(ONE, 1, NULL),
               "mailshield_engine_from_toml", "out");
    e = POISON(mailshield_engine *);
    CHECK_TOO_LONG(mailshield_engine_from_toml(ONE, HUGE, &e),
                   "mailshield_engine_from_toml");
    CHECK(e == NULL);

    CHECK_NULL(mailshield_engine_entity_order(
                   NULL, &(const uint32_t *){NULL}, &count),
               "mailshield_engine_entity_order", "engine");
    CHECK_NULL(mailshield_engine_entity_order(engine, NULL, &count),
               "mailshield_engine_entity_order", "items");
    CHECK_NULL(mailshield_engine_entity_order(
                   engine, &(const uint32_t *){NULL}, NULL),
               "mailshield_engine_entity_order", "count");
    CHECK_NULL(mailshield_engine_entities(NULL, &items, &count),
               "mailshield_engine_entities", "engine");
    CHECK_NULL(mailshield_engine_entities(engine, NULL, &count),
               "mailshield_engine_entities", "items");
    CHECK(count == 7);
    CHECK_NULL(mailshield_engine_entities(engine, &items, NULL),
               "mailshield_engine_entities", "count");
    CHECK(items == POISON(const mailshield_text *));
    mailshield_engine_free(engine);
}

static void test_keys(void) {
    mailshield_keyset *k = POISON(mailshield_keyset *);
    mailshield_keyset *keys = NULL;
    mailshield_buffer *b = POISON(mailshield_buffer *);
    mailshield_buffer *sealed = NULL;
    mailshield_bytes data = {NULL, 0};

    CHECK_NULL(mailshield_keyset_generate(NULL), "mailshield_keyset_generate",
               "out");
    CHECK_NULL(mailshield_keyset_from_fernet_key(NULL, 44, &k),
               "mailshield_keyset_from_fernet_key", "key");
    CHECK(k == NULL);
    CHECK_NULL(mailshield_keyset_from_fernet_key(ONE, 1, NULL),
               "mailshield_keyset_from_fernet_key", "out");
    k = POISON(mailshield_keyset *);
    CHECK_TOO_LONG(mailshield_keyset_from_fernet_key(ONE, HUGE, &k),
                   "mailshield_keyset_from_fernet_key");
    CHECK(k == NULL);
    /* An empty key, from a null pointer, is a bad key, not a null one. */
    CHECK_STATUS(mailshield_keyset_from_fernet_key(NULL, 0, &k),
                 MAILSHIELD_STATUS_KEY);
    k = POISON(mailshield_keyset *);
    CHECK_NULL(mailshield_keyset_load(NULL, &k), "mailshield_keyset_load",
               "path");
    CHECK(k == NULL);
    CHECK_NULL(mailshield_keyset_load("/nonexistent", NULL),
               "mailshield_keyset_load", "out");

    if (!CHECK_OK(mailshield_keyset_generate(&keys)))
        return;

    /* mailshield_encrypt. */
    CHECK_NULL(mailshield_encrypt(NULL, ONE, 1, 0, ONE, 1, &b),
               "mailshield_encrypt", "keys");
    CHECK(b == NULL);
    b = POISON(mailshield_buffer *);
    CHECK_NULL(mailshield_encrypt(keys, NULL, 1, 0, ONE, 1, &b),
               "mailshield_encrypt", "data");
    CHECK(b == NULL);
    b = POISON(mailshield_buffer *);
    CHECK_NULL(mailshield_encrypt(keys, ONE, 1, 0, NULL, 1, &b),
               "mailshield_encrypt", "message_id");
    CHECK(b == NULL);
    CHECK_NULL(mailshield_encrypt(keys, ONE, 1, 0, ONE, 1, NULL),
               "mailshield_encrypt", "out");
    CHECK_TOO_LONG(mailshield_encrypt(keys, ONE, HUGE, 0, ONE, 1, &b),
                   "mailshield_encrypt");
    CHECK_TOO_LONG(mailshield_encrypt(keys, ONE, 1, 0, ONE, HUGE, &b),
                   "mailshield_encrypt");
    /* Empty data and an empty id, both null. */
    CHECK_OK(mailshield_encrypt(keys, NULL, 0, 0, NULL, 0, &sealed));
    CHECK_OK(mailshield_buffer_data(sealed, &data));

    /* mailshield_decrypt. */
    b = POISON(mailshield_buffer *);
    CHECK_NULL(mailshield_decrypt(NULL, data.ptr, data.len, NULL, 0, &b),
               "mailshield_decrypt", "keys");
    CHECK(b == NULL);
    b = POISON(mailshield_buffer *);
    CHECK_NULL(mailshield_decrypt(keys, NULL, 5, NULL, 0, &b),
               "mailshield_decrypt", "sealed");
    CHECK(b == NULL);
    b = POISON(mailshield_buffer *);
    CHECK_NULL(mailshield_decrypt(keys, data.ptr, data.len, NULL, 3, &b),
               "mailshield_decrypt", "message_id");
    CHECK(b == NULL);
    CHECK_NULL(mailshield_decrypt(keys, data.ptr, data.len, NULL, 0, NULL),
               "mailshield_decrypt", "out");
    CHECK_TOO_LONG(mailshield_decrypt(keys, ONE, HUGE, NULL, 0, &b),
                   "mailshield_decrypt");
    CHECK_TOO_LONG(mailshield_decrypt(keys, data.ptr, data.len, ONE, HUGE,
                                      &b),
                   "mailshield_decrypt");
    /* Nothing to open: a damaged value, not a null one. */
    CHECK_STATUS(mailshield_decrypt(keys, NULL, 0, NULL, 0, &b),
                 MAILSHIELD_STATUS_CRYPTO);
    b = NULL;
    CHECK_OK(mailshield_decrypt(keys, data.ptr, data.len, NULL, 0, &b));
    if (CHECK_OK(mailshield_buffer_data(b, &data)))
        CHECK_SIZE(data.len, 0);
    mailshield_buffer_free(b);

    /* mailshield_buffer_data. */
    CHECK_NULL(mailshield_buffer_data(NULL, &data), "mailshield_buffer_data",
               "buffer");
    CHECK_NULL(mailshield_buffer_data(sealed, NULL), "mailshield_buffer_data",
               "out");
    mailshield_buffer_free(sealed);
    mailshield_keyset_free(keys);
}

typedef mailshield_status (*list_fn)(const mailshield_result *,
                                     const void **, size_t *);

/* The seven list accessors of a result, by name. */
static void test_lists(const mailshield_result *result) {
    static const char *const names[] = {
        "mailshield_result_findings",
        "mailshield_result_keywords",
        "mailshield_result_fields",
        "mailshield_result_risk_factors",
        "mailshield_result_recommended_actions",
        "mailshield_result_warnings",
        "mailshield_result_errors",
    };
    for (size_t i = 0; i < COUNT(names); i++) {
        const void *items = POISON(const void *);
        size_t count = 7;
        mailshield_status got[3];

        switch (i) {
#define LIST(n, fn, type)                                                 \
    case n:                                                               \
        got[0] = fn(NULL, (const type **)&items, &count);                 \
        got[1] = fn(result, NULL, &count);                                \
        got[2] = fn(result, (const type **)&items, NULL);                 \
        break
            LIST(0, mailshield_result_findings, mailshield_finding);
            LIST(1, mailshield_result_keywords, mailshield_keyword);
            LIST(2, mailshield_result_fields, mailshield_field);
            LIST(3, mailshield_result_risk_factors, mailshield_text);
            LIST(4, mailshield_result_recommended_actions, mailshield_text);
            LIST(5, mailshield_result_warnings, mailshield_text);
            LIST(6, mailshield_result_errors, mailshield_text);
#undef LIST
        }
        for (size_t j = 0; j < 3; j++) {
            if (!CHECK_STATUS(got[j], MAILSHIELD_STATUS_NULL_ARGUMENT))
                fprintf(stderr, "  %s, null argument %zu\n", names[i], j);
        }
        /* Nothing was written by the failing calls. */
        CHECK(items == POISON(const void *) && count == 7);
    }
}

static void test_results(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_result *r = POISON(mailshield_result *);
    mailshield_result *result = check_scan_text(engine, "a@example.com");
    mailshield_summary summary;
    mailshield_text json;
    mailshield_protected p;
    mailshield_protect_options o;

    /* mailshield_scan. */
    CHECK_NULL(mailshield_scan(NULL, ONE, 1, 0, &r), "mailshield_scan",
               "engine");
    CHECK(r == NULL);
    r = POISON(mailshield_result *);
    CHECK_NULL(mailshield_scan(engine, NULL, 1, 0, &r), "mailshield_scan",
               "data");
    CHECK(r == NULL);
    CHECK_NULL(mailshield_scan(engine, ONE, 1, 0, NULL), "mailshield_scan",
               "out");
    r = POISON(mailshield_result *);
    CHECK_TOO_LONG(mailshield_scan(engine, ONE, HUGE, 0, &r),
                   "mailshield_scan");
    CHECK(r == NULL);

    /* mailshield_protect: keys and options may be null. */
    r = POISON(mailshield_result *);
    CHECK_NULL(mailshield_protect(NULL, NULL, ONE, 1, 0, NULL, &r),
               "mailshield_protect", "engine");
    CHECK(r == NULL);
    r = POISON(mailshield_result *);
    CHECK_NULL(mailshield_protect(engine, NULL, NULL, 1, 0, NULL, &r),
               "mailshield_protect", "data");
    CHECK(r == NULL);
    CHECK_NULL(mailshield_protect(engine, NULL, ONE, 1, 0, NULL, NULL),
               "mailshield_protect", "out");
    CHECK_TOO_LONG(mailshield_protect(engine, NULL, ONE, HUGE, 0, NULL, &r),
                   "mailshield_protect");
    memset(&o, 0, sizeof o);
    o.cipher = MAILSHIELD_CIPHER_NONE;
    o.message_id.ptr = ONE;
    o.message_id.len = HUGE;
    CHECK_TOO_LONG(mailshield_protect(engine, NULL, ONE, 1, 0, &o, &r),
                   "mailshield_protect");
    /* A null id with a length means the message's own id. */
    o.message_id.ptr = NULL;
    o.message_id.len = 5;
    r = NULL;
    CHECK_OK(mailshield_protect(engine, NULL, NULL, 0, 0, &o, &r));
    if (r != NULL)
        CHECK_TEXT(check_summary(r).id, "-#0");
    mailshield_result_free(r);

    /* The accessors. */
    CHECK_NULL(mailshield_result_read(NULL, &(mailshield_result_view){0}),
               "mailshield_result_read", "result");
    CHECK_NULL(mailshield_result_read(result, NULL), "mailshield_result_read",
               "out");
    CHECK_NULL(mailshield_result_summary(NULL, &summary),
               "mailshield_result_summary", "result");
    CHECK_NULL(mailshield_result_summary(result, NULL),
               "mailshield_result_summary", "out");
    CHECK_NULL(mailshield_result_json(NULL, &json), "mailshield_result_json",
               "result");
    CHECK_NULL(mailshield_result_json(result, NULL), "mailshield_result_json",
               "out");
    CHECK_NULL(mailshield_result_protected(NULL, &p),
               "mailshield_result_protected", "result");
    r = NULL;
    CHECK_OK(mailshield_protect(engine, NULL, ONE, 1, 0, &o, &r));
    CHECK_NULL(mailshield_result_protected(r, NULL),
               "mailshield_result_protected", "out");
    mailshield_result_free(r);
    test_lists(result);

    mailshield_result_free(result);
    mailshield_engine_free(engine);
}

static void test_batches(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_bytes inputs[2] = {{ONE, 1}, {ONE, HUGE}};
    mailshield_batch *b = POISON(mailshield_batch *);
    mailshield_batch *batch = NULL;
    const mailshield_result *r = POISON(const mailshield_result *);
    size_t count = 7;

    CHECK_NULL(mailshield_scan_batch(NULL, inputs, 1, 0, &b),
               "mailshield_scan_batch", "engine");
    CHECK(b == NULL);
    b = POISON(mailshield_batch *);
    CHECK_NULL(mailshield_scan_batch(engine, NULL, 1, 0, &b),
               "mailshield_scan_batch", "inputs");
    CHECK(b == NULL);
    CHECK_NULL(mailshield_scan_batch(engine, inputs, 1, 0, NULL),
               "mailshield_scan_batch", "out");
    b = POISON(mailshield_batch *);
    CHECK_TOO_LONG(mailshield_scan_batch(engine, inputs, 2, 0, &b),
                   "mailshield_scan_batch");
    CHECK(b == NULL);

    if (!CHECK_OK(mailshield_scan_batch(engine, inputs, 1, 0, &batch)))
        return;
    CHECK_NULL(mailshield_batch_len(NULL, &count), "mailshield_batch_len",
               "batch");
    CHECK_NULL(mailshield_batch_len(batch, NULL), "mailshield_batch_len",
               "count");
    CHECK(count == 7);
    CHECK_NULL(mailshield_batch_get(NULL, 0, &r), "mailshield_batch_get",
               "batch");
    CHECK(r == NULL);
    CHECK_NULL(mailshield_batch_get(batch, 0, NULL), "mailshield_batch_get",
               "out");
    mailshield_batch_free(batch);
    mailshield_engine_free(engine);
}

static void test_streams(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_stream *s = POISON(mailshield_stream *);
    mailshield_stream *stream = NULL;
    mailshield_result *r = POISON(mailshield_result *);

    CHECK_NULL(mailshield_stream_new(NULL, &s), "mailshield_stream_new",
               "engine");
    CHECK(s == NULL);
    CHECK_NULL(mailshield_stream_new(engine, NULL), "mailshield_stream_new",
               "out");
    if (!CHECK_OK(mailshield_stream_new(engine, &stream)))
        return;
    CHECK_NULL(mailshield_stream_feed(NULL, ONE, 1), "mailshield_stream_feed",
               "stream");
    CHECK_NULL(mailshield_stream_feed(stream, NULL, 1),
               "mailshield_stream_feed", "data");
    CHECK_TOO_LONG(mailshield_stream_feed(stream, ONE, HUGE),
                   "mailshield_stream_feed");
    CHECK_NULL(mailshield_stream_finish(NULL, &r), "mailshield_stream_finish",
               "stream");
    CHECK(r == NULL);
    CHECK_NULL(mailshield_stream_finish(stream, NULL),
               "mailshield_stream_finish", "out");
    /* The failed calls left the stream as it was. */
    CHECK_OK(mailshield_stream_feed(stream, ONE, 1));
    r = NULL;
    CHECK_OK(mailshield_stream_finish(stream, &r));
    mailshield_result_free(r);
    mailshield_stream_free(stream);
    mailshield_engine_free(engine);
}

static void test_frees(void) {
    mailshield_engine_free(NULL);
    mailshield_keyset_free(NULL);
    mailshield_result_free(NULL);
    mailshield_batch_free(NULL);
    mailshield_buffer_free(NULL);
    mailshield_stream_free(NULL);
    CHECK(mailshield_version() != NULL);
    CHECK(mailshield_last_error() != NULL);
}

int main(void) {
    test_engines();
    test_keys();
    test_results();
    test_batches();
    test_streams();
    test_frees();
    return check_report("nulls");
}
