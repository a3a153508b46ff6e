/*
 * protect.c: mailshield_protect with each cipher, key and option, and
 * the protected copy read back and opened with mailshield_decrypt.
 */

#include "check.h"

#include <stdlib.h>

static const char CARD_TEXT[] = "Card 4111 1111 1111 1111, mail a@example.com";
static const char CARD_REDACTED[] =
    "Card [CREDIT_CARD_REDACTED], mail [EMAIL_REDACTED]";

static const char MESSAGE[] =
    "From: Jane <jane@example.com>\r\n"
    "Subject: call 415-555-0134\r\n"
    "Message-ID: <m-7@example.com>\r\n"
    "\r\n"
    "Card 4111 1111 1111 1111 here.\r\n";

static mailshield_protect_options options(uint32_t cipher) {
    mailshield_protect_options o;

    memset(&o, 0, sizeof o);
    o.cipher = cipher;
    return o;
}

/* Protects `text`, read as `kind` says; checks the call succeeded. */
static mailshield_result *protect(const mailshield_engine *engine,
                                  const mailshield_keyset *keys,
                                  const char *text, uint32_t kind,
                                  const mailshield_protect_options *o) {
    mailshield_result *result = NULL;

    CHECK_OK(mailshield_protect(engine, keys, (const uint8_t *)text,
                                strlen(text), kind, o, &result));
    return result;
}

static mailshield_protected protected_copy(const mailshield_result *r) {
    mailshield_protected p;

    memset(&p, 0, sizeof p);
    CHECK_OK(mailshield_result_protected(r, &p));
    return p;
}

/* Opens `sealed` bound to `id`; the clear text must be `want`. */
static void check_opens(const mailshield_keyset *keys, mailshield_text sealed,
                        const char *id, const void *want, size_t want_len) {
    mailshield_buffer *buffer = NULL;
    mailshield_bytes clear = {NULL, 0};

    if (!CHECK(sealed.ptr != NULL))
        return;
    if (CHECK_OK(mailshield_decrypt(keys, (const uint8_t *)sealed.ptr,
                                    sealed.len, (const uint8_t *)id,
                                    strlen(id), &buffer)) &&
        CHECK_OK(mailshield_buffer_data(buffer, &clear)))
        CHECK(clear.len == want_len &&
              (want_len == 0 || memcmp(clear.ptr, want, want_len) == 0));
    mailshield_buffer_free(buffer);
}

static void check_does_not_open(const mailshield_keyset *keys,
                                mailshield_text sealed, const char *id) {
    mailshield_buffer *buffer = POISON(mailshield_buffer *);

    CHECK_STATUS(mailshield_decrypt(keys, (const uint8_t *)sealed.ptr,
                                    sealed.len, (const uint8_t *)id,
                                    strlen(id), &buffer),
                 MAILSHIELD_STATUS_CRYPTO);
    CHECK(buffer == NULL);
}

static void check_log(const mailshield_protected *p,
                      const char *const *want, size_t count) {
    check_texts_are(__FILE__, __LINE__, "log", p->log, p->log_len, want,
                    count);
}

/* MAILSHIELD_CIPHER_NONE: the redacted body in clear, no keys needed. */
static void test_cipher_none(const mailshield_engine *engine) {
    static const char *const log[] = {
        "Replaced 1 CREDIT_CARD instances",
        "Replaced 1 EMAIL instances",
    };
    static const check_finding want[] = {
        {"CREDIT_CARD", 0, 5, 24, 0, 0, 0, 0, 0.95, true, "***1111"},
        {"EMAIL", 0, 31, 44, 0, 0, 0, 0, 0.9, true, "***@example.com"},
    };
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_NONE);
    mailshield_result *r =
        protect(engine, NULL, CARD_TEXT, MAILSHIELD_INPUT_TEXT, &o);
    mailshield_protected p;
    mailshield_result *scanned;

    if (r == NULL)
        return;
    p = protected_copy(r);
    CHECK_BYTES(p.body.ptr, p.body.len, CARD_REDACTED);
    CHECK(p.sealed.ptr == NULL);
    /* Plain text has no subject. */
    CHECK(p.subject.ptr == NULL);
    check_log(&p, log, COUNT(log));
    /* The result is a scan result too, the same as mailshield_scan's. */
    CHECK_FINDINGS(r, want);
    scanned = check_scan_text(engine, CARD_TEXT);
    CHECK_SAME_RESULTS(r, scanned, false);
    mailshield_result_free(scanned);
    mailshield_result_free(r);
}

