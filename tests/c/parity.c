/*
 * parity.c: the parity inputs of tests/data/parity scanned through the C
 * ABI give exactly the findings of expected.tsv, the table the Rust,
 * Python and C# tests check too.
 *
 * C counts bytes; the ABI also gives code points and UTF-16 units, and
 * all three are checked against the table. The code point and UTF-16
 * offsets are also recomputed here from the field's bytes, so the table
 * is not the only witness.
 */

#include "check.h"

#include <stdio.h>
#include <stdlib.h>

/* One row of expected.tsv. */
typedef struct {
    char input[64], field[64], type[64], masked[64], level[32];
    size_t start, end, start_char, end_char, start_utf16, end_utf16;
    bool seen;
} row;

static const struct {
    const char *name;
    uint32_t kind;
} INPUTS[] = {
    {"plain.txt", MAILSHIELD_INPUT_TEXT},
    {"emoji.txt", MAILSHIELD_INPUT_TEXT},
    {"message.eml", MAILSHIELD_INPUT_MESSAGE},
};

/* Splits `line` at tabs into at most `max` parts; returns their number. */
static size_t split(char *line, char **parts, size_t max) {
    size_t n = 0;

    while (n < max) {
        parts[n++] = line;
        line = strchr(line, '\t');
        if (line == NULL)
            break;
        *line++ = '\0';
    }
    return n;
}

static void copy(char *to, size_t cap, const char *from) {
    if (!CHECK(strlen(from) < cap))
        return;
    memcpy(to, from, strlen(from) + 1);
}

/* Reads the table; `*count` gets its number of rows. */
static row *read_table(const char *root, size_t *count) {
    size_t len;
    char *text = check_read(root, "tests/data/parity/expected.tsv", &len);
    row *rows = calloc(64, sizeof *rows);
    char *line, *next;
    size_t n = 0;

    if (rows == NULL)
        abort();
    for (line = text; line != NULL && *line != '\0'; line = next) {
        char *parts[12];
        char *end = NULL;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!CHECK(split(line, parts, 12) == 11) || !CHECK(n < 64))
            continue;
        copy(rows[n].input, sizeof rows[n].input, parts[0]);
        copy(rows[n].field, sizeof rows[n].field, parts[1]);
        copy(rows[n].type, sizeof rows[n].type, parts[2]);
        rows[n].start = strtoul(parts[3], &end, 10);
        rows[n].end = strtoul(parts[4], &end, 10);
        rows[n].start_char = strtoul(parts[5], &end, 10);
        rows[n].end_char = strtoul(parts[6], &end, 10);
        rows[n].start_utf16 = strtoul(parts[7], &end, 10);
        rows[n].end_utf16 = strtoul(parts[8], &end, 10);
        copy(rows[n].masked, sizeof rows[n].masked, parts[9]);
        copy(rows[n].level, sizeof rows[n].level, parts[10]);
        n++;
    }
    free(text);
    *count = n;
    return rows;
}

/*
 * Code points and UTF-16 units in the first `len` bytes of valid UTF-8:
 * a lead byte starts a code point, and one of four bytes (0xf0 and up)
 * needs a surrogate pair.
 */
static void units(const uint8_t *text, size_t len, size_t *chars,
                  size_t *utf16) {
    *chars = *utf16 = 0;
    for (size_t i = 0; i < len; i++) {
        if ((text[i] & 0xc0) != 0x80) {
            *chars += 1;
            *utf16 += text[i] >= 0xf0 ? 2 : 1;
        }
    }
}

static bool same(mailshield_text t, const char *s) {
    return t.ptr != NULL && t.len == strlen(s) && memcmp(t.ptr, s, t.len) == 0;
}

