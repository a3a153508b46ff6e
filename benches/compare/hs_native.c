/*
 * Native Hyperscan throughput on a set of message bodies.
 *
 *   hs_native [--threads N] [--rounds R] [--no-som] [--spans OUT]
 *             PATTERNS BODIES
 *
 * PATTERNS has one pattern a line: "ID<TAB>FLAGS<TAB>EXPRESSION", FLAGS a
 * string of letters: i caseless, s start of match (leftmost), u UTF-8,
 * p Unicode properties (UCP), or "-" for none. BODIES is the bodies one
 * after another, each a 4-byte little-endian length and its bytes, as
 * compare.py writes them.
 *
 * Block mode, one database, one scratch per thread (cloned from a
 * prototype), messages handed out in chunks of 64 through an atomic
 * counter. The callback only counts matches (and, with --spans, records
 * them in the first round). --no-som drops the start-of-match flag, which
 * is what lets Hyperscan run fastest. One untimed round comes first.
 * Prints one JSON line: rounds in
 * seconds, the median, MB/s at the median (MB = 10^6 bytes) and the match
 * count of one round.
 */
#include <hs/hs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 64
#define MAX_PATTERNS 64

struct body {
    const char *text;
    unsigned int len;
};

struct span {
    unsigned int id;
    unsigned long long start, end;
};

struct spans {
    struct span *items;
    size_t len, cap;
};

struct worker {
    pthread_t thread;
    hs_scratch_t *scratch;
    unsigned long long matches;
    struct spans *per_body; /* NULL unless spans are wanted */
};

static const hs_database_t *db;
static const struct body *bodies;
static size_t body_count;
static atomic_size_t next_body;

static void die(const char *what)
{
    fprintf(stderr, "hs_native: %s\n", what);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL)
        die("out of memory");
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        die("out of memory");
    return p;
}

/* The whole file, or death. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        die(path);
    long n;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
        die(path);
    char *buf = xrealloc(NULL, (size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0)
        die(path);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static unsigned int parse_flags(const char *s)
{
    unsigned int flags = 0;
    for (; *s; s++) {
        switch (*s) {
        case 'i': flags |= HS_FLAG_CASELESS; break;
        case 's': flags |= HS_FLAG_SOM_LEFTMOST; break;
        case 'u': flags |= HS_FLAG_UTF8; break;
        case 'p': flags |= HS_FLAG_UCP; break;
        case '-': break;
        default: die("unknown pattern flag");
        }
    }
    return flags;
}

static hs_database_t *compile(char *text, int som)
{
    const char *exprs[MAX_PATTERNS];
    unsigned int flags[MAX_PATTERNS], ids[MAX_PATTERNS];
    unsigned int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f = strchr(line, '\t');
        char *e = f ? strchr(f + 1, '\t') : NULL;
        if (e == NULL || n == MAX_PATTERNS)
            die("bad pattern line");
        *f = *e = '\0';
        ids[n] = (unsigned int)atoi(line);
        flags[n] = parse_flags(f + 1);
        if (!som)
            flags[n] &= ~HS_FLAG_SOM_LEFTMOST;
        exprs[n++] = e + 1;
    }
    hs_database_t *out;
    hs_compile_error_t *err;
    if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &out,
                         &err) != HS_SUCCESS) {
        fprintf(stderr, "hs_native: pattern %d: %s\n", err->expression,
                err->message);
        exit(2);
    }
    return out;
}

/* Splits the length-prefixed bodies. */
static struct body *split_bodies(const char *buf, size_t len, size_t *count)
{
    struct body *out = NULL;
    size_t n = 0, cap = 0, at = 0;
    while (at + 4 <= len) {
        const unsigned char *p = (const unsigned char *)buf + at;
        unsigned int blen = p[0] | p[1] << 8 | p[2] << 16
                            | (unsigned int)p[3] << 24;
        if (at + 4 + blen > len)
            die("truncated bodies file");
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            out = xrealloc(out, cap * sizeof *out);
        }
        out[n].text = buf + at + 4;
        out[n++].len = blen;
        at += 4 + (size_t)blen;
    }
    *count = n;
    return out;
}

struct match_ctx {
    struct worker *w;
    struct spans *spans;
};

