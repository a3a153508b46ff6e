/*
 * check.c: the harness of check.h.
 */

#include "check.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int failures;

const char CHECK_FERNET_KEY[] =
    "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

void check_fail(const char *file, int line, const char *fmt, ...) {
    char message[8192];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    atomic_fetch_add(&failures, 1);
    /* One call, so that lines from several threads do not interleave. */
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, message);
}

int check_failures(void) { return atomic_load(&failures); }

int check_report(const char *name) {
    int n = check_failures();

    if (n == 0) {
        fprintf(stderr, "%s: ok\n", name);
        return 0;
    }
    fprintf(stderr, "%s: %d check(s) failed\n", name, n);
    return 1;
}

const char *check_status_name(mailshield_status status) {
    switch (status) {
    case MAILSHIELD_STATUS_OK:
        return "OK";
    case MAILSHIELD_STATUS_NULL_ARGUMENT:
        return "NULL_ARGUMENT";
    case MAILSHIELD_STATUS_INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
    case MAILSHIELD_STATUS_RULES:
        return "RULES";
    case MAILSHIELD_STATUS_KEY:
        return "KEY";
    case MAILSHIELD_STATUS_CRYPTO:
        return "CRYPTO";
    case MAILSHIELD_STATUS_STATE:
        return "STATE";
    case MAILSHIELD_STATUS_INTERNAL:
        return "INTERNAL";
    case MAILSHIELD_STATUS_IO:
        return "IO";
    }
    return "(not a status)";
}

bool check_status_is(const char *file, int line, const char *call,
                     mailshield_status got, mailshield_status want) {
    if (got == want)
        return true;
    check_fail(file, line, "%s: got %s, want %s (last error: %s)", call,
               check_status_name(got), check_status_name(want),
               mailshield_last_error());
    return false;
}

bool check_text_is(const char *file, int line, const char *what,
                   mailshield_text got, const char *want) {
    if (got.ptr == NULL) {
        check_fail(file, line, "%s: null, want \"%s\"", what, want);
        return false;
    }
    if (got.ptr[got.len] != '\0') {
        check_fail(file, line, "%s: no NUL after its %zu bytes", what,
                   got.len);
        return false;
    }
    if (got.len != strlen(want) || memcmp(got.ptr, want, got.len) != 0) {
        check_fail(file, line, "%s: got \"%.*s\", want \"%s\"", what,
                   (int)got.len, got.ptr, want);
        return false;
    }
    return true;
}

bool check_bytes_are(const char *file, int line, const char *what,
                     const uint8_t *ptr, size_t len, const void *want,
                     size_t want_len) {
    if (len != want_len || (len > 0 && ptr == NULL) ||
        (len > 0 && memcmp(ptr, want, len) != 0)) {
        check_fail(file, line, "%s: got %zu bytes \"%.*s\", want \"%.*s\"",
                   what, len, ptr == NULL ? 0 : (int)len,
                   ptr == NULL ? "" : (const char *)ptr, (int)want_len,
                   (const char *)want);
        return false;
    }
    return true;
}

bool check_size_is(const char *file, int line, const char *what,
                   size_t got, size_t want) {
    if (got == want)
        return true;
    check_fail(file, line, "%s: got %zu, want %zu", what, got, want);
    return false;
}

bool check_error_is(const char *file, int line, const char *call,
                    const char *part) {
    const char *last = mailshield_last_error();
    size_t n = strlen(call);

    if (last == NULL) {
        check_fail(file, line, "mailshield_last_error() is null");
        return false;
    }
    if (strncmp(last, call, n) != 0 || strncmp(last + n, ": ", 2) != 0 ||
        strstr(last, part) == NULL) {
        check_fail(file, line, "last error \"%s\": want \"%s: ...%s...\"",
                   last, call, part);
        return false;
    }
    return true;
}

const char *check_root(int argc, char **argv) {
    return argc > 1 ? argv[1] : ".";
}