/* Checks one input against the rows of the table that name it. */
static void check_input(const mailshield_engine *engine, const char *root,
                        const char *name, uint32_t kind, row *rows,
                        size_t n_rows) {
    char rel[256];
    size_t len, n, n_fields, expected = 0;
    char *data;
    mailshield_result *result;
    mailshield_summary summary;
    const mailshield_finding *f;
    const mailshield_field *fields;

    snprintf(rel, sizeof rel, "tests/data/parity/%s", name);
    data = check_read(root, rel, &len);
    result = check_scan(engine, data, len, kind);
    summary = check_summary(result);
    f = check_findings(result, &n);
    fields = check_fields(result, &n_fields);

    for (size_t i = 0; i < n; i++) {
        const mailshield_field *field;
        const uint8_t *text;
        size_t text_len, c0, u0, c1, u1;
        bool matched = false;

        /* Sorted by field, then start. */
        if (i > 0)
            CHECK(f[i - 1].field < f[i].field ||
                  (f[i - 1].field == f[i].field &&
                   f[i - 1].span.start <= f[i].span.start));
        if (!CHECK(f[i].field < n_fields))
            continue;
        field = &fields[f[i].field];
        /*
         * The text the spans index: the caller's own buffer for plain
         * text (the result keeps no copy), else the decoded field.
         */
        if (kind == MAILSHIELD_INPUT_TEXT) {
            CHECK_SIZE(field->text.len, 0);
            text = (const uint8_t *)data;
            text_len = len;
        } else {
            text = field->text.ptr;
            text_len = field->text.len;
        }
        if (!CHECK(f[i].span.end <= text_len))
            continue;

        /* The code point and UTF-16 offsets, recomputed from the bytes. */
        units(text, f[i].span.start, &c0, &u0);
        units(text, f[i].span.end, &c1, &u1);
        CHECK(f[i].span.start_char == c0 && f[i].span.end_char == c1);
        CHECK(f[i].span.start_utf16 == u0 && f[i].span.end_utf16 == u1);

        for (size_t r = 0; r < n_rows && !matched; r++) {
            row *w = &rows[r];

            if (w->seen || strcmp(w->input, name) != 0 ||
                !same(field->name, w->field) ||
                !same(f[i].entity_type, w->type) ||
                f[i].span.start != w->start || f[i].span.end != w->end ||
                f[i].span.start_char != w->start_char ||
                f[i].span.end_char != w->end_char ||
                f[i].span.start_utf16 != w->start_utf16 ||
                f[i].span.end_utf16 != w->end_utf16 ||
                !same(f[i].masked, w->masked))
                continue;
            CHECK(same(summary.classification, w->level));
            w->seen = matched = true;
        }
        if (!matched)
            check_fail(__FILE__, __LINE__,
                       "%s: finding %s in %s at %zu..%zu (chars %zu..%zu, "
                       "utf16 %zu..%zu) \"%s\" is not in expected.tsv",
                       name, f[i].entity_type.ptr, field->name.ptr,
                       f[i].span.start, f[i].span.end, f[i].span.start_char,
                       f[i].span.end_char, f[i].span.start_utf16,
                       f[i].span.end_utf16, f[i].masked.ptr);
    }
    for (size_t r = 0; r < n_rows; r++)
        expected += strcmp(rows[r].input, name) == 0;
    CHECK_SIZE(n, expected);
    mailshield_result_free(result);
    free(data);
}

int main(int argc, char **argv) {
    const char *root = check_root(argc, argv);
    mailshield_engine *engine = check_engine("default");
    size_t n_rows = 0;
    row *rows = read_table(root, &n_rows);

    CHECK(n_rows >= COUNT(INPUTS));
    for (size_t i = 0; i < COUNT(INPUTS); i++)
        check_input(engine, root, INPUTS[i].name, INPUTS[i].kind, rows,
                    n_rows);
    for (size_t r = 0; r < n_rows; r++) {
        if (!rows[r].seen)
            check_fail(__FILE__, __LINE__,
                       "expected.tsv: %s %s %s at %zu..%zu was not found",
                       rows[r].input, rows[r].field, rows[r].type,
                       rows[r].start, rows[r].end);
    }
    free(rows);
    mailshield_engine_free(engine);
    return check_report("parity");
}
