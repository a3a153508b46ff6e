/*
 * scan.c: mailshield_scan of plain text and of raw messages, read through
 * every accessor of a result: summary, findings, keywords, fields, risk
 * factors, recommended actions, warnings, errors and the JSON line.
 *
 * The JSON lines expected here are what `mailshield scan -` prints for
 * the same input given as a JSONL record (`{"body": ...}`) or as a
 * message on stdin: the ABI and the command line write the same record.
 */

#include "check.h"

#include <stdio.h>
#include <stdlib.h>

/* Every type of the default pack the parity inputs meet, in one text. */
static const char PLAIN[] =
    "Contact jane.doe@example.com or call (415) 555-0134. Card 4111 1111 "
    "1111 1111, SSN 536-90-1234. confidential";

static void test_plain_text(const mailshield_engine *engine) {
    static const check_finding want[] = {
        {"EMAIL", 0, 8, 28, 0, 0, 0, 0, 0.9, true, "***@example.com"},
        {"PHONE", 0, 37, 51, 0, 0, 0, 0, 0.95, true, "***0134"},
        {"CREDIT_CARD", 0, 58, 77, 0, 0, 0, 0, 0.95, true, "***1111"},
        {"SSN", 0, 83, 94, 0, 0, 0, 0, 0.95, true, "***1234"},
    };
    static const check_keyword words[] = {
        {"confidential", 0, 96, 108, false},
    };
    static const char *const risks[] = {
        "High-sensitivity PII detected",
        "Sensitive keywords: confidential",
    };
    static const char *const actions[] = {
        "Apply encryption",
        "Enable access logging",
        "Require approval for access",
    };
    mailshield_result *result = check_scan_text(engine, PLAIN);
    mailshield_summary s = check_summary(result);
    const mailshield_text *entities = NULL, *items = NULL;
    const mailshield_finding *f;
    const mailshield_field *fields;
    size_t n_entities = 0, n;

    CHECK(s.level == MAILSHIELD_LEVEL_RESTRICTED);
    CHECK_TEXT(s.classification, "restricted");
    CHECK(s.confidence > 0.9499 && s.confidence < 0.9501);
    CHECK(s.complete);
    CHECK_TEXT(s.id, "-#0");
    CHECK_FINDINGS(result, want);
    CHECK_KEYWORDS(result, words);

    /* A finding's `entity` indexes the engine's list of types. */
    CHECK_OK(mailshield_engine_entities(engine, &entities, &n_entities));
    f = check_findings(result, &n);
    for (size_t i = 0; i < n; i++) {
        if (CHECK(f[i].entity < n_entities))
            CHECK(entities[f[i].entity].len == f[i].entity_type.len &&
                  memcmp(entities[f[i].entity].ptr, f[i].entity_type.ptr,
                         f[i].entity_type.len) == 0);
    }

    /*
     * Plain text is one field, `body`, whose text the caller holds: the
     * result has none.
     */
    fields = check_fields(result, &n);
    if (CHECK_SIZE(n, 1)) {
        CHECK_TEXT(fields[0].name, "body");
        CHECK_SIZE(fields[0].text.len, 0);
    }

    CHECK_OK(mailshield_result_risk_factors(result, &items, &n));
    CHECK_TEXTS(items, n, risks);
    CHECK_OK(mailshield_result_recommended_actions(result, &items, &n));
    CHECK_TEXTS(items, n, actions);
    CHECK_OK(mailshield_result_warnings(result, &items, &n));
    CHECK_NO_TEXTS(items, n);
    CHECK_OK(mailshield_result_errors(result, &items, &n));
    CHECK_NO_TEXTS(items, n);
    mailshield_result_free(result);
}

