/*
 * scrubber._native: the hot loop of scrubber.core.scrub_block in C.
 *
 * It splits a block into lines, finds each line's timestamp (the grammar in
 * scrubber/timestamps.py, by hand), drops expired lines, and splits the kept
 * lines into tokens ([0-9A-Za-z_.:-] runs, with "%3A"/"%253A" and "\\." / "\\:" inside).  A token that could contain an
 * address (contains "::", >= 6 ':', >= 3 '.', >= 3 '-' or "--") is looked up in a dict owned by
 * Python; on a miss the Python callback (scrubber.addresses.scrub_token) decides
 * and the answer is stored.  So what counts as an address is decided in one
 * place, in Python; C only has to agree on token boundaries and timestamps.
 *
 * Memory safety: every read is checked against the end of the line; the output
 * buffer grows with overflow checks.  No state survives a call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

static unsigned char TOK[256];   /* [0-9A-Za-z_.:-] */
static unsigned char DIG[256];   /* [0-9] */
static unsigned char HEX[256];   /* [0-9A-Fa-f] */
/* What a byte is to the tokenizer: one table load per byte in the scan loops, instead
 * of a chain of compares (the scan was most of a run's cycles). */
enum { C_SEP = 0, C_WORD, C_COLON, C_DOT, C_DASH, C_PCT, C_BSL, C_ESC, C_LBR };
static unsigned char CLS[256];
static unsigned char SPECIAL[256]; /* ':', '.', '-', '%': a token without one never changes */

static void init_tables(void) {
    int c;
    for (c = 0; c < 256; c++) {
        TOK[c] = (unsigned char)((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                                 (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == ':' || c == '-');
        DIG[c] = (unsigned char)(c >= '0' && c <= '9');
        HEX[c] = (unsigned char)(DIG[c] || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
        CLS[c] = c == ':' ? C_COLON : c == '.' ? C_DOT : c == '-' ? C_DASH : TOK[c] ? C_WORD
                 : c == '%' ? C_PCT : c == '\\' ? C_BSL : c == 0x1b ? C_ESC : c == '[' ? C_LBR : C_SEP;
        SPECIAL[c] = (unsigned char)(c == ':' || c == '.' || c == '-' || c == '%' || c == '\\' || c == 0x1b || c == '[');
    }
}

/* The first byte in [p, end) that is ':', '.', '-', '%', '\\', ESC or '[' (SPECIAL), or end.  Sixteen
 * bytes at a time where SSE2 is there (every x86-64); the same answer either way. */
static const unsigned char *find_special(const unsigned char *p, const unsigned char *end) {
#ifdef __SSE2__
    const __m128i colon = _mm_set1_epi8(':'), dot = _mm_set1_epi8('.'), dash = _mm_set1_epi8('-'),
                  pct = _mm_set1_epi8('%'), bsl = _mm_set1_epi8('\\'), esc = _mm_set1_epi8(0x1b),
                  lbr = _mm_set1_epi8('[');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, colon), _mm_cmpeq_epi8(v, dot)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, dash), _mm_cmpeq_epi8(v, pct)));
        m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, bsl), _mm_or_si128(_mm_cmpeq_epi8(v, esc), _mm_cmpeq_epi8(v, lbr))));
        int bits = _mm_movemask_epi8(m);
        if (bits) return p + __builtin_ctz((unsigned)bits);
        p += 16;
    }
#endif
    while (p < end && !SPECIAL[*p]) p++;
    return p;
}

/* ---------------------------------------------------------------- output */
typedef struct {
    char *buf;
    size_t len, cap;
} Out;

static int out_put(Out *o, const char *p, size_t n) {
    if (n == 0) return 0;
    if (o->len + n < o->len) { PyErr_NoMemory(); return -1; }
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n) {
            if (cap > ((size_t)-1) / 2) { PyErr_NoMemory(); return -1; }
            cap *= 2;
        }
        char *nb = (char *)PyMem_Realloc(o->buf, cap);
        if (!nb) { PyErr_NoMemory(); return -1; }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return 0;
}

/* ------------------------------------------------------------ timestamps */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static const char *MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char *WEEKDAYS = "MonTueWedThuFriSatSun";

/* month number 1..12 of 3 bytes at p, or 0 */
static int month_at(const unsigned char *p, const unsigned char *end) {
    int i;
    if (end - p < 3) return 0;
    for (i = 0; i < 12; i++)
        if (p[0] == (unsigned char)MONTHS[3 * i] && p[1] == (unsigned char)MONTHS[3 * i + 1] &&
            p[2] == (unsigned char)MONTHS[3 * i + 2])
            return i + 1;
    return 0;
}

static int weekday_at(const unsigned char *p, const unsigned char *end) {
    int i;
    if (end - p < 3) return 0;
    for (i = 0; i < 7; i++)
        if (p[0] == (unsigned char)WEEKDAYS[3 * i] && p[1] == (unsigned char)WEEKDAYS[3 * i + 1] &&
            p[2] == (unsigned char)WEEKDAYS[3 * i + 2])
            return 1;
    return 0;
}

