/*
 * keys.c: key sets (generated, from a Fernet key, from a key-set file),
 * mailshield_encrypt, mailshield_decrypt and buffers.
 *
 * The Fernet key and token are the known-answer vector of the Fernet
 * specification (github.com/fernet/spec, verify.json): Python's
 * `cryptography` makes and reads the same tokens.
 */

#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char SPEC_TOKEN[] =
    "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUP"
    "gJobwOz7JcbmrR64jVmpU4IwqDA==";

/* Key material for the key-set files below: bytes 0..31 and 32..63. */
static const char KEY_OLD[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
static const char KEY_NEW[] = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/* A scratch directory for key-set files, removed at the end. */
static char scratch[] = "/tmp/mailshield-ctest-XXXXXX";

/* Seals `text` bound to `id`; returns the buffer (NULL on failure). */
static mailshield_buffer *seal(const mailshield_keyset *keys,
                               const char *text, uint32_t cipher,
                               const char *id) {
    mailshield_buffer *sealed = NULL;

    CHECK_OK(mailshield_encrypt(keys, (const uint8_t *)text, strlen(text),
                                cipher, (const uint8_t *)id, strlen(id),
                                &sealed));
    return sealed;
}

/*
 * Opens `sealed` with `keys` and `id`, expecting `want`; on success the
 * clear text must be `clear`.
 */
static void open_as(const mailshield_keyset *keys,
                    const mailshield_buffer *sealed, const char *id,
                    mailshield_status want, const char *clear) {
    mailshield_bytes data = {NULL, 0};
    mailshield_buffer *opened = POISON(mailshield_buffer *);
    mailshield_bytes out = {NULL, 0};

    if (!CHECK_OK(mailshield_buffer_data(sealed, &data)))
        return;
    CHECK_STATUS(mailshield_decrypt(keys, data.ptr, data.len,
                                    (const uint8_t *)id, strlen(id),
                                    &opened),
                 want);
    if (want != MAILSHIELD_STATUS_OK) {
        CHECK(opened == NULL);
        CHECK_ERROR("mailshield_decrypt", "");
        return;
    }
    if (CHECK(opened != NULL) &&
        CHECK_OK(mailshield_buffer_data(opened, &out)))
        CHECK_BYTES(out.ptr, out.len, clear);
    mailshield_buffer_free(opened);
}

/* The text of a buffer, which must start with `prefix`. */
static void check_prefix(const mailshield_buffer *buffer,
                         const char *prefix) {
    mailshield_bytes data = {NULL, 0};

    if (CHECK_OK(mailshield_buffer_data(buffer, &data)))
        CHECK(data.len > strlen(prefix) &&
              memcmp(data.ptr, prefix, strlen(prefix)) == 0);
}

static void test_generate(void) {
    mailshield_keyset *a = NULL, *b = NULL;
    mailshield_buffer *sealed;

    CHECK_OK(mailshield_keyset_generate(&a));
    CHECK_OK(mailshield_keyset_generate(&b));
    if (!CHECK(a != NULL && b != NULL))
        return;
    sealed = seal(a, "card 4111 1111 1111 1111", MAILSHIELD_CIPHER_AES_256_GCM,
                  "m-1");
    check_prefix(sealed, "ms1:");
    open_as(a, sealed, "m-1", MAILSHIELD_STATUS_OK,
            "card 4111 1111 1111 1111");
    /* Bound to its id. */
    open_as(a, sealed, "m-2", MAILSHIELD_STATUS_CRYPTO, NULL);
    open_as(a, sealed, "", MAILSHIELD_STATUS_CRYPTO, NULL);
    /* Another set has no key of that id. */
    open_as(b, sealed, "m-1", MAILSHIELD_STATUS_KEY, NULL);
    mailshield_buffer_free(sealed);

    /* A generated set holds no Fernet key. */
    sealed = POISON(mailshield_buffer *);
    CHECK_STATUS(mailshield_encrypt(a, (const uint8_t *)"x", 1,
                                    MAILSHIELD_CIPHER_FERNET, NULL, 0,
                                    &sealed),
                 MAILSHIELD_STATUS_KEY);
    CHECK(sealed == NULL);
    CHECK_ERROR("mailshield_encrypt", "");
    mailshield_keyset_free(a);
    mailshield_keyset_free(b);
}

static void test_fernet(void) {
    mailshield_keyset *keys = check_fernet_keys();
    mailshield_keyset *other = NULL;
    mailshield_buffer *spec = NULL, *sealed;
    mailshield_bytes data = {NULL, 0};

    /* The spec's token opens to "hello"; a Fernet token binds no id. */
    if (CHECK_OK(mailshield_decrypt(keys, (const uint8_t *)SPEC_TOKEN,
                                    strlen(SPEC_TOKEN), NULL, 0, &spec)) &&
        CHECK_OK(mailshield_buffer_data(spec, &data)))
        CHECK_BYTES(data.ptr, data.len, "hello");
    mailshield_buffer_free(spec);

    /* Our own token round trips, whatever id is given. */
    sealed = seal(keys, "SSN 536-90-1234", MAILSHIELD_CIPHER_FERNET, "a");
    check_prefix(sealed, "gAAAAA");
    open_as(keys, sealed, "another id", MAILSHIELD_STATUS_OK,
            "SSN 536-90-1234");
    mailshield_buffer_free(sealed);

    /* The same set also seals AES-256-GCM envelopes. */
    sealed = seal(keys, "x", MAILSHIELD_CIPHER_AES_256_GCM, "m");
    check_prefix(sealed, "ms1:");
    open_as(keys, sealed, "m", MAILSHIELD_STATUS_OK, "x");
    mailshield_buffer_free(sealed);

    /* Empty data, from a null pointer, round trips. */
    sealed = NULL;
    CHECK_OK(mailshield_encrypt(keys, NULL, 0, MAILSHIELD_CIPHER_AES_256_GCM,
                                NULL, 0, &sealed));
    if (CHECK(sealed != NULL))
        open_as(keys, sealed, "", MAILSHIELD_STATUS_OK, "");
    mailshield_buffer_free(sealed);

    /* A token of another key: does not open. */
    CHECK_OK(mailshield_keyset_generate(&other));
    if (CHECK(other != NULL)) {
        mailshield_buffer *opened = POISON(mailshield_buffer *);

        CHECK(mailshield_decrypt(other, (const uint8_t *)SPEC_TOKEN,
                                 strlen(SPEC_TOKEN), NULL, 0, &opened) !=
              MAILSHIELD_STATUS_OK);
        CHECK(opened == NULL);
    }
    mailshield_keyset_free(other);
    mailshield_keyset_free(keys);
}

/* Flipping any one character of a sealed value makes it fail to open. */
static void test_tamper(void) {
    mailshield_keyset *keys = check_fernet_keys();
    const uint32_t ciphers[] = {MAILSHIELD_CIPHER_AES_256_GCM,
                                MAILSHIELD_CIPHER_FERNET};
    mailshield_buffer *opened = NULL;

    for (size_t c = 0; c < 2; c++) {
        mailshield_buffer *sealed = seal(keys, "tamper me", ciphers[c], "t");
        mailshield_bytes data = {NULL, 0};
        uint8_t *copy;

        if (sealed == NULL || !CHECK_OK(mailshield_buffer_data(sealed, &data)))
            continue;
        copy = malloc(data.len);
        if (copy == NULL)
            abort();
        for (size_t i = 0; i < data.len; i++) {
            mailshield_status st;

            memcpy(copy, data.ptr, data.len);
            copy[i] = copy[i] == 'A' ? 'B' : 'A';
            st = mailshield_decrypt(keys, copy, data.len,
                                    (const uint8_t *)"t", 1, &opened);
            if (!CHECK(st == MAILSHIELD_STATUS_CRYPTO ||
                       st == MAILSHIELD_STATUS_KEY))
                fprintf(stderr, "  cipher %zu, position %zu: %s\n", c, i,
                        check_status_name(st));
            CHECK(opened == NULL);
            if (st == MAILSHIELD_STATUS_OK)
                mailshield_buffer_free(opened);
        }
        /* Cut short. */
        CHECK(mailshield_decrypt(keys, data.ptr, data.len / 2,
                                 (const uint8_t *)"t", 1, &opened) ==
              MAILSHIELD_STATUS_CRYPTO);
        CHECK(opened == NULL);
        free(copy);
        mailshield_buffer_free(sealed);
    }
    /* Not a sealed value at all. */
    CHECK_STATUS(mailshield_decrypt(keys, (const uint8_t *)"not sealed", 10,
                                    NULL, 0, &opened),
                 MAILSHIELD_STATUS_CRYPTO);
    CHECK(opened == NULL);
    mailshield_keyset_free(keys);
}

static void test_bad_fernet_keys(void) {
    const char *bad[] = {
        "",                                             /* empty */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4",  /* no padding */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=x", /* too long */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd",     /* 30 bytes */
        "cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=", /* not URL-safe */
        "not a key at all, no",
    };
    const uint8_t not_utf8[] = {0xff, 0xfe, 0x41};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mailshield_keyset *keys = POISON(mailshield_keyset *);

        if (!CHECK_STATUS(mailshield_keyset_from_fernet_key(
                              (const uint8_t *)bad[i], strlen(bad[i]), &keys),
                          MAILSHIELD_STATUS_KEY))
            fprintf(stderr, "  key %zu: \"%s\"\n", i, bad[i]);
        CHECK(keys == NULL);
        CHECK_ERROR("mailshield_keyset_from_fernet_key", "");
        /* The message never quotes the key. */
        if (strlen(bad[i]) > 8)
            CHECK(strstr(mailshield_last_error(), bad[i]) == NULL);
        if (keys != NULL && keys != (mailshield_keyset *)&keys)
            mailshield_keyset_free(keys);
    }
    {
        mailshield_keyset *keys = POISON(mailshield_keyset *);

        CHECK_STATUS(mailshield_keyset_from_fernet_key(
                         not_utf8, sizeof not_utf8, &keys),
                     MAILSHIELD_STATUS_KEY);
        CHECK(keys == NULL);
    }
}