/* The JSON line of a small text: `mailshield scan -` on a JSONL record. */
static void test_json_line(const mailshield_engine *engine) {
    mailshield_result *result =
        check_scan_text(engine, "write to a@example.com");
    mailshield_text first = check_json(result);

    CHECK_TEXT(first,
               "{\"id\":\"-#0\",\"source\":{\"path\":\"-\",\"index\":0},"
               "\"classification\":\"confidential\",\"confidence\":0.85,"
               "\"findings\":[{\"type\":\"EMAIL\",\"field\":\"body\","
               "\"start\":9,\"end\":22,\"score\":0.9,\"validated\":true,"
               "\"masked\":\"***@example.com\"}],\"keywords\":[],"
               "\"counts\":{\"EMAIL\":1},\"risk_factors\":[\"PII detected\"],"
               "\"recommended_actions\":[\"Apply encryption\","
               "\"Enable access logging\",\"Require approval for access\"],"
               "\"complete\":true,\"warnings\":[],\"errors\":[]}");
    /* Built once: the second call gives the same view. */
    CHECK(check_json(result).ptr == first.ptr);
    mailshield_result_free(result);
}

/* A raw message: header fields, the Message-ID, decoded parts. */
static void test_message(const mailshield_engine *engine) {
    static const char raw[] =
        "From: Jane <jane@example.com>\r\n"
        "Subject: call 415-555-0134\r\n"
        "Message-ID: <m-7@example.com>\r\n"
        "\r\n"
        "Card 4111 1111 1111 1111 here.\r\n";
    static const check_finding want[] = {
        {"EMAIL", 0, 6, 22, 0, 0, 0, 0, 0.9, true, "***@example.com"},
        {"PHONE", 1, 5, 17, 0, 0, 0, 0, 0.95, true, "***0134"},
        {"CREDIT_CARD", 2, 5, 24, 0, 0, 0, 0, 0.95, true, "***1111"},
    };
    mailshield_result *result =
        check_scan(engine, raw, strlen(raw), MAILSHIELD_INPUT_MESSAGE);
    mailshield_summary s = check_summary(result);
    const mailshield_field *fields;
    size_t n;

    CHECK_TEXT(s.id, "m-7@example.com");
    CHECK(s.level == MAILSHIELD_LEVEL_RESTRICTED && s.complete);
    CHECK_FINDINGS(result, want);
    fields = check_fields(result, &n);
    if (CHECK_SIZE(n, 3)) {
        CHECK_TEXT(fields[0].name, "from");
        CHECK_BYTES(fields[0].text.ptr, fields[0].text.len,
                    "Jane <jane@example.com>");
        CHECK_TEXT(fields[1].name, "subject");
        CHECK_BYTES(fields[1].text.ptr, fields[1].text.len,
                    "call 415-555-0134");
        CHECK_TEXT(fields[2].name, "body");
        CHECK_BYTES(fields[2].text.ptr, fields[2].text.len,
                    "Card 4111 1111 1111 1111 here.\r\n");
    }
    /* What `mailshield scan -` prints for this message on stdin. */
    CHECK_TEXT(
        check_json(result),
        "{\"id\":\"m-7@example.com\",\"source\":{\"path\":\"-\",\"index\":0},"
        "\"classification\":\"restricted\",\"confidence\":0.95,"
        "\"findings\":[{\"type\":\"EMAIL\",\"field\":\"from\",\"start\":6,"
        "\"end\":22,\"score\":0.9,\"validated\":true,"
        "\"masked\":\"***@example.com\"},{\"type\":\"PHONE\","
        "\"field\":\"subject\",\"start\":5,\"end\":17,\"score\":0.95,"
        "\"validated\":true,\"masked\":\"***0134\"},"
        "{\"type\":\"CREDIT_CARD\",\"field\":\"body\",\"start\":5,"
        "\"end\":24,\"score\":0.95,\"validated\":true,"
        "\"masked\":\"***1111\"}],\"keywords\":[],"
        "\"counts\":{\"CREDIT_CARD\":1,\"EMAIL\":1,\"PHONE\":1},"
        "\"risk_factors\":[\"High-sensitivity PII detected\"],"
        "\"recommended_actions\":[\"Apply encryption\","
        "\"Enable access logging\",\"Require approval for access\"],"
        "\"complete\":true,\"warnings\":[],\"errors\":[]}");
    mailshield_result_free(result);
}

