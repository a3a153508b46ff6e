/*
 * threads.c: one engine and one key set shared by 8 threads that scan,
 * protect, open and run batches at once, each checking exact results;
 * results and a batch read by all the threads at once, including the
 * first (lazily built) JSON line of a result; the last error kept per
 * thread.
 *
 * Usage: threads [ROOT [ROUNDS]]. Each thread runs ROUNDS rounds (8 by
 * default; run.sh asks for fewer under valgrind, which runs one thread at
 * a time).
 */

#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8


/* The inputs, their kinds, and a reference result of each. */
static const struct {
    const char *text;
    uint32_t kind;
} INPUTS[] = {
    {"Contact jane.doe@example.com or call (415) 555-0134.\n"
     "Card 4111 1111 1111 1111, SSN 536-90-1234.\n",
     MAILSHIELD_INPUT_TEXT},
    {"\xf0\x9f\x98\x80 Mail \xf0\x9f\x98\x80 to \xc3\xbcser.n\xc3\xa4me@"
     "example.org \xe2\x80\x94 SSN 536-90-1234 \xf0\x9f\x8e\x89, card 5555 "
     "5555 5555 4444 \xe2\x9d\x94 end.\n",
     MAILSHIELD_INPUT_TEXT},
    {"From: Jane <jane@example.com>\r\n"
     "Subject: call 415-555-0134\r\n"
     "Message-ID: <m-7@example.com>\r\n"
     "\r\n"
     "Card 4111 1111 1111 1111 here. The merger is secret.\r\n",
     MAILSHIELD_INPUT_MESSAGE},
    {"nothing to see here", MAILSHIELD_INPUT_TEXT},
};
#define N_INPUTS COUNT(INPUTS)

static struct {
    const mailshield_engine *engine;
    const mailshield_keyset *keys;
    const mailshield_result *refs[N_INPUTS];
    const mailshield_batch *batch;
    /* The batch's buffers, and the input each of them holds. */
    mailshield_bytes batch_bytes[2 * N_INPUTS];
    size_t batch_inputs[2 * N_INPUTS];
    size_t batch_len;
    /* A fresh result per round, whose JSON no one has asked for yet. */
    const mailshield_result *fresh;
    pthread_barrier_t start, done;
    int rounds;
} shared;

/* Scans input `k` and checks it against its reference. */
static void scan_once(size_t k) {
    mailshield_result *r = NULL;
    const char *text = INPUTS[k].text;

    if (!CHECK_OK(mailshield_scan(shared.engine, (const uint8_t *)text,
                                  strlen(text), INPUTS[k].kind, &r)))
        return;
    CHECK_SAME_RESULTS(r, shared.refs[k], true);
    mailshield_result_free(r);
}

/* Protects input `k` with the shared keys and opens the sealed body. */
static void protect_once(size_t k) {
    mailshield_result *r = NULL;
    mailshield_protected p;
    mailshield_summary s;
    mailshield_buffer *clear = NULL;
    mailshield_bytes b = {NULL, 0};
    const char *text = INPUTS[k].text;

    if (!CHECK_OK(mailshield_protect(shared.engine, shared.keys,
                                     (const uint8_t *)text, strlen(text),
                                     INPUTS[k].kind, NULL, &r)))
        return;
    CHECK_SAME_FINDINGS(r, shared.refs[k]);
    s = check_summary(r);
    if (CHECK_OK(mailshield_result_protected(r, &p)) &&
        CHECK(p.sealed.ptr != NULL) &&
        CHECK_OK(mailshield_decrypt(shared.keys,
                                    (const uint8_t *)p.sealed.ptr,
                                    p.sealed.len, (const uint8_t *)s.id.ptr,
                                    s.id.len, &clear)) &&
        CHECK_OK(mailshield_buffer_data(clear, &b)))
        CHECK(b.len == p.body.len && memcmp(b.ptr, p.body.ptr, b.len) == 0);
    mailshield_buffer_free(clear);
    mailshield_result_free(r);
}

/* Checks each result of `batch` against its input's reference. */
static void check_batch(const mailshield_batch *batch) {
    size_t n = 0;

    CHECK_OK(mailshield_batch_len(batch, &n));
    CHECK_SIZE(n, shared.batch_len);
    for (size_t i = 0; i < n; i++) {
        const mailshield_result *r = NULL;

        if (CHECK_OK(mailshield_batch_get(batch, i, &r)))
            CHECK_SAME_FINDINGS(r, shared.refs[shared.batch_inputs[i]]);
    }
}