/* exactly n digits at p (n <= 9); value or -1 */
static int64_t num_at(const unsigned char *p, const unsigned char *end, int n) {
    int64_t v = 0;
    int i;
    if (end - p < n) return -1;
    for (i = 0; i < n; i++) {
        if (!DIG[p[i]]) return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* HH:MM:SS at p (8 bytes) with ranges; seconds of day or -1 */
static int64_t hms_at(const unsigned char *p, const unsigned char *end) {
    int64_t h, m, s;
    if (end - p < 8 || p[2] != ':' || p[5] != ':') return -1;
    h = num_at(p, end, 2);
    m = num_at(p + 3, end, 2);
    s = num_at(p + 6, end, 2);
    if (h < 0 || m < 0 || s < 0 || h > 23 || m > 59 || s > 60) return -1;
    return h * 3600 + m * 60 + s;
}

/* 2-digit day 01..31 */
static int64_t dd_at(const unsigned char *p, const unsigned char *end) {
    int64_t d = num_at(p, end, 2);
    return (d >= 1 && d <= 31) ? d : -1;
}

/* " {1,2}" then a 1-2 digit day 1..31 then ' '; returns day and sets *next past the ' ' */
static int64_t spaced_day(const unsigned char *p, const unsigned char *end, const unsigned char **next) {
    int spaces = 0, nd = 0;
    int64_t d = 0;
    while (p < end && *p == ' ' && spaces < 3) { p++; spaces++; }
    if (spaces < 1 || spaces > 2) return -1;
    while (p < end && DIG[*p] && nd < 3) { d = d * 10 + (*p - '0'); p++; nd++; }
    if (nd < 1 || nd > 2 || d < 1 || d > 31) return -1;
    if (p >= end || *p != ' ') return -1;
    *next = p + 1;
    return d;
}

typedef struct {
    int enabled;
    int64_t utc, naive, now_naive, now_year;
} Cut;

/* CLF: DD/Mon/YYYY:HH:MM:SS +HHMM (26 bytes) at p.  1: found. */
static int clf_at(const unsigned char *p, const unsigned char *end, int *zoned, int64_t *secs) {
    if (end - p >= 26 && p[2] == '/') {
        int64_t d = dd_at(p, end), y, sod, oh, om;
        int mon = month_at(p + 3, end);
        if (d > 0 && mon && p[6] == '/' && (y = num_at(p + 7, end, 4)) >= 0 && p[11] == ':' &&
            (sod = hms_at(p + 12, end)) >= 0 && p[20] == ' ' && (p[21] == '+' || p[21] == '-') &&
            (oh = num_at(p + 22, end, 2)) >= 0 && (om = num_at(p + 24, end, 2)) >= 0) {
            int64_t off = oh * 3600 + om * 60;
            int64_t s = days_from_civil(y, mon, d) * 86400 + sod;
            *zoned = 1;
            *secs = p[21] == '+' ? s - off : s + off;
            return 1;
        }
    }
    return 0;
}

/* Unix time at q (after a key's ':'): an optional space, then digits (a fraction after
 * them changes no whole second).  The unit by the count of digits: 13, 16, 19 are ms,
 * us, ns; seconds in 1-12 digits under "ts" (ts_key), else in 10 only.  Any other count:
 * not a timestamp (0). */
static int unix_at(const unsigned char *q, const unsigned char *end, int ts_key, int *zoned, int64_t *secs) {
    uint64_t v = 0;
    int nd = 0;
    if (q < end && *q == ' ') q++;
    while (q < end && DIG[*q]) {
        if (++nd > 19) return 0;
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
    if (nd == 13) v /= 1000u;
    else if (nd == 16) v /= 1000000u;
    else if (nd == 19) v /= 1000000000u;
    else if (nd == 0 || (ts_key ? nd > 12 : nd != 10)) return 0;
    *zoned = 1;
    *secs = (int64_t)v;
    return 1;
}

/* Try every format at p in grammar order.  1: found (*zoned, *secs set). */
static int ts_at(const unsigned char *p, const unsigned char *end, const Cut *cut, int *zoned, int64_t *secs) {
    unsigned char c = *p;
    if (DIG[c]) {
        if (clf_at(p, end, zoned, secs)) return 1;
        if (end - p >= 19 && (p[4] == '/' || p[4] == '-')) {
            int64_t y = num_at(p, end, 4), mo = num_at(p + 5, end, 2), d, sod;
            if (y >= 0 && mo >= 1 && mo <= 12 && p[7] == p[4] && (d = dd_at(p + 8, end)) > 0) {
                if (p[4] == '/') {
                    /* nginx error: YYYY/MM/DD HH:MM:SS */
                    if (p[10] == ' ' && (sod = hms_at(p + 11, end)) >= 0) {
                        *zoned = 0;
                        *secs = days_from_civil(y, mo, d) * 86400 + sod;
                        return 1;
                    }
                } else if ((p[10] == 'T' || p[10] == 't' || p[10] == ' ') && (sod = hms_at(p + 11, end)) >= 0) {
                    /* ISO 8601 */
                    const unsigned char *q = p + 19;
                    int64_t s = days_from_civil(y, mo, d) * 86400 + sod;
                    if (end - q >= 2 && (*q == '.' || *q == ',') && DIG[q[1]]) {
                        q++;
                        while (q < end && DIG[*q]) q++;
                    }
                    if (q < end && (*q == 'Z' || *q == 'z')) {
                        *zoned = 1;
                        *secs = s;
                        return 1;
                    }
                    if (end - q >= 5 && (*q == '+' || *q == '-')) {
                        int64_t oh = num_at(q + 1, end, 2), om = -1;
                        if (oh >= 0) {
                            if (q[3] == ':') om = num_at(q + 4, end, 2);
                            else om = num_at(q + 3, end, 2);
                        }
                        if (oh >= 0 && om >= 0) {
                            int64_t off = oh * 3600 + om * 60;
                            *zoned = 1;
                            *secs = *q == '+' ? s - off : s + off;
                            return 1;
                        }
                    }
                    *zoned = 0;
                    *secs = s;
                    return 1;
                }
            }
        }
        return 0;
    }
    if (c == '"') /* Caddy, zap: "ts": Unix time (timestamps.py TS_RE caddy) */
        return end - p >= 5 && memcmp(p, "\"ts\":", 5) == 0 && unix_at(p + 5, end, 1, zoned, secs);
    if (c >= 'A' && c <= 'Z') {
        const unsigned char *q;
        int64_t d, sod, y;
        int mon;
        /* Apache error log: Wkd Mon {1,2}D HH:MM:SS(.frac)? YYYY */
        if (weekday_at(p, end) && end - p > 4 && p[3] == ' ' && (mon = month_at(p + 4, end)) &&
            (d = spaced_day(p + 7, end, &q)) > 0 && (sod = hms_at(q, end)) >= 0) {
            q += 8;
            if (end - q >= 2 && *q == '.' && DIG[q[1]]) {
                q++;
                while (q < end && DIG[*q]) q++;
            }
            if (q < end && *q == ' ' && (y = num_at(q + 1, end, 4)) >= 0) {
                *zoned = 0;
                *secs = days_from_civil(y, mon, d) * 86400 + sod;
                return 1;
            }
        }
        /* RFC 3164: Mon {1,2}D HH:MM:SS */
        if ((mon = month_at(p, end)) && (d = spaced_day(p + 3, end, &q)) > 0 && (sod = hms_at(q, end)) >= 0) {
            int64_t s = days_from_civil(cut->now_year, mon, d) * 86400 + sod;
            if (s > cut->now_naive + 86400) s = days_from_civil(cut->now_year - 1, mon, d) * 86400 + sod;
            *zoned = 0;
            *secs = s;
            return 1;
        }
    }
    return 0;
}

static const char *const JSON_TIME_KEYS[] = {
    "\"ts\":", "\"time\":", "\"time_local\":", "\"time_iso8601\":", "\"timestamp\":", "\"@timestamp\":", NULL};

/* The format's own time field (timestamps.py _format_time, in the same order):
 * a JSON line's time key, CLF's `[time] "`, at the line's start.  1: found. */
/* After an optional syslog <PRI> (and RFC 5424 "1 ") and an optional '[' (timestamps.py
 * _LEAD_RE): where a line's own timestamp starts. */
static const unsigned char *lead_end(const unsigned char *p, const unsigned char *end) {
    const unsigned char *q = p, *r;
    if (q < end && *q == '<') {
        int nd = 0;
        r = q + 1;
        while (r < end && DIG[*r] && nd < 3) { r++; nd++; }
        if (nd >= 1 && r < end && *r == '>') {
            q = r + 1;
            if (end - q >= 2 && q[0] == '1' && q[1] == ' ') q += 2;
        }
    }
    if (q < end && *q == '[') q++;
    return q;
}

/* Which of JSON_TIME_KEYS starts at r: its index (*len its length), or -1. */
static int time_key_at(const unsigned char *r, const unsigned char *end, size_t *len) {
    int k;
    for (k = 0; JSON_TIME_KEYS[k]; k++) {
        size_t n = strlen(JSON_TIME_KEYS[k]);
        if ((size_t)(end - r) >= n && memcmp(r, JSON_TIME_KEYS[k], n) == 0) {
            *len = n;
            return k;
        }
    }
    return -1;
}

/* Where a key's value starts: after an optional space and an opening quote
 * (timestamps.py _value_at). */
static const unsigned char *value_start(const unsigned char *v, const unsigned char *end) {
    if (v < end && *v == ' ') v++;
    if (v < end && *v == '"') v++;
    return v;
}

static int format_ts(const unsigned char *p, const unsigned char *end, const Cut *cut, int *zoned, int64_t *secs) {
    const unsigned char *q, *r;
    if (p < end && *p == '{') { /* a JSON line's time key first: a value may end in "] " */
        for (r = p; r < end; r++) {
            size_t len;
            int k;
            if (*r != '"' || (k = time_key_at(r, end, &len)) < 0) continue;
            if (k == 0) { /* "ts": Unix time */
                if (ts_at(r, end, cut, zoned, secs)) return 1;
            } else { /* the others: a time as text */
                const unsigned char *v = value_start(r + len, end);
                if (v < end && ts_at(v, end, cut, zoned, secs)) return 1;
            }
            r += len - 1; /* like finditer: on after the key */
        }
        /* Only where no key holds one: "ts" as text (zap's ISO 8601), and Unix time under
         * "time" or "timestamp" in the top-level object (timestamps.py _format_time,
         * _depths: strings and their escapes skipped, brackets and braces counted; a
         * quote inside a string, escaped or closing it, is no key). */
        {
            int depth = 0, in_string = 0;
            for (r = p; r < end; r++) {
                unsigned char c = *r;
                size_t len;
                int k;
                if (c == '"' && !in_string && (k = time_key_at(r, end, &len)) >= 0) {
                    const unsigned char *v = value_start(r + len, end);
                    if (k == 0 && v < end && ts_at(v, end, cut, zoned, secs)) return 1;
                    if ((k == 1 || k == 4) && depth == 1 && unix_at(r + len, end, 0, zoned, secs)) return 1;
                }
                if (in_string) {
                    if (c == '\\') r++;
                    else if (c == '"') in_string = 0;
                } else if (c == '"') {
                    in_string = 1;
                } else if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    depth--;
                }
            }
        }
    }
    for (r = p; end - r >= 30; r++) {
        r = memchr(r, '[', (size_t)(end - r - 29)); /* the next '[' that has 29 bytes after it */
        if (!r) break;
        if (r[27] == ']' && r[28] == ' ' && r[29] == '"' && clf_at(r + 1, end, zoned, secs)) return 1;
    }
    q = lead_end(p, end);
    return q < end && ts_at(q, end, cut, zoned, secs);
}

/* -1: no timestamp; 0: fresh; 1: expired */
static int line_expired(const unsigned char *p, const unsigned char *end, const Cut *cut) {
    int zoned;
    int64_t secs;
    if (format_ts(p, end, cut, &zoned, &secs)) return secs < (zoned ? cut->utc : cut->naive);
    for (; p < end; p++) {
        unsigned char c = *p;
        if (!(DIG[c] || c == '"' || (c >= 'A' && c <= 'Z'))) continue;
        if (ts_at(p, end, cut, &zoned, &secs)) return secs < (zoned ? cut->utc : cut->naive);
    }
    return -1;
}

/* --------------------------------------------------------------- tokens */
typedef struct {
    PyObject *table, *callback;
    Py_ssize_t limit;
    long long addrs;
    long long v4mask; /* >= 0: truncate plain "a.b.c.d" / "a.b.c.d:port" tokens here */
    int v6prefix;     /* >= 0: truncate plain IPv6 tokens (hex and ':' only) here */
} Ctx;

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decimal 0..255 at buf by hand (snprintf was a quarter of all cycles); returns the length. */
static int put_u8(char *buf, unsigned int v) {
    if (v >= 100) {
        buf[0] = (char)('0' + v / 100);
        buf[1] = (char)('0' + v / 10 % 10);
        buf[2] = (char)('0' + v % 10);
        return 3;
    }
    if (v >= 10) {
        buf[0] = (char)('0' + v / 10);
        buf[1] = (char)('0' + v % 10);
        return 2;
    }
    buf[0] = (char)('0' + v);
    return 1;
}

/* "a.b.c.d" (at most 15 bytes) */
static int fast_v4_text(unsigned long addr, char *buf) {
    int len = put_u8(buf, (unsigned int)((addr >> 24) & 255));
    buf[len++] = '.';
    len += put_u8(buf + len, (unsigned int)((addr >> 16) & 255));
    buf[len++] = '.';
    len += put_u8(buf + len, (unsigned int)((addr >> 8) & 255));
    buf[len++] = '.';
    return len + put_u8(buf + len, (unsigned int)(addr & 255));
}

/* Lower-case hex of a 16-bit group without leading zeros, like "%x". */
static int put_hex16(char *buf, unsigned int v) {
    static const char digits[] = "0123456789abcdef";
    int n = v >= 0x1000 ? 4 : v >= 0x100 ? 3 : v >= 0x10 ? 2 : 1, i;
    for (i = n - 1; i >= 0; i--) {
        buf[i] = digits[v & 15];
        v >>= 4;
    }
    return n;
}

/* Fast path for a token that is a plain IPv6 address: hex digits and ':' only,
 * valid by the same rules as Python's ipaddress.IPv6Address.  Writes what
 * AddressPolicy.v6_text writes (IPv4-mapped: "::ffff:" + truncated IPv4; else
 * truncated and compressed like ipaddress).  -1: use the general path. */
static int fast_v6(const Ctx *cx, const unsigned char *s, const unsigned char *e, char *buf) {
    unsigned int hi[8], lo[8], g[8];
    int nhi = 0, nlo = 0, skip = 0, i, len = 0, all2 = 1;
    const unsigned char *p = s;
    if (e - s < 2 || e - s > 39) return -1;
    if (p[0] == ':') {
        if (p[1] != ':') return -1;
        skip = 1;
        p += 2;
    }
    while (p < e) {
        unsigned int x = 0;
        int nd = 0, h;
        while (p < e && (h = hexval(*p)) >= 0) {
            if (++nd > 4) return -1;
            x = x * 16 + (unsigned)h;
            p++;
        }
        if (nd == 0) return -1;
        if (nd != 2) all2 = 0;
        if (skip) { if (nlo >= 8) return -1; lo[nlo++] = x; }
        else { if (nhi >= 8) return -1; hi[nhi++] = x; }
        if (p >= e) break;
        if (*p != ':') return -1;
        p++;
        if (p < e && *p == ':') {
            if (skip) return -1;
            skip = 1;
            p++;
            if (p >= e) break;
        } else if (p >= e) {
            return -1; /* trailing single ':' */
        }
    }
    if (skip) {
        if (nhi + nlo > 7) return -1;
    } else if (nhi != 8 || all2) {
        return -1; /* (all two-digit groups: a MAC-style run, addresses.py _MAC_RUN_RE) */
    }
    if (skip && nlo >= 2) {
        /* "...::x:NNNN" with a decimal last group also reads as address:port:
         * the general path truncates such tokens more (see addresses.py). */
        const unsigned char *q = e;
        while (q > s && DIG[q[-1]]) q--;
        if (q > s && q[-1] == ':') return -1;
    }
    for (i = 0; i < 8; i++) g[i] = 0;
    for (i = 0; i < nhi; i++) g[i] = hi[i];
    for (i = 0; i < nlo; i++) g[8 - nlo + i] = lo[i];
    if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xFFFF) {
        unsigned long a = ((unsigned long)g[6] << 16) | g[7];
        memcpy(buf, "::ffff:", 7);
        len = fast_v4_text(a & (unsigned long)cx->v4mask, buf + 7);
        return (len < 0 || len >= 24) ? -1 : len + 7;
    }
    {
        int bits = cx->v6prefix, bs = -1, bl = 0, cs = -1, cl = 0;
        unsigned int g5 = g[5];
        /* An embedded IPv4 address is truncated as IPv4 too (AddressPolicy.v6_embedded):
         * 6to4 2002:AABB:CCDD::, and the low 32 bits of NAT64 64:ff9b::/96 and Teredo 2001::/32. */
        int sixtofour = g[0] == 0x2002;
        int low4 = g5 == 0xFFFF || ((g[0] & 0xFF) == 0x64 && g[1] == 0xFF9B && !g[2] && !g[3] && !g[4] && !g5) ||
                   (g[0] == 0x2001 && g[1] == 0);
        for (i = 0; i < 8; i++) {
            int keep = bits >= 16 ? 16 : (bits > 0 ? bits : 0);
            g[i] &= keep == 0 ? 0u : (0xFFFFu << (16 - keep)) & 0xFFFFu;
            bits -= 16;
        }
        if (sixtofour) {
            unsigned long v4 = (((unsigned long)g[1] << 16) | g[2]) & (unsigned long)cx->v4mask;
            g[1] = (unsigned int)(v4 >> 16);
            g[2] = (unsigned int)(v4 & 0xFFFF);
        }
        if (low4) { /* an IPv4 tail: truncated as IPv4 too */
            unsigned long low = (((unsigned long)g[6] << 16) | g[7]) & (unsigned long)cx->v4mask;
            g[6] = (unsigned int)(low >> 16);
            g[7] = (unsigned int)(low & 0xFFFF);
        }
        for (i = 0; i < 8; i++) {
            if (g[i] == 0) {
                if (cs < 0) cs = i;
                cl++;
                if (cl > bl) { bl = cl; bs = cs; }
            } else {
                cs = -1;
                cl = 0;
            }
        }
        if (bl < 2) bs = -1;
        for (i = 0; i < 8; i++) {
            if (i == bs) {
                buf[len++] = ':';
                buf[len++] = ':';
                i += bl - 1;
                continue;
            }
            if (len > 0 && buf[len - 1] != ':') buf[len++] = ':';
            len += put_hex16(buf + len, g[i]);
        }
        return len;
    }
}

/* Fast path for the most common token: a dotted quad (1-3 digit numbers <= 255),
 * optionally followed by ":digits".  Same output as scrub_token (normalised
 * decimal, masked).  Returns the length written to buf, or -1 to use the
 * general path. */
static int fast_v4(const Ctx *cx, const unsigned char *s, const unsigned char *e, char *buf) {
    unsigned int v[4];
    int k, len;
    unsigned long addr;
    const unsigned char *p = s;
    for (k = 0; k < 4; k++) {
        int nd = 0;
        unsigned int x = 0;
        while (p < e && DIG[*p] && nd < 4) { x = x * 10 + (unsigned)(*p - '0'); p++; nd++; }
        if (nd < 1 || nd > 3 || x > 255) return -1;
        /* A number with leading zeros ("\\x00" + "0.0.0.0"): the first's may be an
         * escape's digits, which the general path keeps (it keeps unchanged numbers' bytes) */
        if (nd > 1 && p[-nd] == '0') return -1; /* and "001" keeps its bytes when unchanged */
        v[k] = x;
        if (k < 3) {
            if (p >= e || *p != '.') return -1;
            p++;
        }
    }
    if (p < e) {
        const unsigned char *q;
        if (*p != ':' || p + 1 >= e) return -1;
        for (q = p + 1; q < e; q++)
            if (!DIG[*q]) return -1;
        if (e - p > 32) return -1;
    }
    addr = ((unsigned long)v[0] << 24) | ((unsigned long)v[1] << 16) | ((unsigned long)v[2] << 8) | v[3];
    addr &= (unsigned long)cx->v4mask;
    len = fast_v4_text(addr, buf);
    if (len < 0 || len >= 24) return -1;
    memcpy(buf + len, p, (size_t)(e - p));
    return len + (int)(e - p);
}

/* Write what precedes token [s, e) since *flushed, then its rewrite (when it differs). */
static int replace_token(Out *o, const unsigned char **flushed, const unsigned char *s,
                         const unsigned char *e, const char *rewrite, int len) {
    if (len == e - s && memcmp(rewrite, s, (size_t)len) == 0) return 0;
    if (out_put(o, (const char *)*flushed, s - *flushed) < 0 || out_put(o, rewrite, (size_t)len) < 0)
        return -1;
    *flushed = e;
    return 0;
}

/* The length of a URL-encoded colon at q: "%3A", "%3a", or encoded again ("%253A",
 * "%25253A": a URL in a URL, CloudFront's logs); else 0 (addresses.py _PCT_COLON). */
static Py_ssize_t pct_colon(const unsigned char *q, const unsigned char *end) {
    const unsigned char *r = q + 1;
    while (end - r >= 2 && r[0] == '2' && r[1] == '5') r += 2;
    if (end - r >= 2 && r[0] == '3' && (r[1] == 'A' || r[1] == 'a')) return r + 2 - q;
    return 0;
}

/* The length of a backslash-escaped dot or colon at q ("\\.", "\\\\.", "\\:": a regular
 * expression's or a Lucene query's), else 0 (addresses.py _BS_SEP). */
static Py_ssize_t bs_sep(const unsigned char *q, const unsigned char *end) {
    const unsigned char *r = q;
    while (r < end && *r == '\\') r++;
    if (r > q && r < end && (*r == '.' || *r == ':')) return r + 1 - q;
    return 0;
}

/* journalctl -o json's array of byte values "[73,110,...]" (seven or more numbers of one to
 * three digits; addresses.py _BYTE_ARRAY): the end of the one at q, or NULL. */
static const unsigned char *byte_array_end(const unsigned char *q, const unsigned char *end) {
    int n = 0;
    for (q++;; q++) {
        int nd = 0;
        while (q < end && DIG[*q]) {
            if (++nd > 3) return NULL;
            q++;
        }
        if (nd == 0 || q >= end) return NULL;
        n++;
        if (*q == ']') return n >= 7 ? q + 1 : NULL;
        if (*q != ',') return NULL;
    }
}

/* An ANSI terminal sequence at q (ESC "[" params final; ESC raw or written "\\x1b",
 * "\\u001b"; addresses.py _CSI): its end, or NULL.  It is a separator, so that its final
 * letter ("m" of "\x1b[1m") does not glue to the address after it. */
static const unsigned char *csi_end(const unsigned char *q, const unsigned char *end) {
    if (*q == 0x1b) q += 1;
    else if (end - q >= 4 && q[1] == 'x' && q[2] == '1' && (q[3] == 'b' || q[3] == 'B')) q += 4;
    else if (end - q >= 6 && q[1] == 'u' && q[2] == '0' && q[3] == '0' && q[4] == '1' && (q[5] == 'b' || q[5] == 'B'))
        q += 6;
    else return NULL;
    if (q >= end || *q != '[') return NULL;
    /* ECMA-48's parameter bytes 0x30-0x3F, then a final byte; ':' only before 'm'
     * (as addresses.py _CSI: "\x1b[::ffff:0:1]" is ESC and an address) */
    int colon = 0;
    for (q++; q < end && *q >= 0x30 && *q <= 0x3F; q++) colon |= *q == ':';
    if (q >= end || *q < 0x40 || *q > 0x7E || (colon && *q != 'm')) return NULL;
    return q + 1;
}

/* A byte array goes to the Python rules uncached (it may be 4 KiB, and is rare). */
static int scrub_array(Ctx *cx, Out *o, const unsigned char **flushed, const unsigned char *s,
                       const unsigned char *e) {
    PyObject *key, *val, *rep;
    long long n;
    int rc = 0;
    key = PyBytes_FromStringAndSize((const char *)s, e - s);
    if (!key) return -1;
    val = PyObject_CallOneArg(cx->callback, key);
    Py_DECREF(key);
    if (!val) return -1;
    if (!PyTuple_Check(val) || PyTuple_GET_SIZE(val) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(val, 0)) ||
        !PyLong_Check(PyTuple_GET_ITEM(val, 1))) {
        PyErr_SetString(PyExc_TypeError, "callback must return (bytes, int)");
        Py_DECREF(val);
        return -1;
    }
    rep = PyTuple_GET_ITEM(val, 0);
    n = PyLong_AsLongLong(PyTuple_GET_ITEM(val, 1));
    if (n == -1 && PyErr_Occurred()) rc = -1;
    else if (n > 0) {
        cx->addrs += n;
        rc = replace_token(o, flushed, s, e, PyBytes_AS_STRING(rep), (int)PyBytes_GET_SIZE(rep));
    }
    Py_DECREF(val);
    return rc;
}

