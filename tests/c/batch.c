/*
 * batch.c: mailshield_scan_batch keeps input order, numbers its results
 * `-#i`, scans each buffer as one call would, and checks its arguments;
 * mailshield_scan_batch_start scans parts of a list in the background,
 * numbered as one batch would be.
 */

#include "check.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>

#define N 24

static void test_order_and_ids(const mailshield_engine *engine) {
    char texts[N][96];
    mailshield_bytes inputs[N];
    mailshield_batch *batch = NULL;
    size_t count = 0;

    for (int i = 0; i < N; i++) {
        /* Texts of different lengths and findings, so order shows. */
        int n = snprintf(texts[i], sizeof texts[i],
                         "n%d: user%d@example.com or 415-555-%04d%s", i, i,
                         i * 3, i % 3 == 0 ? ", SSN 536-90-1234" : "");
        inputs[i].ptr = (const uint8_t *)texts[i];
        inputs[i].len = (size_t)n;
    }
    if (!CHECK_OK(mailshield_scan_batch(engine, inputs, N,
                                        MAILSHIELD_INPUT_TEXT, &batch)))
        return;
    CHECK_OK(mailshield_batch_len(batch, &count));
    CHECK_SIZE(count, N);
    for (size_t i = 0; i < count; i++) {
        const mailshield_result *r = NULL;
        mailshield_result *one;
        char id[32], prefix[96];
        mailshield_text json;

        if (!CHECK_OK(mailshield_batch_get(batch, i, &r)) || r == NULL)
            continue;
        snprintf(id, sizeof id, "-#%zu", i);
        CHECK_TEXT(check_summary(r).id, id);
        snprintf(prefix, sizeof prefix,
                 "{\"id\":\"-#%zu\",\"source\":{\"path\":\"-\","
                 "\"index\":%zu},",
                 i, i);
        json = check_json(r);
        CHECK(strncmp(json.ptr, prefix, strlen(prefix)) == 0);
        /* The same findings as one call on the same buffer. */
        one = check_scan(engine, inputs[i].ptr, inputs[i].len,
                         MAILSHIELD_INPUT_TEXT);
        CHECK_SAME_FINDINGS(r, one);
        CHECK(check_summary(r).level == check_summary(one).level);
        mailshield_result_free(one);
    }
    /* Past the end. */
    {
        const mailshield_result *r = NULL;

        CHECK_STATUS(mailshield_batch_get(batch, N, &r),
                     MAILSHIELD_STATUS_INVALID_ARGUMENT);
        CHECK_ERROR("mailshield_batch_get",
                    "index 24 is past the end of a batch of 24");
        CHECK_STATUS(mailshield_batch_get(batch, (size_t)-1, &r),
                     MAILSHIELD_STATUS_INVALID_ARGUMENT);
    }
    mailshield_batch_free(batch);
}

/* Raw messages: a Message-ID is the id; the others are `-#i`. */
static void test_messages(const mailshield_engine *engine) {
    static const char *const raw[] = {
        "From: a@example.com\r\n\r\nhello\r\n",
        "From: b@example.com\r\nMessage-ID: <x-1@example.com>\r\n\r\nhi\r\n",
        "From: c@example.com\r\n\r\nSSN 536-90-1234\r\n",
    };
    static const char *const ids[] = {"-#0", "x-1@example.com", "-#2"};
    mailshield_bytes inputs[3];
    mailshield_batch *batch = NULL;

    for (size_t i = 0; i < 3; i++) {
        inputs[i].ptr = (const uint8_t *)raw[i];
        inputs[i].len = strlen(raw[i]);
    }
    if (!CHECK_OK(mailshield_scan_batch(engine, inputs, 3,
                                        MAILSHIELD_INPUT_MESSAGE, &batch)))
        return;
    for (size_t i = 0; i < 3; i++) {
        const mailshield_result *r = NULL;
        const mailshield_field *fields;
        size_t n;

        if (!CHECK_OK(mailshield_batch_get(batch, i, &r)))
            continue;
        CHECK_TEXT(check_summary(r).id, ids[i]);
        fields = check_fields(r, &n);
        if (CHECK(n >= 1))
            CHECK_TEXT(fields[0].name, "from");
    }
    mailshield_batch_free(batch);
}