/* Writes a key-set file under the scratch directory; returns its path. */
static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");

    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static void key_file(char *out, size_t cap, const char *name,
                     const char *primary, int count) {
    char text[1024];
    int n;

    n = snprintf(text, sizeof text,
                 "{\n  \"version\": 1,\n  \"primary\": \"%s\",\n"
                 "  \"keys\": [\n"
                 "    {\"id\": \"k-old\", \"algorithm\": \"aes-256-gcm\","
                 " \"key\": \"%s\", \"created\": \"2025-01-31T09:30:00Z\"}",
                 primary, KEY_OLD);
    if (count > 1)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      ",\n    {\"id\": \"k-new\", \"algorithm\": "
                      "\"aes-256-gcm\", \"key\": \"%s\", "
                      "\"created\": \"2025-06-30T12:00:00Z\"}",
                      KEY_NEW);
    snprintf(text + n, sizeof text - (size_t)n, "\n  ]\n}\n");
    snprintf(out, cap, "%s/%s", scratch, name);
    write_file(out, text);
}

static void test_load(void) {
    char old_path[512], both_path[512], bad_path[512], missing[512];
    mailshield_keyset *old_keys = NULL, *both = NULL;
    mailshield_keyset *keys = POISON(mailshield_keyset *);
    mailshield_buffer *by_old, *by_both;

    key_file(old_path, sizeof old_path, "old.json", "k-old", 1);
    key_file(both_path, sizeof both_path, "both.json", "k-new", 2);
    CHECK_OK(mailshield_keyset_load(old_path, &old_keys));
    CHECK_OK(mailshield_keyset_load(both_path, &both));
    if (old_keys == NULL || both == NULL)
        goto out;

    /* Rotation: what the old key sealed opens with the new set... */
    by_old = seal(old_keys, "rotated", MAILSHIELD_CIPHER_AES_256_GCM, "r");
    open_as(both, by_old, "r", MAILSHIELD_STATUS_OK, "rotated");
    /* ...which seals with its primary, unknown to the old set. */
    by_both = seal(both, "rotated", MAILSHIELD_CIPHER_AES_256_GCM, "r");
    open_as(both, by_both, "r", MAILSHIELD_STATUS_OK, "rotated");
    open_as(old_keys, by_both, "r", MAILSHIELD_STATUS_KEY, NULL);
    mailshield_buffer_free(by_old);
    mailshield_buffer_free(by_both);

    /* A missing file, and a file that is not a key set. */
    snprintf(missing, sizeof missing, "%s/missing.json", scratch);
    CHECK_STATUS(mailshield_keyset_load(missing, &keys),
                 MAILSHIELD_STATUS_KEY);
    CHECK(keys == NULL);
    CHECK_ERROR("mailshield_keyset_load", "missing.json");
    snprintf(bad_path, sizeof bad_path, "%s/bad.json", scratch);
    write_file(bad_path, "{\"version\": 2, \"primary\": \"x\", \"keys\": []}");
    keys = POISON(mailshield_keyset *);
    CHECK_STATUS(mailshield_keyset_load(bad_path, &keys),
                 MAILSHIELD_STATUS_KEY);
    CHECK(keys == NULL);
    CHECK_ERROR("mailshield_keyset_load", "version");
    remove(bad_path);
    /* A directory is not a file. */
    keys = POISON(mailshield_keyset *);
    CHECK_STATUS(mailshield_keyset_load(scratch, &keys),
                 MAILSHIELD_STATUS_KEY);
    CHECK(keys == NULL);
    /* A path that is not UTF-8. */
    keys = POISON(mailshield_keyset *);
    CHECK_STATUS(mailshield_keyset_load("/tmp/\xff.json", &keys),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(keys == NULL);
out:
    mailshield_keyset_free(old_keys);
    mailshield_keyset_free(both);
    remove(old_path);
    remove(both_path);
}

static void test_bad_ciphers(void) {
    mailshield_keyset *keys = check_fernet_keys();
    mailshield_buffer *out = POISON(mailshield_buffer *);

    CHECK_STATUS(mailshield_encrypt(keys, (const uint8_t *)"x", 1,
                                    MAILSHIELD_CIPHER_NONE, NULL, 0, &out),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(out == NULL);
    CHECK_ERROR("mailshield_encrypt", "NONE");
    out = POISON(mailshield_buffer *);
    CHECK_STATUS(mailshield_encrypt(keys, (const uint8_t *)"x", 1, 9, NULL,
                                    0, &out),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(out == NULL);
    CHECK_ERROR("mailshield_encrypt", "9");
    mailshield_keyset_free(keys);
}

int main(void) {
    if (mkdtemp(scratch) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    test_generate();
    test_fernet();
    test_tamper();
    test_bad_fernet_keys();
    test_load();
    test_bad_ciphers();
    mailshield_keyset_free(NULL);
    mailshield_buffer_free(NULL);
    rmdir(scratch);
    return check_report("keys");
}