/* Scrub tokens in [p, end) into o. */
static int scrub_span(Ctx *cx, Out *o, const unsigned char *p, const unsigned char *end) {
    const unsigned char *flushed = p;
    const unsigned char *special = NULL; /* the next ':', '.', '-' or '%' known ahead */
    while (p < end) {
        const unsigned char *s;
        int colons = 0, dots = 0, dbl = 0, dashes = 0, dbldash = 0;
        if (special < p) {
            /* Only a token holding one of ':', '.', '-', '%' (an encoded colon), '\\' (an
             * escaped dot or colon) can change, and only ESC and '[' start the other forms
             * read here (an ANSI sequence, a journald byte array).  At a separator byte
             * (no escape or encoded colon contains one) the scan below is always between
             * tokens: so skip to just after the last separator before the next such byte,
             * never back past p, and scan exactly from there.  Each byte is searched once. */
            const unsigned char *r;
            special = find_special(p, end);
            if (special >= end) break; /* no token left that can change */
            r = special;
            while (r > p && CLS[r[-1]] != C_SEP) r--;
            p = r;
        }
        for (;;) {
            unsigned char k;
            while (p < end && CLS[*p] == C_SEP) p++;
            if (p >= end) break;
            k = CLS[*p];
            if (k == C_PCT) {
                if (pct_colon(p, end)) break;
                p++;
                continue;
            }
            if (k == C_ESC) {
                const unsigned char *q = csi_end(p, end);
                if (q) {
                    p = q; /* a token may start right here, even at a token byte */
                    break;
                }
                p++;
                continue;
            }
            if (k == C_LBR) {
                if (end - p > 1 && DIG[p[1]]) {
                    const unsigned char *q = byte_array_end(p, end);
                    if (q) {
                        if (scrub_array(cx, o, &flushed, p, q) < 0) return -1;
                        p = q;
                        continue;
                    }
                }
                p++;
                continue;
            }
            if (k == C_BSL) {
                /* An escape is a separator, as a decoder reads it (addresses.py _ESCAPE):
                 * \xHH, \uHHHH, a backslash and a letter g-z; "\\." and "\\:" are a
                 * token's dot and colon, and "\\x1b[...m" an ANSI sequence. */
                if (bs_sep(p, end)) break;
                if (end - p >= 4 && (p[1] == 'x' || p[1] == 'u') && p[2] <= '1') {
                    const unsigned char *q = csi_end(p, end);
                    if (q) {
                        p = q;
                        break;
                    }
                }
                if (end - p >= 2) {
                    unsigned char c = p[1];
#define ESC_END_OK(q) ((q) >= end || (!HEX[*(q)] && *(q) != '.' && *(q) != ':' && *(q) != '%' && *(q) != '-' && \
                                     !(*(q) == '\\' && bs_sep((q), end))))
                    if (c == 'x' && end - p >= 4 && HEX[p[2]] && HEX[p[3]] && ESC_END_OK(p + 4)) { p += 4; continue; }
                    if (c == 'u' && end - p >= 6 && HEX[p[2]] && HEX[p[3]] && HEX[p[4]] && HEX[p[5]] &&
                        ESC_END_OK(p + 6)) {
                        p += 6;
                        continue;
                    }
                    if ((c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z')) { p += 2; continue; }
                }
                p++;
                continue;
            }
            break; /* a token byte */
        }
        if (p >= end) break;
        s = p;
        {
            const unsigned char *colon_end = NULL; /* just after the last colon */
            const unsigned char *dash_end = NULL;  /* just after the last dash */
            Py_ssize_t pct;
            for (;;) {
                while (p < end && CLS[*p] == C_WORD) p++;
                if (p >= end) break;
                switch (CLS[*p]) {
                case C_COLON:
                    colons++;
                    if (p == colon_end) dbl = 1;
                    colon_end = ++p;
                    continue;
                case C_DOT:
                    dots++;
                    p++;
                    continue;
                case C_DASH:
                    dashes++;
                    if (p == dash_end) dbldash = 1; /* "fe80--1": a dashed IPv6 name */
                    dash_end = ++p;
                    continue;
                case C_PCT:
                    if ((pct = pct_colon(p, end)) > 0) { /* a URL-encoded colon (addresses.py _UNIT) */
                        colons++;
                        if (p == colon_end) dbl = 1;
                        p += pct;
                        colon_end = p;
                        continue;
                    }
                    break;
                case C_BSL:
                    if ((pct = bs_sep(p, end)) > 0) { /* "\\." or "\\:" */
                        if (p[pct - 1] == ':') {
                            colons++;
                            if (p == colon_end) dbl = 1;
                            p += pct;
                            colon_end = p;
                        } else {
                            dots++;
                            p += pct;
                        }
                        continue;
                    }
                    break;
                default:
                    break;
                }
                break;
            }
        }
        if (dots == 3 && colons <= 1 && !dashes && cx->v4mask >= 0) {
            char buf[64];
            int len = fast_v4(cx, s, p, buf);
            if (len >= 0) {
                cx->addrs++;
                if (replace_token(o, &flushed, s, p, buf, len) < 0) return -1;
                continue;
            }
        }
        if (dots == 0 && !dashes && (dbl || colons == 7) && cx->v6prefix >= 0 && cx->v4mask >= 0) {
            char buf[64];
            int len = fast_v6(cx, s, p, buf);
            if (len >= 0) {
                cx->addrs++;
                if (replace_token(o, &flushed, s, p, buf, len) < 0) return -1;
                continue;
            }
        }
        if (dbl || colons >= 6 || dots >= 3 || dashes >= 3 || dbldash) {
            PyObject *key, *val, *rep;
            long long n;
            key = PyBytes_FromStringAndSize((const char *)s, p - s);
            if (!key) return -1;
            val = PyDict_GetItemWithError(cx->table, key);
            if (val) {
                Py_INCREF(val);
            } else {
                if (PyErr_Occurred()) { Py_DECREF(key); return -1; }
                val = PyObject_CallOneArg(cx->callback, key);
                if (!val) { Py_DECREF(key); return -1; }
                if (!PyTuple_Check(val) || PyTuple_GET_SIZE(val) != 2 ||
                    !PyBytes_Check(PyTuple_GET_ITEM(val, 0)) || !PyLong_Check(PyTuple_GET_ITEM(val, 1))) {
                    PyErr_SetString(PyExc_TypeError, "callback must return (bytes, int)");
                    Py_DECREF(val);
                    Py_DECREF(key);
                    return -1;
                }
                if (PyDict_GET_SIZE(cx->table) >= cx->limit) PyDict_Clear(cx->table);
                if (PyDict_SetItem(cx->table, key, val) < 0) { Py_DECREF(val); Py_DECREF(key); return -1; }
            }
            Py_DECREF(key);
            rep = PyTuple_GET_ITEM(val, 0);
            n = PyLong_AsLongLong(PyTuple_GET_ITEM(val, 1));
            if (n == -1 && PyErr_Occurred()) { Py_DECREF(val); return -1; }
            if (n > 0) {
                cx->addrs += n;
                if (PyBytes_GET_SIZE(rep) != p - s || memcmp(PyBytes_AS_STRING(rep), s, p - s) != 0) {
                    if (out_put(o, (const char *)flushed, s - flushed) < 0 ||
                        out_put(o, PyBytes_AS_STRING(rep), PyBytes_GET_SIZE(rep)) < 0) {
                        Py_DECREF(val);
                        return -1;
                    }
                    flushed = p;
                }
            }
            Py_DECREF(val);
        }
    }
    return out_put(o, (const char *)flushed, end - flushed);
}

