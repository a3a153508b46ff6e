/*
 * engine.c: built-in and custom engines, their entity lists, the version
 * and the last error.
 *
 * A custom pack is given as TOML text: the example pack of examples/,
 * read from its file, and a small one written here. Broken packs give
 * MAILSHIELD_STATUS_RULES and a last error naming the call.
 */

#include "check.h"

#include <stdlib.h>

/* A pack of our own: the default pack plus ticket numbers. */
static const char TICKET_PACK[] =
    "[pack]\n"
    "name = \"ctest\"\n"
    "extends = \"default\"\n"
    "\n"
    "[[entity]]\n"
    "name = \"TICKET\"\n"
    "rank = 40\n"
    "mask = \"full\"\n"
    "\n"
    "[[detector]]\n"
    "id = \"ctest-ticket\"\n"
    "entity = \"TICKET\"\n"
    "pattern = '(?-u:\\b)TCK-[0-9]{6}(?-u:\\b)'\n"
    "operator = \"placeholder\"\n"
    "score = 0.9\n";

/* The index of `name` in the engine's entity list, or -1. */
static long entity_index(const mailshield_engine *engine, const char *name) {
    const mailshield_text *items = NULL;
    size_t count = 0;

    if (!CHECK_OK(mailshield_engine_entities(engine, &items, &count)))
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (items[i].len == strlen(name) &&
            memcmp(items[i].ptr, name, items[i].len) == 0)
            return (long)i;
    }
    return -1;
}

/* Report order: types as the detectors first name them, then the rest;
 * every index of the entity table once. */
static void test_entity_order(void) {
    mailshield_engine *engine = check_engine("seed");
    const uint32_t *order = NULL;
    const mailshield_text *names = NULL;
    size_t n = 0, n_names = 0;
    static const char *const first[] = {"SSN", "CREDIT_CARD", "EMAIL",
                                        "PHONE", "IP_ADDRESS"};

    if (CHECK_OK(mailshield_engine_entity_order(engine, &order, &n)) &&
        CHECK_OK(mailshield_engine_entities(engine, &names, &n_names)) &&
        CHECK_SIZE(n, n_names)) {
        for (size_t i = 0; i < 5; i++) {
            CHECK(order[i] < n_names);
            CHECK_TEXT(names[order[i]], first[i]);
        }
        for (size_t e = 0; e < n_names; e++) {
            size_t seen = 0;

            for (size_t i = 0; i < n; i++)
                seen += order[i] == e;
            CHECK(seen == 1);
        }
    }
    mailshield_engine_free(engine);
}

/* The version is the package's, as Cargo.toml gives it; the ABI's. */
static void test_version(const char *root) {
    const char *v = mailshield_version();
    size_t len;
    char *manifest = check_read(root, "Cargo.toml", &len);
    const char *line = strstr(manifest, "\nversion = \"");
    char want[64] = "";

    if (CHECK(line != NULL)) {
        const char *start = line + strlen("\nversion = \"");
        const char *end = strchr(start, '"');

        if (CHECK(end != NULL && (size_t)(end - start) < sizeof want))
            memcpy(want, start, (size_t)(end - start));
    }
    free(manifest);
    if (!CHECK(v != NULL))
        return;
    if (strcmp(v, want) != 0)
        check_fail(__FILE__, __LINE__, "version \"%s\", want \"%s\"", v,
                   want);
    /* Static: the same pointer every time. */
    CHECK(mailshield_version() == v);
    /* The ABI this header describes is the one the library has. */
    CHECK(mailshield_abi_version() == MAILSHIELD_ABI_VERSION);
}

static void test_builtin_engines(void) {
    const char *packs[] = {NULL, "default", "seed"};
    size_t default_count = 0;

    for (size_t i = 0; i < sizeof packs / sizeof packs[0]; i++) {
        mailshield_engine *engine = check_engine(packs[i]);
        const mailshield_text *items = NULL;
        size_t count = 0;

        CHECK_OK(mailshield_engine_entities(engine, &items, &count));
        CHECK(count > 0 && items != NULL);
        for (size_t j = 0; j < count; j++)
            CHECK(items[j].ptr != NULL && items[j].ptr[items[j].len] == 0);
        /* Both packs know the types the parity inputs hold. */
        CHECK(entity_index(engine, "EMAIL") >= 0);
        CHECK(entity_index(engine, "CREDIT_CARD") >= 0);
        CHECK(entity_index(engine, "SSN") >= 0);
        CHECK(entity_index(engine, "TICKET") < 0);
        if (i == 0)
            default_count = count;
        if (i == 1)
            CHECK_SIZE(count, default_count);
        mailshield_engine_free(engine);
    }
}