/* Multipart: one field per text part, HTML made text. */
static void test_multipart(const mailshield_engine *engine) {
    static const char raw[] =
        "From: a@example.com\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "U1NOIDUzNi05MC0xMjM0\r\n" /* "SSN 536-90-1234" */
        "--b1\r\n"
        "Content-Type: text/html\r\n"
        "\r\n"
        "<p>Call <b>415-555-0134</b> &amp; bye</p>\r\n"
        "--b1--\r\n";
    static const check_finding want[] = {
        {"EMAIL", 0, 0, 13, 0, 0, 0, 0, 0.9, true, "***@example.com"},
        {"SSN", 1, 4, 15, 0, 0, 0, 0, 0.95, true, "***1234"},
        {"PHONE", 2, 5, 17, 0, 0, 0, 0, 0.95, true, "***0134"},
    };
    mailshield_result *result =
        check_scan(engine, raw, strlen(raw), MAILSHIELD_INPUT_MESSAGE);
    const mailshield_field *fields;
    const mailshield_text *items;
    size_t n;

    CHECK_FINDINGS(result, want);
    CHECK_TEXT(check_summary(result).id, "-#0");
    fields = check_fields(result, &n);
    if (CHECK_SIZE(n, 3)) {
        CHECK_TEXT(fields[0].name, "from");
        CHECK_TEXT(fields[1].name, "body");
        CHECK_BYTES(fields[1].text.ptr, fields[1].text.len,
                    "SSN 536-90-1234");
        CHECK_TEXT(fields[2].name, "body.1");
        CHECK_BYTES(fields[2].text.ptr, fields[2].text.len,
                    "Call 415-555-0134 & bye");
    }
    CHECK_OK(mailshield_result_warnings(result, &items, &n));
    CHECK_NO_TEXTS(items, n);
    mailshield_result_free(result);
}

/* Keywords in a disclaimer footer are found but do not classify. */
static void test_footer(const mailshield_engine *engine) {
    static const char text[] =
        "Hi, the merger is secret.\n"
        "\n"
        "Call 415-555-0134.\n"
        "\n"
        "This email is intended solely for the addressee and may contain "
        "confidential information.\n";
    static const check_keyword words[] = {
        {"secret", 0, 18, 24, false},
        {"confidential", 0, 111, 123, true},
    };
    static const char *const risks[] = {
        "PII detected",
        "Sensitive keywords: secret",
    };
    mailshield_result *result = check_scan_text(engine, text);
    const mailshield_text *items;
    size_t n;

    CHECK_KEYWORDS(result, words);
    CHECK_OK(mailshield_result_risk_factors(result, &items, &n));
    CHECK_TEXTS(items, n, risks);
    CHECK_TEXT(check_summary(result).classification, "confidential");
    mailshield_result_free(result);
}

/* A buffer is its length: NUL bytes are scanned through. */
static void test_nul_bytes(const mailshield_engine *engine) {
    static const char email[] = "x\0y alice@example.com";
    static const char card[] = "4111\0" "1111\0" "1111\0" "1111";
    static const check_finding want_email[] = {
        {"EMAIL", 0, 4, 21, 0, 0, 0, 0, 0.9, true, "***@example.com"},
    };
    /* No context word near it ("card"...): the detector's own score. */
    static const check_finding want_card[] = {
        {"CREDIT_CARD", 0, 0, 19, 0, 0, 0, 0, 0.8, true, "***1111"},
    };
    mailshield_result *result;

    result = check_scan(engine, email, sizeof email - 1,
                        MAILSHIELD_INPUT_TEXT);
    CHECK_FINDINGS(result, want_email);
    mailshield_result_free(result);
    result = check_scan(engine, card, sizeof card - 1, MAILSHIELD_INPUT_TEXT);
    CHECK_FINDINGS(result, want_card);
    mailshield_result_free(result);
}