/* The output buffer is kept between calls: growing it from 4 KiB for every 1 MB
 * block, and giving it back, made the C library grow and shrink its heap each time
 * (brk, page faults, memmove: about a fifth of a run).  A call that finds it in use
 * (another thread while this one runs the Python callback) uses a buffer of its own. */
static Out kept = {NULL, 0, 0};
static int kept_in_use = 0;
#define KEPT_MAX ((size_t)64 << 20) /* a larger one (a huge line) is given back */

/* scrub_block(data, table, callback, cut, keep, cont, limit, v4mask, v6prefix)
 *   -> (bytes, lines_read, lines_written, lines_expired, addresses, keep) */
static PyObject *scrub_block(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data;
    PyObject *table, *callback, *result = NULL;
    int keep, cont;
    long long enabled, cu, cn, cnn, cy, v4mask;
    int v6prefix;
    Py_ssize_t limit;
    Cut cut;
    Ctx cx;
    Out o = {NULL, 0, 0};
    int own_kept = 0;
    long long nread = 0, nwritten = 0, nexpired = 0;
    const unsigned char *p, *end;
    int first = 1;

    if (!PyArg_ParseTuple(args, "y*O!O(LLLLL)ppnLi", &data, &PyDict_Type, &table, &callback, &enabled, &cu,
                          &cn, &cnn, &cy, &keep, &cont, &limit, &v4mask, &v6prefix))
        return NULL;
    cut.enabled = (int)enabled;
    cut.utc = cu;
    cut.naive = cn;
    cut.now_naive = cnn;
    cut.now_year = cy;
    cx.table = table;
    cx.callback = callback;
    cx.limit = limit > 0 ? limit : 1;
    cx.addrs = 0;
    cx.v4mask = v4mask > 0xFFFFFFFFLL ? -1 : v4mask;
    cx.v6prefix = v6prefix > 128 ? -1 : v6prefix;

    if (!kept_in_use) {
        kept_in_use = own_kept = 1;
        o = kept;
        o.len = 0;
    }
    p = (const unsigned char *)data.buf;
    end = p + data.len;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *le = nl ? nl + 1 : end;
        int is_cont = first && cont;
        first = 0;
        if (!is_cont) nread++;
        if (cut.enabled && !is_cont) {
            int e = line_expired(p, le, &cut);
            if (e >= 0) keep = !e;
        }
        if (!keep) {
            if (!is_cont) nexpired++;
        } else {
            if (!is_cont) nwritten++;
            if (scrub_span(&cx, &o, p, le) < 0) goto done;
        }
        p = le;
    }
    {
        PyObject *bytes = PyBytes_FromStringAndSize(o.buf ? o.buf : "", (Py_ssize_t)o.len);
        if (bytes)
            result = Py_BuildValue("(NLLLLO)", bytes, nread, nwritten, nexpired, cx.addrs, keep ? Py_True : Py_False);
    }
