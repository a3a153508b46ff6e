/*
 * stream.c: a message fed to a stream in pieces gives what one
 * mailshield_scan of the whole text gives, for pieces of 1 and 7 bytes
 * (cutting values and UTF-8 sequences) and larger; and the stream's
 * states and errors.
 *
 * The default pack holds 16 KiB of window past the final point, so the
 * large input below, some 70 KB, makes the stream move its window
 * several times; the small ones are scanned at finish only.
 */

#include "check.h"

#include <stdio.h>
#include <stdlib.h>

/* Parity texts, a footer, obfuscated values and keywords. */
static const char SMALL[] =
    "Contact jane.doe@example.com or call (415) 555-0134.\n"
    "Card 4111 1111 1111 1111, SSN 536-90-1234.\n"
    "\xf0\x9f\x98\x80 Mail \xf0\x9f\x98\x80 to \xc3\xbcser.n\xc3\xa4me@"
    "example.org \xe2\x80\x94 SSN 536-90-1234 \xf0\x9f\x8e\x89, card 5555 "
    "5555 5555 4444 \xe2\x9d\x94 end.\n"
    "Full width \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 "
    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 "
    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 "
    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91, zero width "
    "4111\xe2\x80\x8b" "1111\xe2\x80\x8b" "1111\xe2\x80\x8b" "1111, "
    "entity a&#64;example.com, escaped j%40example.org.\n"
    "The merger is secret.\n"
    "\n"
    "This email is intended solely for the addressee and may contain "
    "confidential information.\n";

/* Lines the large input is made of. */
static const char *const LINES[] = {
    "Contact jane.doe@example.com or call (415) 555-0134.",
    "Card 4111 1111 1111 1111, SSN 536-90-1234.",
    "\xf0\x9f\x98\x80 to \xc3\xbcser.n\xc3\xa4me@example.org \xe2\x80\x94 "
    "card 5555 5555 5555 4444 \xe2\x9d\x94 end.",
    "the merger is confidential",
    "IBAN DE89 3704 0044 0532 0130 00 ok",
    "ip 192.0.2.17 and nothing else",
    "plain words here without anything to find",
};

/* About `len` bytes of LINES in a fixed pseudo-random order. */
static char *large_text(size_t len, size_t *out_len) {
    char *text = malloc(len + 256);
    uint32_t seed = 12345;
    size_t n = 0;

    if (text == NULL)
        abort();
    while (n < len) {
        const char *line;

        seed = seed * 1103515245u + 12345u;
        line = LINES[(seed >> 16) % COUNT(LINES)];
        memcpy(text + n, line, strlen(line));
        n += strlen(line);
        /* Mostly line breaks, some spaces: seams fall anywhere. */
        text[n++] = (seed >> 8) % 10 < 7 ? '\n' : ' ';
    }
    text[n] = '\0';
    *out_len = n;
    return text;
}

/*
 * Streams `len` bytes of `text` in pieces of `piece` bytes; returns the
 * result, or NULL when a call failed.
 */
static mailshield_result *stream(const mailshield_engine *engine,
                                 const char *text, size_t len,
                                 size_t piece) {
    mailshield_stream *s = NULL;
    mailshield_result *result = NULL;

    if (!CHECK_OK(mailshield_stream_new(engine, &s)))
        return NULL;
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;

        if (!CHECK_OK(mailshield_stream_feed(s, (const uint8_t *)text + at,
                                             n))) {
            mailshield_stream_free(s);
            return NULL;
        }
    }
    CHECK_OK(mailshield_stream_finish(s, &result));
    mailshield_stream_free(s);
    return result;
}

/* A stream in pieces of each size equals one scan of the whole text. */
static void check_pieces(const mailshield_engine *engine, const char *text,
                         size_t len, const size_t *pieces, size_t count) {
    mailshield_result *whole = check_scan(engine, text, len,
                                          MAILSHIELD_INPUT_TEXT);

    for (size_t i = 0; i < count; i++) {
        mailshield_result *r = stream(engine, text, len, pieces[i]);
        const mailshield_field *fields;
        size_t n;

        if (r == NULL)
            continue;
        if (!CHECK_SAME_RESULTS(r, whole, false))
            fprintf(stderr, "  pieces of %zu bytes\n", pieces[i]);
        /* One field, `body`, without its text. */
        fields = check_fields(r, &n);
        if (CHECK_SIZE(n, 1)) {
            CHECK_TEXT(fields[0].name, "body");
            CHECK_SIZE(fields[0].text.len, 0);
        }
        mailshield_result_free(r);
    }
    mailshield_result_free(whole);
}

static void test_small(const mailshield_engine *engine) {
    static const size_t pieces[] = {1, 7, sizeof SMALL};
    mailshield_result *r = check_scan_text(engine, SMALL);
    size_t n;

    /* The input is worth streaming: many findings and keywords. */
    check_findings(r, &n);
    CHECK(n >= 10);
    mailshield_result_free(r);
    check_pieces(engine, SMALL, strlen(SMALL), pieces, COUNT(pieces));
}

static void test_large(const mailshield_engine *engine) {
    static const size_t pieces[] = {1, 7, 4096, 65536};
    size_t len;
    char *text = large_text(70000, &len);

    check_pieces(engine, text, len, pieces, COUNT(pieces));
    free(text);
}