static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx)
{
    struct match_ctx *m = ctx;
    (void)flags;
    m->w->matches++;
    if (m->spans) {
        struct spans *s = m->spans;
        if (s->len == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->items = xrealloc(s->items, s->cap * sizeof *s->items);
        }
        s->items[s->len++] = (struct span){id, from, to};
    }
    return 0;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct match_ctx m = {w, NULL};
    for (;;) {
        size_t first = atomic_fetch_add(&next_body, CHUNK);
        if (first >= body_count)
            return NULL;
        size_t last = first + CHUNK < body_count ? first + CHUNK
                                                 : body_count;
        for (size_t i = first; i < last; i++) {
            m.spans = w->per_body ? &w->per_body[i] : NULL;
            if (hs_scan(db, bodies[i].text, bodies[i].len, 0, w->scratch,
                        on_match, &m) != HS_SUCCESS)
                die("hs_scan failed");
        }
    }
}

static double now(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        die("clock_gettime failed");
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void write_spans(const char *path, const struct spans *per_body)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die(path);
    for (size_t i = 0; i < body_count; i++)
        for (size_t k = 0; k < per_body[i].len; k++) {
            const struct span *s = &per_body[i].items[k];
            if (fprintf(f, "%zu\t%u\t%llu\t%llu\n", i, s->id, s->start,
                        s->end) < 0)
                die(path);
        }
    if (fclose(f) != 0)
        die(path);
}

int main(int argc, char **argv)
{
    int threads = 1, rounds = 5, som = 1;
    const char *spans_path = NULL, *paths[2];
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-som"))
            som = 0;
        else if (!strcmp(argv[i], "--spans") && i + 1 < argc)
            spans_path = argv[++i];
        else if (npaths < 2)
            paths[npaths++] = argv[i];
        else
            die("usage: hs_native [--threads N] [--rounds R] [--no-som] "
                "[--spans OUT] PATTERNS BODIES");
    }
    if (npaths != 2 || threads < 1 || rounds < 1)
        die("usage: hs_native [--threads N] [--rounds R] [--no-som] "
            "[--spans OUT] PATTERNS BODIES");

    /* Load and compile, untimed. */
    size_t plen, blen, total = 0;
    db = compile(read_file(paths[0], &plen), som);
    const char *buf = read_file(paths[1], &blen);
    bodies = split_bodies(buf, blen, &body_count);
    for (size_t i = 0; i < body_count; i++)
        total += bodies[i].len;
    hs_scratch_t *proto = NULL;
    if (hs_alloc_scratch(db, &proto) != HS_SUCCESS)
        die("hs_alloc_scratch failed");
    struct worker *w = xcalloc((size_t)threads, sizeof *w);
    for (int t = 0; t < threads; t++)
        if (hs_clone_scratch(proto, &w[t].scratch) != HS_SUCCESS)
            die("hs_clone_scratch failed");
    struct spans *per_body =
        spans_path ? xcalloc(body_count, sizeof *per_body) : NULL;

    /*
     * Timed rounds, after one untimed round that warms the threads'
     * scratch; spans are recorded in the warm-up round.
     */
    double *secs = xcalloc((size_t)rounds + 1, sizeof *secs);
    unsigned long long matches = 0;
    for (int r = 0; r <= rounds; r++) {
        atomic_store(&next_body, 0);
        for (int t = 0; t < threads; t++) {
            w[t].matches = 0;
            w[t].per_body = r == 0 ? per_body : NULL;
        }
        double t0 = now();
        for (int t = 0; t < threads; t++)
            if (pthread_create(&w[t].thread, NULL, work, &w[t]) != 0)
                die("pthread_create failed");
        for (int t = 0; t < threads; t++)
            if (pthread_join(w[t].thread, NULL) != 0)
                die("pthread_join failed");
        secs[r] = now() - t0;
        unsigned long long m = 0;
        for (int t = 0; t < threads; t++)
            m += w[t].matches;
        if (r > 0 && m != matches)
            die("match count changed between rounds");
        matches = m;
    }
    if (per_body)
        write_spans(spans_path, per_body);
    secs++; /* the warm-up round */

    /* Report. */
    printf("{\"engine\": \"hyperscan-native\", \"som\": %s, "
           "\"threads\": %d, \"bytes\": %zu, \"bodies\": %zu, "
           "\"matches\": %llu, \"rounds_s\": [",
           som ? "true" : "false", threads, total, body_count, matches);
    for (int r = 0; r < rounds; r++)
        printf("%s%.6f", r ? ", " : "", secs[r]);
    qsort(secs, (size_t)rounds, sizeof *secs, by_double);
    double med = rounds % 2 ? secs[rounds / 2]
                            : (secs[rounds / 2 - 1] + secs[rounds / 2]) / 2;
    printf("], \"median_s\": %.6f, \"MBps\": %.2f}\n", med,
           (double)total / med / 1e6);
    if (ferror(stdout) || fflush(stdout) != 0)
        die("cannot write the report");
    return 0;
}