static void test_unknown_builtin(void) {
    mailshield_engine *engine = POISON(mailshield_engine *);
    /* "\xff" is not UTF-8. */
    const char not_utf8[] = {'d', (char)0xff, '\0'};

    CHECK_STATUS(mailshield_engine_new("nope", &engine),
                 MAILSHIELD_STATUS_RULES);
    CHECK(engine == NULL);
    CHECK_ERROR("mailshield_engine_new", "nope");

    engine = POISON(mailshield_engine *);
    CHECK_STATUS(mailshield_engine_new(not_utf8, &engine),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(engine == NULL);
    CHECK_ERROR("mailshield_engine_new", "UTF-8");
}

/* The example pack of examples/: its own type is found and masked. */
static void test_example_pack(const char *root) {
    size_t len = 0;
    char *toml = check_read(root, "examples/custom-pack.toml", &len);
    mailshield_engine *engine = NULL;
    const char *text = "Badge EMP-123456 for jane@example.com";
    mailshield_result *result;
    const mailshield_finding *f;
    size_t n;

    if (!CHECK_OK(mailshield_engine_from_toml((const uint8_t *)toml, len,
                                              &engine))) {
        free(toml);
        return;
    }
    free(toml);
    CHECK(entity_index(engine, "EMPLOYEE_ID") >= 0);
    result = check_scan_text(engine, text);
    f = check_findings(result, &n);
    if (CHECK_SIZE(n, 2)) {
        CHECK_TEXT(f[0].entity_type, "EMPLOYEE_ID");
        CHECK_SIZE(f[0].span.start, 6);
        CHECK_SIZE(f[0].span.end, 16);
        CHECK_TEXT(f[0].masked, "***");
        CHECK(f[0].entity == (uint32_t)entity_index(engine, "EMPLOYEE_ID"));
        CHECK_TEXT(f[1].entity_type, "EMAIL");
        CHECK_SIZE(f[1].span.start, 21);
        CHECK_SIZE(f[1].span.end, 37);
    }
    mailshield_result_free(result);
    mailshield_engine_free(engine);
}

static void test_ticket_pack(void) {
    mailshield_engine *engine = NULL;
    mailshield_result *result;
    const mailshield_finding *f;
    size_t n;

    if (!CHECK_OK(mailshield_engine_from_toml((const uint8_t *)TICKET_PACK,
                                              strlen(TICKET_PACK), &engine)))
        return;
    result = check_scan_text(engine, "see TCK-004217 and TCK-12");
    f = check_findings(result, &n);
    if (CHECK_SIZE(n, 1)) {
        CHECK_TEXT(f[0].entity_type, "TICKET");
        CHECK_SIZE(f[0].span.start, 4);
        CHECK_SIZE(f[0].span.end, 14);
        CHECK_TEXT(f[0].masked, "***");
        CHECK(f[0].entity == (uint32_t)entity_index(engine, "TICKET"));
    }
    mailshield_result_free(result);
    mailshield_engine_free(engine);
}

/* Packs that must be refused, and what their errors must name. */
static void test_broken_packs(void) {
    static const struct {
        const char *toml;
        const char *part; /* in the last error */
    } cases[] = {
        /* Not TOML at all. */
        {"[pack\nname = ", "mailshield_engine_from_toml: "},
        /* A pattern that does not compile: the error names it. */
        {"[pack]\nname = \"bad\"\nextends = \"default\"\n"
         "[[detector]]\nid = \"broken-one\"\nentity = \"EMAIL\"\n"
         "pattern = '(unclosed'\n",
         "broken-one"},
        /* A misspelt field is refused, not ignored. */
        {"[pack]\nname = \"bad\"\nextnds = \"default\"\n", "extnds"},
        /* A base that does not exist. */
        {"[pack]\nname = \"bad\"\nextends = \"nosuchpack\"\n", "nosuchpack"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mailshield_engine *engine = POISON(mailshield_engine *);
        const char *toml = cases[i].toml;

        CHECK_STATUS(mailshield_engine_from_toml((const uint8_t *)toml,
                                                 strlen(toml), &engine),
                     MAILSHIELD_STATUS_RULES);
        CHECK(engine == NULL);
        CHECK_ERROR("mailshield_engine_from_toml", cases[i].part);
    }
}

static void test_toml_edges(void) {
    mailshield_engine *engine = POISON(mailshield_engine *);
    const uint8_t not_utf8[] = {'[', 'p', 0xc3, 0x28, ']'};

    CHECK_STATUS(mailshield_engine_from_toml(not_utf8, sizeof not_utf8,
                                             &engine),
                 MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CHECK(engine == NULL);
    CHECK_ERROR("mailshield_engine_from_toml", "UTF-8");

    /* Empty text (a null pointer with length 0 is allowed) is no pack. */
    engine = POISON(mailshield_engine *);
    CHECK_STATUS(mailshield_engine_from_toml(NULL, 0, &engine),
                 MAILSHIELD_STATUS_RULES);
    CHECK(engine == NULL);
}

/* A result outlives its engine: the engine may be freed first. */
static void test_result_outlives_engine(void) {
    mailshield_engine *engine = check_engine("default");
    mailshield_result *result =
        check_scan_text(engine, "write to a@example.com");
    const mailshield_finding *f;
    size_t n;

    mailshield_engine_free(engine);
    f = check_findings(result, &n);
    if (CHECK_SIZE(n, 1))
        CHECK_TEXT(f[0].masked, "***@example.com");
    CHECK(check_json(result).len > 0);
    mailshield_result_free(result);
}

static void test_last_error(void) {
    mailshield_engine *engine = NULL;
    const char *before;

    CHECK(mailshield_last_error() != NULL);
    CHECK_STATUS(mailshield_engine_new("nope", &engine),
                 MAILSHIELD_STATUS_RULES);
    before = mailshield_last_error();
    CHECK(before != NULL && strlen(before) > 0);
    /* A call that succeeds leaves the last error as it was. */
    engine = check_engine("default");
    CHECK_ERROR("mailshield_engine_new", "nope");
    mailshield_engine_free(engine);
}

int main(int argc, char **argv) {
    const char *root = check_root(argc, argv);

    /* Nothing failed on this thread yet: an empty text, not null. */
    CHECK(mailshield_last_error() != NULL);
    CHECK(strcmp(mailshield_last_error(), "") == 0);
    test_version(root);
    test_builtin_engines();
    test_entity_order();
    test_unknown_builtin();
    test_example_pack(root);
    test_ticket_pack();
    test_broken_packs();
    test_toml_edges();
    test_result_outlives_engine();
    test_last_error();
    mailshield_engine_free(NULL);
    return check_report("engine");
}