/* The errors of a pack's longest match, streamed as scanned. */
static void test_overlong(void) {
    static const char toml[] =
        "[pack]\n"
        "name = \"ctest-long\"\n"
        "extends = \"default\"\n"
        "max_match_len = 32\n"
        "[[entity]]\n"
        "name = \"TICKET\"\n"
        "rank = 40\n"
        "mask = \"full\"\n"
        "[[detector]]\n"
        "id = \"ctest-ticket\"\n"
        "entity = \"TICKET\"\n"
        "pattern = 'TCK-[0-9]+'\n"
        "score = 0.9\n";
    static const char text[] =
        "id TCK-12345678901234567890123456789012345678901234567890 end, "
        "TCK-42 ok\n";
    static const size_t pieces[] = {1, 7};
    mailshield_engine *engine = NULL;

    if (!CHECK_OK(mailshield_engine_from_toml((const uint8_t *)toml,
                                              strlen(toml), &engine)))
        return;
    check_pieces(engine, text, strlen(text), pieces, COUNT(pieces));
    mailshield_engine_free(engine);
}

/*
 * More bytes without a separator than the window holds: the header says
 * the result is then incomplete, with an error, never a failed call.
 */
static void test_no_separator(const mailshield_engine *engine) {
    static const char *const errors[] = {
        "bytes without a separator exceed the streaming window",
    };
    size_t len = 40000;
    char *text = malloc(len);
    mailshield_stream *s = NULL;
    mailshield_status failed = MAILSHIELD_STATUS_OK;
    mailshield_result *r = NULL;

    if (text == NULL)
        abort();
    memset(text, 'x', len);
    if (!CHECK_OK(mailshield_stream_new(engine, &s))) {
        free(text);
        return;
    }
    for (size_t at = 0; at < len && failed == MAILSHIELD_STATUS_OK;
         at += 1000)
        failed = mailshield_stream_feed(s, (const uint8_t *)text + at, 1000);
    if (failed == MAILSHIELD_STATUS_OK)
        failed = mailshield_stream_finish(s, &r);
    CHECK(failed == MAILSHIELD_STATUS_OK);
    if (r != NULL) {
        const mailshield_text *items = NULL;
        size_t n = 0;

        CHECK(!check_summary(r).complete);
        CHECK_OK(mailshield_result_errors(r, &items, &n));
        CHECK(n == 1 && strstr(items[0].ptr, errors[0]) != NULL);
        mailshield_result_free(r);
    }
    mailshield_stream_free(s);
    free(text);
}

static void test_states(const mailshield_engine *engine,
                        const mailshield_engine *seed) {
    mailshield_stream *s = NULL;
    mailshield_result *r = NULL;

    if (!CHECK_OK(mailshield_stream_new(engine, &s)))
        return;
    /* An empty piece, even a null one, is nothing. */
    CHECK_OK(mailshield_stream_feed(s, NULL, 0));
    CHECK_OK(
        mailshield_stream_feed(s, (const uint8_t *)"SSN 536-90-1234", 15));
    CHECK_OK(mailshield_stream_finish(s, &r));
    if (r != NULL) {
        static const check_finding want[] = {
            {"SSN", 0, 4, 15, 0, 0, 0, 0, 0.95, true, "***1234"},
        };

        CHECK_FINDINGS(r, want);
        CHECK_TEXT(check_summary(r).id, "-#0");
    }
    mailshield_result_free(r);

    /* Finished: feeding or finishing again is a state error. */
    CHECK_STATUS(mailshield_stream_feed(s, (const uint8_t *)"x", 1),
                 MAILSHIELD_STATUS_STATE);
    CHECK_ERROR("mailshield_stream_feed", "already finished");
    CHECK_STATUS(mailshield_stream_feed(s, NULL, 0), MAILSHIELD_STATUS_STATE);
    r = POISON(mailshield_result *);
    CHECK_STATUS(mailshield_stream_finish(s, &r), MAILSHIELD_STATUS_STATE);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_stream_finish", "already finished");
    mailshield_stream_free(s);

    /* The seed pack scans whole bodies only. */
    s = POISON(mailshield_stream *);
    CHECK_STATUS(mailshield_stream_new(seed, &s), MAILSHIELD_STATUS_STATE);
    CHECK(s == NULL);
    CHECK_ERROR("mailshield_stream_new", "");
}

/* A stream outlives its engine; an unfinished stream is freed whole. */
static void test_lifetimes(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_stream *s = NULL, *unfinished = NULL;
    mailshield_result *r = NULL;

    CHECK_OK(mailshield_stream_new(engine, &s));
    CHECK_OK(mailshield_stream_new(engine, &unfinished));
    mailshield_engine_free(engine);
    if (s == NULL || unfinished == NULL)
        return;
    CHECK_OK(mailshield_stream_feed(unfinished, (const uint8_t *)"a@exa", 5));
    mailshield_stream_free(unfinished);
    CHECK_OK(mailshield_stream_feed(s, (const uint8_t *)"mail a@exa", 10));
    CHECK_OK(mailshield_stream_feed(s, (const uint8_t *)"mple.com", 8));
    CHECK_OK(mailshield_stream_finish(s, &r));
    mailshield_stream_free(s);
    if (r != NULL) {
        static const check_finding want[] = {
            {"EMAIL", 0, 5, 18, 0, 0, 0, 0, 0.9, true, "***@example.com"},
        };

        CHECK_FINDINGS(r, want);
    }
    mailshield_result_free(r);
}

int main(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_engine *seed = check_engine("seed");

    test_small(engine);
    test_large(engine);
    test_overlong();
    test_no_separator(engine);
    test_states(engine, seed);
    test_lifetimes();
    mailshield_engine_free(seed);
    mailshield_engine_free(engine);
    mailshield_stream_free(NULL);
    return check_report("stream");
}