/* The defaults: AES-256-GCM bound to the message's own id. */
static void test_aes_defaults(const mailshield_engine *engine,
                              const mailshield_keyset *keys) {
    mailshield_result *r =
        protect(engine, keys, CARD_TEXT, MAILSHIELD_INPUT_TEXT, NULL);
    mailshield_summary s;
    mailshield_protected p;

    if (r == NULL)
        return;
    s = check_summary(r);
    p = protected_copy(r);
    CHECK_TEXT(s.id, "-#0");
    CHECK_BYTES(p.body.ptr, p.body.len, CARD_REDACTED);
    if (CHECK(p.sealed.ptr != NULL)) {
        CHECK(strncmp(p.sealed.ptr, "ms1:", 4) == 0);
        CHECK(p.sealed.ptr[p.sealed.len] == '\0');
        CHECK(strstr(p.sealed.ptr, "4111") == NULL);
        check_opens(keys, p.sealed, s.id.ptr, p.body.ptr, p.body.len);
        check_does_not_open(keys, p.sealed, "-#1");
    }
    mailshield_result_free(r);
}

/* A raw message: bound to its Message-ID, subject redacted too. */
static void test_message(const mailshield_engine *engine,
                         const mailshield_keyset *keys) {
    static const char *const log[] = {
        "Replaced 1 CREDIT_CARD instances",
        "Replaced 1 PHONE instances",
    };
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_AES_256_GCM);
    mailshield_result *r =
        protect(engine, keys, MESSAGE, MAILSHIELD_INPUT_MESSAGE, &o);
    mailshield_protected p;

    if (r == NULL)
        return;
    p = protected_copy(r);
    CHECK_TEXT(check_summary(r).id, "m-7@example.com");
    CHECK_BYTES(p.body.ptr, p.body.len,
                "Card [CREDIT_CARD_REDACTED] here.\r\n");
    CHECK_BYTES(p.subject.ptr, p.subject.len, "call [PHONE_REDACTED]");
    check_log(&p, log, COUNT(log));
    check_opens(keys, p.sealed, "m-7@example.com", p.body.ptr, p.body.len);
    check_does_not_open(keys, p.sealed, "-#0");
    mailshield_result_free(r);
}

/* An id given in the options replaces the message's own. */
static void test_given_id(const mailshield_engine *engine,
                          const mailshield_keyset *keys) {
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_AES_256_GCM);
    mailshield_result *r;
    mailshield_protected p;

    o.message_id.ptr = (const uint8_t *)"archive-42";
    o.message_id.len = 10;
    r = protect(engine, keys, MESSAGE, MAILSHIELD_INPUT_MESSAGE, &o);
    if (r == NULL)
        return;
    p = protected_copy(r);
    CHECK_TEXT(check_summary(r).id, "archive-42");
    check_opens(keys, p.sealed, "archive-42", p.body.ptr, p.body.len);
    check_does_not_open(keys, p.sealed, "m-7@example.com");
    mailshield_result_free(r);

    /* An empty id is an id too. */
    o.message_id.ptr = (const uint8_t *)"";
    o.message_id.len = 0;
    r = protect(engine, keys, CARD_TEXT, MAILSHIELD_INPUT_TEXT, &o);
    if (r == NULL)
        return;
    p = protected_copy(r);
    CHECK_TEXT(check_summary(r).id, "");
    check_opens(keys, p.sealed, "", p.body.ptr, p.body.len);
    check_does_not_open(keys, p.sealed, "-#0");
    mailshield_result_free(r);
}