static void test_arguments(const mailshield_engine *engine) {
    mailshield_bytes inputs[3] = {
        {(const uint8_t *)"a@example.com", 13},
        {NULL, 5},
        {NULL, 0},
    };
    mailshield_batch *batch = POISON(mailshield_batch *);
    const mailshield_result *r = NULL;
    size_t count = 99;

    /* A null buffer with a length, named by its index. */
    CHECK_STATUS(mailshield_scan_batch(engine, inputs, 3,
                                       MAILSHIELD_INPUT_TEXT, &batch),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK(batch == NULL);
    CHECK_ERROR("mailshield_scan_batch", "inputs[1]");

    /* An empty buffer may be null. */
    inputs[1].len = 0;
    batch = NULL;
    CHECK_OK(mailshield_scan_batch(engine, inputs, 3, MAILSHIELD_INPUT_TEXT,
                                   &batch));
    CHECK_OK(mailshield_batch_len(batch, &count));
    CHECK_SIZE(count, 3);
    if (CHECK_OK(mailshield_batch_get(batch, 2, &r)))
        CHECK_NO_FINDINGS(r);
    mailshield_batch_free(batch);

    /* An empty batch: no inputs, even a null array. */
    batch = NULL;
    count = 99;
    CHECK_OK(mailshield_scan_batch(engine, NULL, 0, MAILSHIELD_INPUT_TEXT,
                                   &batch));
    CHECK_OK(mailshield_batch_len(batch, &count));
    CHECK_SIZE(count, 0);
    CHECK_STATUS(mailshield_batch_get(batch, 0, &r),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK_ERROR("mailshield_batch_get", "index 0 is past the end");
    mailshield_batch_free(batch);

    /* A null array with a count. */
    batch = POISON(mailshield_batch *);
    CHECK_STATUS(mailshield_scan_batch(engine, NULL, 2, MAILSHIELD_INPUT_TEXT,
                                       &batch),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK(batch == NULL);
    CHECK_ERROR("mailshield_scan_batch", "inputs");

    batch = POISON(mailshield_batch *);
    CHECK_STATUS(mailshield_scan_batch(engine, inputs, 1, 3, &batch),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(batch == NULL);
    CHECK_ERROR("mailshield_scan_batch", "unknown input kind 3");
}

/* A batch outlives its engine. */
static void test_outlives_engine(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_bytes input = {(const uint8_t *)"mail a@example.com", 18};
    mailshield_batch *batch = NULL;
    const mailshield_result *r = NULL;
    static const check_finding want[] = {
        {"EMAIL", 0, 5, 18, 0, 0, 0, 0, 0.9, true, "***@example.com"},
    };

    CHECK_OK(mailshield_scan_batch(engine, &input, 1, MAILSHIELD_INPUT_TEXT,
                                   &batch));
    mailshield_engine_free(engine);
    if (CHECK_OK(mailshield_batch_get(batch, 0, &r))) {
        CHECK_FINDINGS(r, want);
        CHECK(check_json(r).len > 0);
    }
    mailshield_batch_free(batch);
}

/* Two parts started one after the other read as one batch of both. */
static void test_pending_parts(const mailshield_engine *engine) {
    char texts[N][96];
    mailshield_bytes inputs[N];
    mailshield_pending *parts[2] = {NULL, NULL};
    mailshield_batch *whole = NULL, *batches[2] = {NULL, NULL};
    const size_t first[2] = {0, 10};
    const size_t count[2] = {10, N - 10};

    for (int i = 0; i < N; i++) {
        int n = snprintf(texts[i], sizeof texts[i],
                         "p%d: user%d@example.com%s", i, i,
                         i % 4 == 0 ? ", SSN 536-90-1234" : "");
        inputs[i].ptr = (const uint8_t *)texts[i];
        inputs[i].len = (size_t)n;
    }
    if (!CHECK_OK(mailshield_scan_batch(engine, inputs, N,
                                        MAILSHIELD_INPUT_TEXT, &whole)))
        return;
    for (int k = 0; k < 2; k++)
        CHECK_OK(mailshield_scan_batch_start(engine, inputs + first[k],
                                             count[k], MAILSHIELD_INPUT_TEXT,
                                             first[k], &parts[k]));
    for (int k = 0; k < 2; k++) {
        size_t len = 0;

        if (!CHECK_OK(mailshield_pending_wait(parts[k], &batches[k])))
            continue;
        CHECK_OK(mailshield_batch_len(batches[k], &len));
        CHECK_SIZE(len, count[k]);
        for (size_t i = 0; i < len; i++) {
            const mailshield_result *r = NULL, *w = NULL;
            char id[32];
            mailshield_text a, b;

            if (!CHECK_OK(mailshield_batch_get(batches[k], i, &r)) ||
                !CHECK_OK(mailshield_batch_get(whole, first[k] + i, &w)))
                continue;
            snprintf(id, sizeof id, "-#%zu", first[k] + i);
            CHECK_TEXT(check_summary(r).id, id);
            CHECK_SAME_FINDINGS(r, w);
            a = check_json(r);
            b = check_json(w);
            CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
        }
    }

    /* A second wait has nothing to give. */
    {
        mailshield_batch *again = POISON(mailshield_batch *);

        CHECK_STATUS(mailshield_pending_wait(parts[0], &again),
                     MAILSHIELD_STATUS_STATE);
        CHECK(again == NULL);
        CHECK_ERROR("mailshield_pending_wait",
                    "the batch was waited on before");
    }
    for (int k = 0; k < 2; k++) {
        mailshield_pending_free(parts[k]);
        mailshield_batch_free(batches[k]);
    }
    mailshield_batch_free(whole);
}

/* Freed unwaited, a pending batch waits for its scan (valgrind sees the
 * inputs are not read after the free) and frees its results. */
static void test_pending_unwaited(const mailshield_engine *engine) {
    char *text = malloc(64);
    mailshield_bytes input = {(const uint8_t *)text, 0};
    mailshield_pending *pending = NULL;

    if (!CHECK(text != NULL))
        return;
    input.len = (size_t)snprintf(text, 64, "SSN 536-90-1234, a@example.com");
    CHECK_OK(mailshield_scan_batch_start(engine, &input, 1,
                                         MAILSHIELD_INPUT_TEXT, 0, &pending));
    mailshield_pending_free(pending);
    free(text);
}

/* A pending batch keeps its engine alive. */
static void test_pending_outlives_engine(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_bytes input = {(const uint8_t *)"mail a@example.com", 18};
    mailshield_pending *pending = NULL;
    mailshield_batch *batch = NULL;
    const mailshield_result *r = NULL;
    static const check_finding want[] = {
        {"EMAIL", 0, 5, 18, 0, 0, 0, 0, 0.9, true, "***@example.com"},
    };

    CHECK_OK(mailshield_scan_batch_start(engine, &input, 1,
                                         MAILSHIELD_INPUT_TEXT, 0, &pending));
    mailshield_engine_free(engine);
    if (CHECK_OK(mailshield_pending_wait(pending, &batch)) &&
        CHECK_OK(mailshield_batch_get(batch, 0, &r)))
        CHECK_FINDINGS(r, want);
    mailshield_batch_free(batch);
    mailshield_pending_free(pending);
}

#define WAITED 64
#define WAITED_LEN 2048

typedef struct {
    mailshield_pending *pending;
    char *texts; /* freed by the waiter told STATE */
    mailshield_batch *batch;
    mailshield_status status;
} waiter;

static void *wait_for(void *arg) {
    waiter *w = arg;

    w->status = mailshield_pending_wait(w->pending, &w->batch);
    if (w->status == MAILSHIELD_STATUS_STATE)
        free(w->texts);
    return NULL;
}

/* Two threads wait at once: one gets the batch, the other STATE, and
 * only once the scan is over, so it may free the inputs at once
 * (valgrind would see a read after the free otherwise). */
static void test_pending_two_waiters(const mailshield_engine *engine) {
    char *texts = malloc(WAITED * WAITED_LEN);
    mailshield_bytes inputs[WAITED];
    waiter w[2];
    pthread_t threads[2];
    int got_batch = 0, got_state = 0;

    if (!CHECK(texts != NULL))
        return;
    for (int i = 0; i < WAITED; i++) {
        char *t = texts + i * WAITED_LEN;

        memset(t, 'x', WAITED_LEN);
        snprintf(t, 64, "n%d: user%d@example.com, SSN 536-90-1234 ", i, i);
        t[strlen(t)] = ' ';
        inputs[i].ptr = (const uint8_t *)t;
        inputs[i].len = WAITED_LEN;
    }
    w[0].pending = NULL;
    if (!CHECK_OK(mailshield_scan_batch_start(engine, inputs, WAITED,
                                              MAILSHIELD_INPUT_TEXT, 0,
                                              &w[0].pending))) {
        free(texts);
        return;
    }
    w[0].texts = texts;
    w[0].batch = NULL;
    w[1] = w[0];
    for (int k = 0; k < 2; k++)
        CHECK(pthread_create(&threads[k], NULL, wait_for, &w[k]) == 0);
    for (int k = 0; k < 2; k++) {
        CHECK(pthread_join(threads[k], NULL) == 0);
        got_batch += w[k].status == MAILSHIELD_STATUS_OK;
        got_state += w[k].status == MAILSHIELD_STATUS_STATE;
        if (w[k].status == MAILSHIELD_STATUS_OK) {
            size_t len = 0;

            CHECK_OK(mailshield_batch_len(w[k].batch, &len));
            CHECK_SIZE(len, WAITED);
            mailshield_batch_free(w[k].batch);
        }
    }
    CHECK(got_batch == 1 && got_state == 1);
    mailshield_pending_free(w[0].pending);
}

static void test_pending_arguments(const mailshield_engine *engine) {
    mailshield_bytes inputs[2] = {
        {(const uint8_t *)"a@example.com", 13},
        {NULL, 5},
    };
    mailshield_pending *pending = POISON(mailshield_pending *);
    mailshield_batch *batch = POISON(mailshield_batch *);

    CHECK_STATUS(mailshield_scan_batch_start(engine, inputs, 2,
                                             MAILSHIELD_INPUT_TEXT, 0,
                                             &pending),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK(pending == NULL);
    CHECK_ERROR("mailshield_scan_batch_start", "inputs[1]");

    pending = POISON(mailshield_pending *);
    CHECK_STATUS(mailshield_scan_batch_start(engine, inputs, 1, 99, 0,
                                             &pending),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(pending == NULL);
    CHECK_ERROR("mailshield_scan_batch_start", "unknown input kind 99");

    CHECK_STATUS(mailshield_scan_batch_start(NULL, inputs, 1,
                                             MAILSHIELD_INPUT_TEXT, 0,
                                             &pending),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK_ERROR("mailshield_scan_batch_start", "engine");
    CHECK_STATUS(mailshield_scan_batch_start(engine, inputs, 1,
                                             MAILSHIELD_INPUT_TEXT, 0, NULL),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK_ERROR("mailshield_scan_batch_start", "out");

    CHECK_STATUS(mailshield_pending_wait(NULL, &batch),
                 MAILSHIELD_STATUS_NULL_ARGUMENT);
    CHECK(batch == NULL);
    CHECK_ERROR("mailshield_pending_wait", "pending");

    /* An empty part is a batch of none. */
    pending = NULL;
    if (CHECK_OK(mailshield_scan_batch_start(engine, NULL, 0,
                                             MAILSHIELD_INPUT_TEXT, 5,
                                             &pending))) {
        size_t len = 99;

        CHECK_STATUS(mailshield_pending_wait(pending, NULL),
                     MAILSHIELD_STATUS_NULL_ARGUMENT);
        CHECK_ERROR("mailshield_pending_wait", "out");
        if (CHECK_OK(mailshield_pending_wait(pending, &batch))) {
            CHECK_OK(mailshield_batch_len(batch, &len));
            CHECK_SIZE(len, 0);
            mailshield_batch_free(batch);
        }
    }
    mailshield_pending_free(pending);
}

int main(void) {
    mailshield_engine *engine = check_engine("default");

    test_order_and_ids(engine);
    test_messages(engine);
    test_arguments(engine);
    test_pending_parts(engine);
    test_pending_unwaited(engine);
    test_pending_arguments(engine);
    test_pending_two_waiters(engine);
    mailshield_engine_free(engine);
    test_pending_outlives_engine();
    test_outlives_engine();
    mailshield_batch_free(NULL);
    mailshield_pending_free(NULL);
    return check_report("batch");
}