/* Decoding warnings: a result still, with the reason in `warnings`. */
static void test_warnings(const mailshield_engine *engine) {
    static const char unclosed[] =
        "From: a@example.com\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "SSN 536-90-1234\r\n";
    static const char *const cut[] = {
        "no closing MIME boundary; the message may be truncated at byte 120",
    };
    static const char *const not_mail[] = {
        "not an RFC 5322 message; scanned as raw bytes",
    };
    static const char *const empty[] = {"empty message"};
    static const check_finding raw_email[] = {
        {"EMAIL", 0, 9, 22, 0, 0, 0, 0, 0.9, true, "***@example.com"},
    };
    mailshield_result *result;
    const mailshield_text *items;
    const mailshield_field *fields;
    size_t n;

    result = check_scan(engine, unclosed, strlen(unclosed),
                        MAILSHIELD_INPUT_MESSAGE);
    CHECK_OK(mailshield_result_warnings(result, &items, &n));
    CHECK_TEXTS(items, n, cut);
    CHECK(check_summary(result).complete);
    CHECK_OK(mailshield_result_errors(result, &items, &n));
    CHECK_NO_TEXTS(items, n);
    mailshield_result_free(result);

    /* Text given as a message: one field, `raw`. */
    result = check_scan(engine, "write to a@example.com", 22,
                        MAILSHIELD_INPUT_MESSAGE);
    CHECK_OK(mailshield_result_warnings(result, &items, &n));
    CHECK_TEXTS(items, n, not_mail);
    CHECK_FINDINGS(result, raw_email);
    fields = check_fields(result, &n);
    if (CHECK_SIZE(n, 1))
        CHECK_TEXT(fields[0].name, "raw");
    mailshield_result_free(result);

    /* Nothing at all, from a null pointer. */
    result = check_scan(engine, NULL, 0, MAILSHIELD_INPUT_MESSAGE);
    CHECK_OK(mailshield_result_warnings(result, &items, &n));
    CHECK_TEXTS(items, n, empty);
    CHECK_NO_FINDINGS(result);
    mailshield_result_free(result);
}

/* A candidate longer than the pack's longest match: `errors`. */
static void test_errors(void) {
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
        "TCK-42 ok";
    static const char *const errors[] = {
        "body: a candidate of detector `ctest-ticket` is longer than the "
        "pack's longest match (32 bytes)",
    };
    static const check_finding want[] = {
        {"TICKET", 0, 3, 35, 0, 0, 0, 0, 0.9, false, "***"},
        {"TICKET", 0, 63, 69, 0, 0, 0, 0, 0.9, false, "***"},
    };
    mailshield_engine *engine = NULL;
    mailshield_result *result;
    const mailshield_text *items;
    size_t n;

    if (!CHECK_OK(mailshield_engine_from_toml((const uint8_t *)toml,
                                              strlen(toml), &engine)))
        return;
    result = check_scan_text(engine, text);
    CHECK(!check_summary(result).complete);
    CHECK_OK(mailshield_result_errors(result, &items, &n));
    CHECK_TEXTS(items, n, errors);
    CHECK_FINDINGS(result, want);
    CHECK(strstr(check_json(result).ptr,
                 "\"complete\":false,\"warnings\":[],\"errors\":[\"body: a "
                 "candidate of detector `ctest-ticket` is longer") != NULL);
    mailshield_result_free(result);
    mailshield_engine_free(engine);
}

/*
 * Bytes that are not UTF-8 pass through; code points and UTF-16 units
 * count each maximal invalid sequence as one U+FFFD, as Python's and
 * .NET's replacing decoders read it.
 */