static void test_fernet(const mailshield_engine *engine,
                        const mailshield_keyset *keys) {
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_FERNET);
    mailshield_result *r =
        protect(engine, keys, CARD_TEXT, MAILSHIELD_INPUT_TEXT, &o);
    mailshield_protected p;

    if (r == NULL)
        return;
    p = protected_copy(r);
    CHECK_BYTES(p.body.ptr, p.body.len, CARD_REDACTED);
    if (CHECK(p.sealed.ptr != NULL)) {
        CHECK(strncmp(p.sealed.ptr, "gAAAAA", 6) == 0);
        /* A Fernet token binds no id. */
        check_opens(keys, p.sealed, "", p.body.ptr, p.body.len);
        check_opens(keys, p.sealed, "any id", p.body.ptr, p.body.len);
    }
    mailshield_result_free(r);
}

static void test_key_errors(const mailshield_engine *engine) {
    mailshield_protect_options fernet = options(MAILSHIELD_CIPHER_FERNET);
    mailshield_keyset *generated = NULL;
    mailshield_result *r = POISON(mailshield_result *);

    /* Sealing is needed (the text is restricted) and there is no key. */
    CHECK_STATUS(mailshield_protect(engine, NULL, (const uint8_t *)CARD_TEXT,
                                    strlen(CARD_TEXT), MAILSHIELD_INPUT_TEXT,
                                    NULL, &r),
                 MAILSHIELD_STATUS_KEY);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_protect", "key");

    /* Fernet needs a Fernet key; a generated set has none. */
    CHECK_OK(mailshield_keyset_generate(&generated));
    r = POISON(mailshield_result *);
    CHECK_STATUS(mailshield_protect(engine, generated,
                                    (const uint8_t *)CARD_TEXT,
                                    strlen(CARD_TEXT), MAILSHIELD_INPUT_TEXT,
                                    &fernet, &r),
                 MAILSHIELD_STATUS_KEY);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_protect", "fernet");
    mailshield_keyset_free(generated);
}