/* A batch of this thread's, on the pool the other threads use too. */
static void scan_batch_once(void) {
    mailshield_batch *batch = NULL;

    if (CHECK_OK(mailshield_scan_batch(shared.engine, shared.batch_bytes,
                                       shared.batch_len,
                                       MAILSHIELD_INPUT_TEXT, &batch)))
        check_batch(batch);
    mailshield_batch_free(batch);
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    char pack[32], want[160];
    mailshield_engine *none = NULL;

    /* A failure of this thread's own, kept while the others fail too. */
    snprintf(pack, sizeof pack, "nope-%d", id);
    snprintf(want, sizeof want,
             "mailshield_engine_new: builtin:%s: no such built-in pack "
             "(default, seed)",
             pack);
    CHECK_STATUS(mailshield_engine_new(pack, &none),
                 MAILSHIELD_STATUS_RULES);

    for (int round = 0; round < shared.rounds; round++) {
        mailshield_text json;

        /* All at once: the first JSON line of a fresh result. */
        pthread_barrier_wait(&shared.start);
        json = check_json(shared.fresh);
        CHECK(strncmp(json.ptr, "{\"id\":\"-#0\"", 11) == 0);
        CHECK(check_json(shared.fresh).ptr == json.ptr);
        CHECK_SAME_RESULTS(shared.fresh, shared.refs[0], true);

        /* Then scans, protects and reads, each its own way round. */
        for (size_t k = 0; k < N_INPUTS; k++) {
            size_t which = (k + (size_t)id + (size_t)round) % N_INPUTS;

            scan_once(which);
            protect_once(which);
        }
        check_batch(shared.batch);
        scan_batch_once();
        pthread_barrier_wait(&shared.done);
    }

    /* The error is still this thread's own. */
    if (strcmp(mailshield_last_error(), want) != 0)
        check_fail(__FILE__, __LINE__, "thread %d: last error \"%s\"", id,
                   mailshield_last_error());
    return NULL;
}

static mailshield_result *scan_input(size_t k) {
    return check_scan(shared.engine, INPUTS[k].text, strlen(INPUTS[k].text),
                      INPUTS[k].kind);
}

int main(int argc, char **argv) {
    mailshield_engine *engine = check_engine("default");
    mailshield_keyset *keys;
    mailshield_result *refs[N_INPUTS];
    mailshield_batch *batch = NULL;
    mailshield_engine *none = NULL;
    pthread_t threads[THREADS];

    shared.rounds = argc > 2 ? atoi(argv[2]) : 8;
    if (shared.rounds < 1)
        shared.rounds = 1;
    shared.engine = engine;
    keys = check_fernet_keys();
    shared.keys = keys;
    for (size_t k = 0; k < N_INPUTS; k++) {
        refs[k] = scan_input(k);
        shared.refs[k] = refs[k];
    }
    /* A batch of the text inputs, twice, scanned on the library's pool. */
    for (size_t i = 0; i < 2 * N_INPUTS; i++) {
        size_t k = i % N_INPUTS, at = shared.batch_len;

        if (INPUTS[k].kind != MAILSHIELD_INPUT_TEXT)
            continue;
        shared.batch_inputs[at] = k;
        shared.batch_bytes[at].ptr = (const uint8_t *)INPUTS[k].text;
        shared.batch_bytes[at].len = strlen(INPUTS[k].text);
        shared.batch_len++;
    }
    CHECK_OK(mailshield_scan_batch(engine, shared.batch_bytes,
                                   shared.batch_len, MAILSHIELD_INPUT_TEXT,
                                   &batch));
    shared.batch = batch;

    /* The main thread's own failure, which no worker may change. */
    CHECK_STATUS(mailshield_engine_new("nope-main", &none),
                 MAILSHIELD_STATUS_RULES);

    pthread_barrier_init(&shared.start, NULL, THREADS + 1);
    pthread_barrier_init(&shared.done, NULL, THREADS + 1);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
    for (int round = 0; round < shared.rounds; round++) {
        mailshield_result *fresh = scan_input(0);

        shared.fresh = fresh;
        pthread_barrier_wait(&shared.start);
        pthread_barrier_wait(&shared.done);
        mailshield_result_free(fresh);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&shared.start);
    pthread_barrier_destroy(&shared.done);
    CHECK_ERROR("mailshield_engine_new", "nope-main");

    mailshield_batch_free(batch);
    for (size_t k = 0; k < N_INPUTS; k++)
        mailshield_result_free(refs[k]);
    mailshield_keyset_free(keys);
    mailshield_engine_free(engine);
    return check_report("threads");
}