static void test_not_utf8(const mailshield_engine *engine) {
    /*
     * 0xff starts no sequence and 0x80 continues none: two invalid
     * sequences, two code points, two UTF-16 units.
     */
    static const char text[] = "\xff\x80 mail a@example.com \xc3";
    mailshield_result *result = check_scan_text(engine, text);
    const mailshield_finding *f;
    size_t n;

    f = check_findings(result, &n);
    if (CHECK_SIZE(n, 1)) {
        CHECK_TEXT(f[0].entity_type, "EMAIL");
        CHECK_TEXT(f[0].masked, "***@example.com");
        CHECK(f[0].span.start == 8 && f[0].span.end == 21);
        CHECK(f[0].span.start_char == 8 && f[0].span.end_char == 21);
        CHECK(f[0].span.start_utf16 == 8 && f[0].span.end_utf16 == 21);
    }
    /* The JSON carries no field text, and stays UTF-8. */
    CHECK(check_json(result).len > 0);
    mailshield_result_free(result);
}

/*
 * No call keeps a pointer it was given: a result, its lists and its JSON
 * (built on first use) are read after the scanned buffer is gone.
 */
static void test_buffer_not_kept(const mailshield_engine *engine) {
    static const check_finding want[] = {
        {"EMAIL", 0, 8, 28, 0, 0, 0, 0, 0.9, true, "***@example.com"},
        {"PHONE", 0, 37, 51, 0, 0, 0, 0, 0.95, true, "***0134"},
        {"CREDIT_CARD", 0, 58, 77, 0, 0, 0, 0, 0.95, true, "***1111"},
        {"SSN", 0, 83, 94, 0, 0, 0, 0, 0.95, true, "***1234"},
    };
    static const char *const kinds[] = {"text", "message"};

    for (uint32_t kind = 0; kind < 2; kind++) {
        char *copy = malloc(sizeof PLAIN);
        mailshield_result *result;
        const mailshield_field *fields;
        mailshield_text json;
        size_t n;

        if (copy == NULL)
            abort();
        memcpy(copy, PLAIN, sizeof PLAIN);
        result = check_scan(engine, copy, strlen(copy), kind);
        /* Scribbled over, then freed: valgrind sees any later read. */
        memset(copy, '#', strlen(copy));
        free(copy);
        fprintf(stderr, "  reading a %s result after its buffer is freed\n",
                kinds[kind]);
        CHECK_FINDINGS(result, want);
        json = check_json(result);
        CHECK(strstr(json.ptr, "\"masked\":\"***1234\"") != NULL);
        fields = check_fields(result, &n);
        for (size_t i = 0; i < n; i++)
            CHECK(fields[i].text.len == 0 ||
                  memchr(fields[i].text.ptr, '#', fields[i].text.len) ==
                      NULL);
        mailshield_result_free(result);
    }
}

/* Nothing found: empty lists, public or internal, complete. */
static void test_nothing(const mailshield_engine *engine) {
    mailshield_result *result = check_scan(engine, NULL, 0,
                                           MAILSHIELD_INPUT_TEXT);
    const mailshield_text *items = NULL;
    const mailshield_field *fields;
    size_t n = 1;

    CHECK_NO_FINDINGS(result);
    CHECK_OK(mailshield_result_keywords(
        result, &(const mailshield_keyword *){NULL}, &n));
    CHECK_SIZE(n, 0);
    CHECK_OK(mailshield_result_risk_factors(result, &items, &n));
    CHECK_NO_TEXTS(items, n);
    CHECK(check_summary(result).complete);
    fields = check_fields(result, &n);
    if (CHECK_SIZE(n, 1)) {
        CHECK_TEXT(fields[0].name, "body");
        CHECK_SIZE(fields[0].text.len, 0);
    }
    mailshield_result_free(result);
}

