/*
 * check.h: the small harness every C test of the ABI shares.
 *
 * A failed check prints where it failed and what it saw, then the test
 * goes on, so that one run reports every difference; the program's exit
 * status says whether any check failed. Checks may run on many threads
 * at once (the failure count is atomic, and each report is one fprintf).
 *
 * Include this file first: it asks for POSIX (threads, mkdtemp) before
 * any system header is read.
 */

#ifndef MAILSHIELD_CHECK_H
#define MAILSHIELD_CHECK_H

#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mailshield.h"

/* Records a failure at `file`:`line`, with a printf-style message. */
void check_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The number of failures so far, on every thread. */
int check_failures(void);

/* Prints the verdict of the test `name`; returns its exit status. */
int check_report(const char *name);

/* The name of a status, for messages. */
const char *check_status_name(mailshield_status status);

bool check_status_is(const char *file, int line, const char *call,
                     mailshield_status got, mailshield_status want);
bool check_text_is(const char *file, int line, const char *what,
                   mailshield_text got, const char *want);
bool check_bytes_are(const char *file, int line, const char *what,
                     const uint8_t *ptr, size_t len, const void *want,
                     size_t want_len);
bool check_size_is(const char *file, int line, const char *what,
                   size_t got, size_t want);
bool check_error_is(const char *file, int line, const char *call,
                    const char *part);

/*
 * A pointer that is not null, put in an out-pointer before a call that
 * must fail: a failed call that makes a handle overwrites it with null.
 */
#define POISON(type) ((type)(uintptr_t)0x10)

#define CHECK(cond)                                                       \
    ((cond) ? true : (check_fail(__FILE__, __LINE__, "%s", #cond), false))

/* The call returns `want`; on a surprise the last error is printed. */
#define CHECK_STATUS(call, want)                                          \
    check_status_is(__FILE__, __LINE__, #call, (call), (want))

#define CHECK_OK(call) CHECK_STATUS(call, MAILSHIELD_STATUS_OK)

/* A library text view: not null, NUL after `len`, equal to `want`. */
#define CHECK_TEXT(view, want)                                            \
    check_text_is(__FILE__, __LINE__, #view, (view), (want))

/* `len` bytes at `ptr` equal the C string `want` (without its NUL). */
#define CHECK_BYTES(ptr, len, want)                                       \
    check_bytes_are(__FILE__, __LINE__, #ptr, (ptr), (len), (want),       \
                    strlen(want))

#define CHECK_SIZE(got, want)                                             \
    check_size_is(__FILE__, __LINE__, #got, (got), (want))

/*
 * The thread's last error names the call (`call: ...`) and contains
 * `part`.
 */
#define CHECK_ERROR(call, part)                                           \
    check_error_is(__FILE__, __LINE__, (call), (part))

/*
 * Test inputs.
 */

/* The repository root: argv[1], else the current directory. */
const char *check_root(int argc, char **argv);

/*
 * The bytes of the file `rel` under `root`, NUL-terminated, in a
 * malloc'd buffer; `*len` gets the length. Exits the test when the file
 * cannot be read: nothing else can be checked without it.
 */
char *check_read(const char *root, const char *rel, size_t *len);

/*
 * The key of the Fernet specification's vectors (github.com/fernet/spec),
 * as Python's `Fernet.generate_key()` would print it.
 */
extern const char CHECK_FERNET_KEY[];

/*
 * Calls the tests lean on: each checks its status and exits the test on
 * failure, since what follows would only report the same cause again.
 */
mailshield_engine *check_engine(const char *pack);
mailshield_keyset *check_fernet_keys(void);
mailshield_result *check_scan(const mailshield_engine *engine,
                              const void *data, size_t len, uint32_t kind);
mailshield_result *check_scan_text(const mailshield_engine *engine,
                                   const char *text);

/* The lists of a result, with their status checked. */
const mailshield_finding *check_findings(const mailshield_result *result,
                                         size_t *count);
const mailshield_field *check_fields(const mailshield_result *result,
                                     size_t *count);
mailshield_summary check_summary(const mailshield_result *result);
mailshield_text check_json(const mailshield_result *result);

/*
 * Expected findings, in the order the result lists them. An `end_char`
 * of 0 says the field is ASCII up to the finding, so that the code point
 * and UTF-16 offsets equal the byte offsets.
 */
typedef struct {
    const char *type;
    uint32_t field;
    size_t start, end;
    size_t start_char, end_char;
    size_t start_utf16, end_utf16;
    double score;
    bool validated;
    const char *masked;
} check_finding;

/* Expected keyword hits, over ASCII text. */
typedef struct {
    const char *keyword;
    uint32_t field;
    size_t start, end;
    bool in_footer;
} check_keyword;

bool check_findings_are(const char *file, int line,
                        const mailshield_result *result,
                        const check_finding *want, size_t count);
bool check_keywords_are(const char *file, int line,
                        const mailshield_result *result,
                        const check_keyword *want, size_t count);

/* A list of texts (risk factors, warnings...) is exactly `want`. */
bool check_texts_are(const char *file, int line, const char *what,
                     const mailshield_text *items, size_t count,
                     const char *const *want, size_t want_count);

/*
 * Two results say the same: summary, findings, keywords, lists and the
 * JSON line; `fields` also compares the fields' names and texts.
 */
bool check_same_results(const char *file, int line,
                        const mailshield_result *got,
                        const mailshield_result *want, bool fields);

/* Two results have the same findings and keywords. */
bool check_same_findings(const char *file, int line,
                         const mailshield_result *got,
                         const mailshield_result *want);

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

#define CHECK_FINDINGS(result, want)                                      \
    check_findings_are(__FILE__, __LINE__, (result), (want), COUNT(want))
#define CHECK_NO_FINDINGS(result)                                         \
    check_findings_are(__FILE__, __LINE__, (result), NULL, 0)
#define CHECK_KEYWORDS(result, want)                                      \
    check_keywords_are(__FILE__, __LINE__, (result), (want), COUNT(want))
#define CHECK_TEXTS(items, count, want)                                   \
    check_texts_are(__FILE__, __LINE__, #items, (items), (count), (want), \
                    COUNT(want))
#define CHECK_NO_TEXTS(items, count)                                      \
    check_texts_are(__FILE__, __LINE__, #items, (items), (count), NULL, 0)
#define CHECK_SAME_FINDINGS(got, want)                                    \
    check_same_findings(__FILE__, __LINE__, (got), (want))
#define CHECK_SAME_RESULTS(got, want, fields)                             \
    check_same_results(__FILE__, __LINE__, (got), (want), (fields))

#endif /* MAILSHIELD_CHECK_H */