done:
    if (own_kept && o.cap <= KEPT_MAX) {
        kept = o;
    } else {
        PyMem_Free(o.buf);
        if (own_kept) kept.buf = NULL, kept.cap = 0;
    }
    if (own_kept) kept_in_use = 0;
    PyBuffer_Release(&data);
    return result;
}

/* starts_with_timestamp(buffer) -> bool: timestamps.starts_with_timestamp (TS_RE at
 * _LEAD_RE's end) by the grammar format_ts uses, without compiling TS_RE at start-up. */
static PyObject *starts_with_timestamp(PyObject *self, PyObject *arg) {
    Py_buffer b;
    const unsigned char *p, *end, *q;
    Cut cut = {0, 0, 0, 0, 0};
    int zoned, found;
    int64_t secs;
    (void)self;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0) return NULL;
    p = (const unsigned char *)b.buf;
    end = p + b.len;
    q = lead_end(p, end);
    found = q < end && ts_at(q, end, &cut, &zoned, &secs);
    PyBuffer_Release(&b);
    return PyBool_FromLong(found);
}

/* keep_heap(): what scrubber.parallel.keep_heap does through ctypes, without importing
 * ctypes at every start: glibc keeps freed megabyte blocks instead of unmapping them. */
static PyObject *keep_heap(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"scrub_block", scrub_block, METH_VARARGS, "Scrub whole lines (see scrubber.core)."},
    {"starts_with_timestamp", starts_with_timestamp, METH_O, "Does the buffer start with a timestamp (see timestamps.py)?"},
    {"keep_heap", keep_heap, METH_NOARGS, "glibc: keep freed megabyte blocks (see scrubber.parallel.keep_heap)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "scrubber._native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) {
    init_tables();
    return PyModule_Create(&moduledef);
}