static void test_bad_kind(const mailshield_engine *engine) {
    mailshield_result *result = POISON(mailshield_result *);

    CHECK_STATUS(mailshield_scan(engine, (const uint8_t *)"x", 1, 99, &result),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(result == NULL);
    CHECK_ERROR("mailshield_scan", "unknown input kind 99");
}

/* A JSONL record: its own id, its keys as fields, byte offsets. */
static void test_record_kind(const mailshield_engine *engine) {
    static const char record[] =
        "{\"id\": \"r-7\", \"subject\": \"hello\", "
        "\"body\": \"mail ana@example.com\", \"team\": \"ops\"}";
    mailshield_result *result = NULL;
    const mailshield_field *fields;
    const mailshield_finding *findings;
    size_t n = 0;

    if (!CHECK_OK(mailshield_scan(engine, (const uint8_t *)record,
                                  sizeof record - 1, MAILSHIELD_INPUT_RECORD,
                                  &result)))
        return;
    CHECK_TEXT(check_summary(result).id, "r-7");
    fields = check_fields(result, &n);
    if (CHECK_SIZE(n, 2)) {
        CHECK_TEXT(fields[0].name, "body");
        CHECK_TEXT(fields[1].name, "subject");
    }
    findings = check_findings(result, &n);
    if (CHECK_SIZE(n, 1)) {
        CHECK_SIZE(findings[0].field, 0);
        CHECK_SIZE(findings[0].span.start, 5);
        CHECK_SIZE(findings[0].span.end, 20);
    }
    mailshield_result_free(result);
}

/* A scan result has no protected copy. */
static void test_no_protected_copy(const mailshield_engine *engine) {
    mailshield_result *result = check_scan_text(engine, "a@example.com");
    mailshield_protected p;

    CHECK_STATUS(mailshield_result_protected(result, &p),
                 MAILSHIELD_STATUS_STATE);
    CHECK_ERROR("mailshield_result_protected", "no protected copy");
    mailshield_result_free(result);
}

/* One read gives what every accessor gives, the same pointers. */
static void test_read_all(const mailshield_engine *engine) {
    mailshield_result *result = check_scan_text(engine, PLAIN);
    mailshield_result_view v;
    const mailshield_finding *f = NULL;
    const mailshield_keyword *k = NULL;
    const mailshield_field *fields = NULL;
    const mailshield_text *risks = NULL, *actions = NULL, *warnings = NULL;
    const mailshield_text *errors = NULL;
    size_t nf, nk, nfields, nr, na, nw, ne;
    mailshield_summary s = check_summary(result);

    if (!CHECK_OK(mailshield_result_read(result, &v)))
        return;
    CHECK_OK(mailshield_result_findings(result, &f, &nf));
    CHECK_OK(mailshield_result_keywords(result, &k, &nk));
    CHECK_OK(mailshield_result_fields(result, &fields, &nfields));
    CHECK_OK(mailshield_result_risk_factors(result, &risks, &nr));
    CHECK_OK(mailshield_result_recommended_actions(result, &actions, &na));
    CHECK_OK(mailshield_result_warnings(result, &warnings, &nw));
    CHECK_OK(mailshield_result_errors(result, &errors, &ne));
    CHECK(v.findings == f && v.findings_len == nf && nf == 4);
    CHECK(v.keywords == k && v.keywords_len == nk && nk == 1);
    CHECK(v.fields == fields && v.fields_len == nfields);
    CHECK(v.risk_factors == risks && v.risk_factors_len == nr && nr == 2);
    CHECK(v.recommended_actions == actions && v.recommended_actions_len == na);
    CHECK(v.warnings_len == nw && v.errors_len == ne);
    CHECK(v.summary.level == s.level && v.summary.id.ptr == s.id.ptr);
    CHECK(v.summary.complete == s.complete);
    mailshield_result_free(result);
}

int main(void) {
    mailshield_engine *engine = check_engine("default");

    test_plain_text(engine);
    test_json_line(engine);
    test_message(engine);
    test_multipart(engine);
    test_footer(engine);
    test_nul_bytes(engine);
    test_warnings(engine);
    test_errors();
    test_not_utf8(engine);
    test_buffer_not_kept(engine);
    test_nothing(engine);
    test_bad_kind(engine);
    test_record_kind(engine);
    test_no_protected_copy(engine);
    test_read_all(engine);
    mailshield_engine_free(engine);
    mailshield_result_free(NULL);
    return check_report("scan");
}