static void test_bad_options(const mailshield_engine *engine,
                             const mailshield_keyset *keys) {
    mailshield_protect_options o = options(7);
    mailshield_result *r = POISON(mailshield_result *);
    const uint8_t bad_id[] = {'i', 0xc3, 0x28};

    CHECK_STATUS(mailshield_protect(engine, keys, (const uint8_t *)"x", 1,
                                    MAILSHIELD_INPUT_TEXT, &o, &r),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_protect", "unknown cipher 7");

    o = options(MAILSHIELD_CIPHER_NONE);
    o.use_level = true;
    o.level = 4;
    r = POISON(mailshield_result *);
    CHECK_STATUS(mailshield_protect(engine, keys, (const uint8_t *)"x", 1,
                                    MAILSHIELD_INPUT_TEXT, &o, &r),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_protect", "unknown level 4");
    o.level = -1;
    CHECK_STATUS(mailshield_protect(engine, keys, (const uint8_t *)"x", 1,
                                    MAILSHIELD_INPUT_TEXT, &o, &r),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);

    /* Without use_level, the level is not read. */
    o.use_level = false;
    o.level = 99;
    r = protect(engine, keys, "x", MAILSHIELD_INPUT_TEXT, &o);
    mailshield_result_free(r);

    o = options(MAILSHIELD_CIPHER_AES_256_GCM);
    o.message_id.ptr = bad_id;
    o.message_id.len = sizeof bad_id;
    r = POISON(mailshield_result *);
    CHECK_STATUS(mailshield_protect(engine, keys, (const uint8_t *)"x", 1,
                                    MAILSHIELD_INPUT_TEXT, &o, &r),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_protect", "message_id");

    r = POISON(mailshield_result *);
    CHECK_STATUS(mailshield_protect(engine, keys, (const uint8_t *)"x", 1, 5,
                                    NULL, &r),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
}

/* use_level: protect as at a given level, as sanitize_content does. */
static void test_use_level(const mailshield_engine *engine,
                           const mailshield_engine *seed,
                           const mailshield_keyset *keys) {
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_AES_256_GCM);
    mailshield_result *r;
    mailshield_protected p;

    /* Public: redacted under the default pack, but never sealed. */
    o.use_level = true;
    o.level = MAILSHIELD_LEVEL_PUBLIC;
    r = protect(engine, NULL, CARD_TEXT, MAILSHIELD_INPUT_TEXT, &o);
    if (r != NULL) {
        p = protected_copy(r);
        CHECK_BYTES(p.body.ptr, p.body.len, CARD_REDACTED);
        CHECK(p.sealed.ptr == NULL);
        /* The summary keeps the message's own level. */
        CHECK(check_summary(r).level == MAILSHIELD_LEVEL_RESTRICTED);
    }
    mailshield_result_free(r);

    /* Restricted: text without findings (internal) is sealed. */
    o.level = MAILSHIELD_LEVEL_RESTRICTED;
    r = protect(engine, keys, "hello world", MAILSHIELD_INPUT_TEXT, &o);
    if (r != NULL) {
        p = protected_copy(r);
        CHECK_BYTES(p.body.ptr, p.body.len, "hello world");
        check_opens(keys, p.sealed, "-#0", "hello world", 11);
        CHECK(check_summary(r).level == MAILSHIELD_LEVEL_INTERNAL);
    }
    mailshield_result_free(r);

    /* The seed pack redacts only at confidential and above. */
    o.cipher = MAILSHIELD_CIPHER_NONE;
    o.level = MAILSHIELD_LEVEL_INTERNAL;
    r = protect(seed, NULL, "mail a@example.com now", MAILSHIELD_INPUT_TEXT,
                &o);
    if (r != NULL) {
        p = protected_copy(r);
        CHECK_BYTES(p.body.ptr, p.body.len, "mail a@example.com now");
        CHECK_SIZE(p.log_len, 0);
    }
    mailshield_result_free(r);
    o.level = MAILSHIELD_LEVEL_CONFIDENTIAL;
    r = protect(seed, NULL, "mail a@example.com now", MAILSHIELD_INPUT_TEXT,
                &o);
    if (r != NULL) {
        p = protected_copy(r);
        CHECK_BYTES(p.body.ptr, p.body.len, "mail [EMAIL_REDACTED] now");
        CHECK_SIZE(p.log_len, 1);
    }
    mailshield_result_free(r);
}

/* The seed pack cuts a restricted body at 5000 code points. */
static void test_seed_truncates(const mailshield_engine *seed) {
    static const char *const log[] = {
        "Replaced 1 SSN instances",
        "Content truncated to 5000 characters",
    };
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_NONE);
    size_t len = 6000;
    char *text = malloc(len + 1);
    mailshield_result *r;
    mailshield_protected p;
    const char *head = "SSN 536-90-1234 ";

    if (text == NULL)
        abort();
    memset(text, 'x', len);
    memcpy(text, head, strlen(head));
    text[len] = '\0';
    r = protect(seed, NULL, text, MAILSHIELD_INPUT_TEXT, &o);
    if (r != NULL) {
        p = protected_copy(r);
        /* 5000 code points of the redacted text, then the marker. */
        if (CHECK_SIZE(p.body.len, 5000 + strlen("[TRUNCATED]"))) {
            CHECK(memcmp(p.body.ptr, "SSN [SSN_REDACTED] xxx", 22) == 0);
            CHECK(memcmp(p.body.ptr + 5000, "[TRUNCATED]", 11) == 0);
        }
        check_log(&p, log, COUNT(log));
        /* The seed pack does not rewrite subjects. */
        CHECK(p.subject.ptr == NULL);
    }
    mailshield_result_free(r);
    free(text);
}

/* The token operator: keyed pseudonyms, the same for the same value. */
static void test_tokens(const char *root, const mailshield_keyset *keys) {
    static const char text[] = "Badge EMP-123456 and EMP-123456, EMP-654321";
    size_t len;
    char *toml = check_read(root, "examples/custom-pack.toml", &len);
    mailshield_engine *engine = NULL;
    mailshield_protect_options o = options(MAILSHIELD_CIPHER_NONE);
    mailshield_keyset *other = NULL;
    mailshield_result *r = POISON(mailshield_result *);
    mailshield_protected p;

    CHECK_OK(mailshield_engine_from_toml((const uint8_t *)toml, len,
                                         &engine));
    free(toml);
    if (engine == NULL)
        return;

    /* A pseudonym needs a key even when nothing is sealed. */
    CHECK_STATUS(mailshield_protect(engine, NULL, (const uint8_t *)text,
                                    strlen(text), MAILSHIELD_INPUT_TEXT, &o,
                                    &r),
                 MAILSHIELD_STATUS_KEY);
    CHECK(r == NULL);
    CHECK_ERROR("mailshield_protect", "token");

    /* Known answer for the Fernet key of the spec. */
    r = protect(engine, keys, text, MAILSHIELD_INPUT_TEXT, &o);
    if (r != NULL) {
        p = protected_copy(r);
        CHECK_BYTES(p.body.ptr, p.body.len,
                    "Badge [EMPLOYEE_ID:df204874] and [EMPLOYEE_ID:df204874], "
                    "[EMPLOYEE_ID:0a942412]");
    }
    mailshield_result_free(r);

    /* Another key, other pseudonyms. */
    CHECK_OK(mailshield_keyset_generate(&other));
    r = protect(engine, other, text, MAILSHIELD_INPUT_TEXT, &o);
    if (r != NULL) {
        p = protected_copy(r);
        CHECK(p.body.len == strlen(text) + 3 * 12 &&
              memcmp(p.body.ptr, "Badge [EMPLOYEE_ID:", 19) == 0 &&
              memcmp(p.body.ptr + 19, "df204874", 8) != 0);
    }
    mailshield_result_free(r);
    mailshield_keyset_free(other);
    mailshield_engine_free(engine);
}

/* Empty input, from a null pointer. */
static void test_empty(const mailshield_engine *engine,
                       const mailshield_keyset *keys) {
    mailshield_result *r = NULL;
    mailshield_protected p;

    CHECK_OK(mailshield_protect(engine, keys, NULL, 0, MAILSHIELD_INPUT_TEXT,
                                NULL, &r));
    if (r == NULL)
        return;
    p = protected_copy(r);
    CHECK_SIZE(p.body.len, 0);
    CHECK_SIZE(p.log_len, 0);
    /* Internal: sealed, and the empty body opens again. */
    check_opens(keys, p.sealed, "-#0", "", 0);
    mailshield_result_free(r);
}

int main(int argc, char **argv) {
    const char *root = check_root(argc, argv);
    mailshield_engine *engine = check_engine("default");
    mailshield_engine *seed = check_engine("seed");
    mailshield_keyset *keys = check_fernet_keys();

    test_cipher_none(engine);
    test_aes_defaults(engine, keys);
    test_message(engine, keys);
    test_given_id(engine, keys);
    test_fernet(engine, keys);
    test_key_errors(engine);
    test_bad_options(engine, keys);
    test_use_level(engine, seed, keys);
    test_seed_truncates(seed);
    test_tokens(root, keys);
    test_empty(engine, keys);
    mailshield_keyset_free(keys);
    mailshield_engine_free(seed);
    mailshield_engine_free(engine);
    return check_report("protect");
}