char *check_read(const char *root, const char *rel, size_t *len) {
    char path[4096];
    FILE *f;
    char *data = NULL;
    size_t cap = 0, n = 0;

    snprintf(path, sizeof path, "%s/%s", root, rel);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = 2 * cap + 4096 + 1;
            data = realloc(data, cap);
            if (data == NULL)
                abort();
        }
        size_t got = fread(data + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

/* Ends the test after a failure nothing else can be checked without. */
static void give_up(const char *what) {
    fprintf(stderr, "giving up: %s failed: %s\n", what,
            mailshield_last_error());
    exit(1);
}

mailshield_engine *check_engine(const char *pack) {
    mailshield_engine *engine = NULL;

    if (!CHECK_OK(mailshield_engine_new(pack, &engine)))
        give_up("mailshield_engine_new");
    return engine;
}

mailshield_keyset *check_fernet_keys(void) {
    mailshield_keyset *keys = NULL;

    if (!CHECK_OK(mailshield_keyset_from_fernet_key(
            (const uint8_t *)CHECK_FERNET_KEY, strlen(CHECK_FERNET_KEY),
            &keys)))
        give_up("mailshield_keyset_from_fernet_key");
    return keys;
}

mailshield_result *check_scan(const mailshield_engine *engine,
                              const void *data, size_t len, uint32_t kind) {
    mailshield_result *result = NULL;

    if (!CHECK_OK(mailshield_scan(engine, data, len, kind, &result)))
        give_up("mailshield_scan");
    return result;
}

mailshield_result *check_scan_text(const mailshield_engine *engine,
                                   const char *text) {
    return check_scan(engine, text, strlen(text), MAILSHIELD_INPUT_TEXT);
}

const mailshield_finding *check_findings(const mailshield_result *result,
                                         size_t *count) {
    const mailshield_finding *items = NULL;

    *count = 0;
    if (!CHECK_OK(mailshield_result_findings(result, &items, count)))
        give_up("mailshield_result_findings");
    return items;
}

const mailshield_field *check_fields(const mailshield_result *result,
                                     size_t *count) {
    const mailshield_field *items = NULL;

    *count = 0;
    if (!CHECK_OK(mailshield_result_fields(result, &items, count)))
        give_up("mailshield_result_fields");
    return items;
}

mailshield_summary check_summary(const mailshield_result *result) {
    mailshield_summary summary;

    memset(&summary, 0, sizeof summary);
    if (!CHECK_OK(mailshield_result_summary(result, &summary)))
        give_up("mailshield_result_summary");
    return summary;
}

mailshield_text check_json(const mailshield_result *result) {
    mailshield_text json = {NULL, 0};

    if (!CHECK_OK(mailshield_result_json(result, &json)))
        give_up("mailshield_result_json");
    return json;
}

static bool same_double(double a, double b) {
    double d = a - b;

    return (d < 0 ? -d : d) < 1e-9;
}

static bool text_eq(mailshield_text a, mailshield_text b) {
    if (a.ptr == NULL || b.ptr == NULL)
        return a.ptr == b.ptr;
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static bool offsets_eq(mailshield_offsets a, mailshield_offsets b) {
    return a.start == b.start && a.end == b.end &&
           a.start_char == b.start_char && a.end_char == b.end_char &&
           a.start_utf16 == b.start_utf16 && a.end_utf16 == b.end_utf16;
}

bool check_findings_are(const char *file, int line,
                        const mailshield_result *result,
                        const check_finding *want, size_t count) {
    const mailshield_finding *got = NULL;
    size_t n = 0;
    bool ok = true;

    if (!check_status_is(file, line, "mailshield_result_findings",
                         mailshield_result_findings(result, &got, &n),
                         MAILSHIELD_STATUS_OK))
        return false;
    if (!check_size_is(file, line, "finding count", n, count))
        return false;
    for (size_t i = 0; i < n; i++) {
        const check_finding *w = &want[i];
        mailshield_offsets o = got[i].span;
        mailshield_offsets u = {w->start,      w->end,
                                w->start_char, w->end_char,
                                w->start_utf16, w->end_utf16};
        char what[64];

        if (w->end_char == 0) {
            u.start_char = u.start_utf16 = w->start;
            u.end_char = u.end_utf16 = w->end;
        }
        snprintf(what, sizeof what, "finding %zu type", i);
        ok &= check_text_is(file, line, what, got[i].entity_type, w->type);
        snprintf(what, sizeof what, "finding %zu masked", i);
        ok &= check_text_is(file, line, what, got[i].masked, w->masked);
        if (got[i].field != w->field || !offsets_eq(o, u)) {
            check_fail(file, line,
                       "finding %zu: field %u at %zu..%zu (chars %zu..%zu, "
                       "utf16 %zu..%zu), want field %u at %zu..%zu (chars "
                       "%zu..%zu, utf16 %zu..%zu)",
                       i, got[i].field, o.start, o.end, o.start_char,
                       o.end_char, o.start_utf16, o.end_utf16, w->field,
                       u.start, u.end, u.start_char, u.end_char,
                       u.start_utf16, u.end_utf16);
            ok = false;
        }
        if (!same_double(got[i].score, w->score) ||
            got[i].validated != w->validated) {
            check_fail(file, line,
                       "finding %zu: score %g validated %d, want %g %d", i,
                       got[i].score, got[i].validated, w->score,
                       w->validated);
            ok = false;
        }
    }
    return ok;
}

bool check_keywords_are(const char *file, int line,
                        const mailshield_result *result,
                        const check_keyword *want, size_t count) {
    const mailshield_keyword *got = NULL;
    size_t n = 0;
    bool ok = true;

    if (!check_status_is(file, line, "mailshield_result_keywords",
                         mailshield_result_keywords(result, &got, &n),
                         MAILSHIELD_STATUS_OK))
        return false;
    if (!check_size_is(file, line, "keyword count", n, count))
        return false;
    for (size_t i = 0; i < n; i++) {
        const check_keyword *w = &want[i];
        mailshield_offsets o = got[i].span;
        mailshield_offsets u = {w->start, w->end, w->start, w->end,
                                w->start, w->end};

        ok &= check_text_is(file, line, "keyword", got[i].keyword,
                            w->keyword);
        if (got[i].field != w->field || !offsets_eq(o, u) ||
            got[i].in_footer != w->in_footer) {
            check_fail(file, line,
                       "keyword %zu: field %u at %zu..%zu footer %d, want "
                       "field %u at %zu..%zu footer %d",
                       i, got[i].field, o.start, o.end, got[i].in_footer,
                       w->field, w->start, w->end, w->in_footer);
            ok = false;
        }
    }
    return ok;
}

bool check_texts_are(const char *file, int line, const char *what,
                     const mailshield_text *items, size_t count,
                     const char *const *want, size_t want_count) {
    bool ok = true;

    if (!check_size_is(file, line, what, count, want_count))
        return false;
    for (size_t i = 0; i < count; i++)
        ok &= check_text_is(file, line, what, items[i], want[i]);
    return ok;
}

typedef mailshield_status (*text_list)(const mailshield_result *,
                                       const mailshield_text **, size_t *);

static bool same_texts(const char *file, int line, const char *what,
                       text_list list, const mailshield_result *a,
                       const mailshield_result *b) {
    const mailshield_text *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;

    if (list(a, &x, &nx) != MAILSHIELD_STATUS_OK ||
        list(b, &y, &ny) != MAILSHIELD_STATUS_OK || nx != ny) {
        check_fail(file, line, "%s: %zu items, want %zu", what, nx, ny);
        return false;
    }
    for (size_t i = 0; i < nx; i++) {
        if (!text_eq(x[i], y[i])) {
            check_fail(file, line, "%s %zu: \"%s\", want \"%s\"", what, i,
                       x[i].ptr, y[i].ptr);
            return false;
        }
    }
    return true;
}

static bool same_findings(const char *file, int line,
                          const mailshield_result *a,
                          const mailshield_result *b) {
    const mailshield_finding *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;

    if (mailshield_result_findings(a, &x, &nx) != MAILSHIELD_STATUS_OK ||
        mailshield_result_findings(b, &y, &ny) != MAILSHIELD_STATUS_OK ||
        nx != ny) {
        check_fail(file, line, "findings: %zu, want %zu", nx, ny);
        return false;
    }
    for (size_t i = 0; i < nx; i++) {
        if (!text_eq(x[i].entity_type, y[i].entity_type) ||
            x[i].entity != y[i].entity || x[i].field != y[i].field ||
            !offsets_eq(x[i].span, y[i].span) ||
            !same_double(x[i].score, y[i].score) ||
            x[i].validated != y[i].validated ||
            !text_eq(x[i].masked, y[i].masked)) {
            check_fail(file, line,
                       "finding %zu: %s at %zu..%zu \"%s\", want %s at "
                       "%zu..%zu \"%s\"",
                       i, x[i].entity_type.ptr, x[i].span.start,
                       x[i].span.end, x[i].masked.ptr, y[i].entity_type.ptr,
                       y[i].span.start, y[i].span.end, y[i].masked.ptr);
            return false;
        }
    }
    return true;
}

static bool same_keywords(const char *file, int line,
                          const mailshield_result *a,
                          const mailshield_result *b) {
    const mailshield_keyword *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;

    if (mailshield_result_keywords(a, &x, &nx) != MAILSHIELD_STATUS_OK ||
        mailshield_result_keywords(b, &y, &ny) != MAILSHIELD_STATUS_OK ||
        nx != ny) {
        check_fail(file, line, "keywords: %zu, want %zu", nx, ny);
        return false;
    }
    for (size_t i = 0; i < nx; i++) {
        if (!text_eq(x[i].keyword, y[i].keyword) ||
            x[i].field != y[i].field || !offsets_eq(x[i].span, y[i].span) ||
            x[i].in_footer != y[i].in_footer) {
            check_fail(file, line, "keyword %zu: \"%s\" at %zu, want \"%s\" "
                       "at %zu", i, x[i].keyword.ptr, x[i].span.start,
                       y[i].keyword.ptr, y[i].span.start);
            return false;
        }
    }
    return true;
}

static bool same_fields(const char *file, int line,
                        const mailshield_result *a,
                        const mailshield_result *b) {
    const mailshield_field *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;

    if (mailshield_result_fields(a, &x, &nx) != MAILSHIELD_STATUS_OK ||
        mailshield_result_fields(b, &y, &ny) != MAILSHIELD_STATUS_OK ||
        nx != ny) {
        check_fail(file, line, "fields: %zu, want %zu", nx, ny);
        return false;
    }
    for (size_t i = 0; i < nx; i++) {
        if (!text_eq(x[i].name, y[i].name) || x[i].text.len != y[i].text.len ||
            (x[i].text.len > 0 &&
             memcmp(x[i].text.ptr, y[i].text.ptr, x[i].text.len) != 0)) {
            check_fail(file, line, "field %zu: \"%s\" differs", i,
                       x[i].name.ptr);
            return false;
        }
    }
    return true;
}

bool check_same_findings(const char *file, int line,
                         const mailshield_result *got,
                         const mailshield_result *want) {
    bool ok = same_findings(file, line, got, want);

    return same_keywords(file, line, got, want) && ok;
}

bool check_same_results(const char *file, int line,
                        const mailshield_result *got,
                        const mailshield_result *want, bool fields) {
    mailshield_summary x, y;
    mailshield_text jx = {NULL, 0}, jy = {NULL, 0};
    bool ok = true;

    if (mailshield_result_summary(got, &x) != MAILSHIELD_STATUS_OK ||
        mailshield_result_summary(want, &y) != MAILSHIELD_STATUS_OK) {
        check_fail(file, line, "summary: %s", mailshield_last_error());
        return false;
    }
    if (x.level != y.level || !text_eq(x.classification, y.classification) ||
        !same_double(x.confidence, y.confidence) ||
        x.complete != y.complete || !text_eq(x.id, y.id)) {
        check_fail(file, line,
                   "summary: %d %s %g %d %s, want %d %s %g %d %s", x.level,
                   x.classification.ptr, x.confidence, x.complete, x.id.ptr,
                   y.level, y.classification.ptr, y.confidence, y.complete,
                   y.id.ptr);
        ok = false;
    }
    ok &= same_findings(file, line, got, want);
    ok &= same_keywords(file, line, got, want);
    ok &= same_texts(file, line, "risk factors",
                     mailshield_result_risk_factors, got, want);
    ok &= same_texts(file, line, "recommended actions",
                     mailshield_result_recommended_actions, got, want);
    ok &= same_texts(file, line, "warnings", mailshield_result_warnings,
                     got, want);
    ok &= same_texts(file, line, "errors", mailshield_result_errors, got,
                     want);
    if (fields)
        ok &= same_fields(file, line, got, want);
    if (mailshield_result_json(got, &jx) != MAILSHIELD_STATUS_OK ||
        mailshield_result_json(want, &jy) != MAILSHIELD_STATUS_OK ||
        !text_eq(jx, jy)) {
        check_fail(file, line, "json:\n  %s\nwant\n  %s", jx.ptr, jy.ptr);
        ok = false;
    }
    return ok;
}
