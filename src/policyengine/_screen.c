/* The native screen of `policyengine check` (optional; see docs/check.md, "Design and speed").

   scan(lines, plan) walks a list of JSON Lines (bytes) and returns the indices of the lines
   that NEED attention; every other line is certainly a valid JSON object that the Python
   screen (LoweredPolicy._screen) would clear, so `evaluate` would report nothing for it.
   It is conservative: anything it does not fully understand (escapes in a bound key or
   value, duplicate bound keys, a bound value that is not a plain string or null, bad
   UTF-8, a number it cannot be sure orjson reads, deep nesting, a purpose not in the plan,
   a date not in the simple shapes the Python screen reads without parsing) is "needs
   attention", and the Python path decides exactly as without this module.

   plan = compile(spec), spec = (columns, purpose_col, fixed, purposes):
     columns     tuple of bytes, the bound columns (LoweredPolicy.columns)
     purpose_col index of the purpose column, or -1 (purpose_is)
     fixed       index into purposes of the purpose of every record (purpose_is), or -1
     purposes    tuple of (name bytes, constraints); constraints a tuple, one per column,
                 of (code, threshold bytes (10, "YYYY-MM-DD"), allowed tuple of bytes)
   codes: 0 anything, 1 null/absent/"", 2 a non-empty string, 3 null/absent/"" or one of
   `allowed`, 4 null/absent/"" or a timestamp whose written date >= threshold, 5 such a
   timestamp, required. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAXCOLS 64
#define MAXDEPTH 64

enum { C_ANY = 0, C_EMPTY = 1, C_NONEMPTY = 2, C_SUBJECT = 3, C_DATE = 4, C_DATE_REQ = 5 };
enum { V_ABSENT = 0, V_NULL = 1, V_STR = 2, V_OTHER = 3 };

typedef struct {
    int code;
    const char *thr;       /* 10 bytes */
    PyObject *allowed;     /* tuple of bytes (borrowed from the spec) */
} Cons;

typedef struct {
    const char *name;
    Py_ssize_t len;
    Cons cons[MAXCOLS];
} Purpose;

typedef struct {
    PyObject *spec;        /* owned: keeps every buffer below alive */
    int ncols;
    const char *col[MAXCOLS];
    Py_ssize_t collen[MAXCOLS];
    int purpose_col;
    int fixed;
    int npurposes;
    Purpose *purposes;
} Plan;

static void plan_free(PyObject *capsule) {
    Plan *plan = (Plan *)PyCapsule_GetPointer(capsule, "policyengine._screen.plan");
    if (plan == NULL) return;
    Py_XDECREF(plan->spec);
    PyMem_Free(plan->purposes);
    PyMem_Free(plan);
}

static PyObject *compile_plan(PyObject *self, PyObject *spec) {
    PyObject *columns, *purposes;
    int purpose_col, fixed;
    if (!PyArg_ParseTuple(spec, "O!iiO!", &PyTuple_Type, &columns, &purpose_col, &fixed,
                          &PyTuple_Type, &purposes))
        return NULL;
    Py_ssize_t ncols = PyTuple_GET_SIZE(columns), np = PyTuple_GET_SIZE(purposes);
    if (ncols > MAXCOLS || purpose_col >= ncols || purpose_col < -1 || fixed >= np || fixed < -1
        || (purpose_col < 0) == (fixed < 0)) {
        PyErr_SetString(PyExc_ValueError, "bad screen plan");
        return NULL;
    }
    Plan *plan = PyMem_Calloc(1, sizeof(Plan));
    if (plan == NULL) return PyErr_NoMemory();
    plan->purposes = PyMem_Calloc(np ? np : 1, sizeof(Purpose));
    if (plan->purposes == NULL) { PyMem_Free(plan); return PyErr_NoMemory(); }
    plan->ncols = (int)ncols;
    plan->purpose_col = purpose_col;
    plan->fixed = fixed;
    plan->npurposes = (int)np;
    for (Py_ssize_t i = 0; i < ncols; i++) {
        PyObject *c = PyTuple_GET_ITEM(columns, i);
        if (!PyBytes_Check(c)) goto bad;
        plan->col[i] = PyBytes_AS_STRING(c);
        plan->collen[i] = PyBytes_GET_SIZE(c);
    }
    for (Py_ssize_t p = 0; p < np; p++) {
        PyObject *item = PyTuple_GET_ITEM(purposes, p);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) goto bad;
        PyObject *name = PyTuple_GET_ITEM(item, 0), *cons = PyTuple_GET_ITEM(item, 1);
        if (!PyBytes_Check(name) || !PyTuple_Check(cons) || PyTuple_GET_SIZE(cons) != ncols) goto bad;
        plan->purposes[p].name = PyBytes_AS_STRING(name);
        plan->purposes[p].len = PyBytes_GET_SIZE(name);
        for (Py_ssize_t i = 0; i < ncols; i++) {
            PyObject *c = PyTuple_GET_ITEM(cons, i);
            if (!PyTuple_Check(c) || PyTuple_GET_SIZE(c) != 3) goto bad;
            PyObject *code = PyTuple_GET_ITEM(c, 0), *thr = PyTuple_GET_ITEM(c, 1),
                     *allowed = PyTuple_GET_ITEM(c, 2);
            long k = PyLong_Check(code) ? PyLong_AsLong(code) : -1;
            if (k < 0 || k > 5 || !PyBytes_Check(thr) || PyBytes_GET_SIZE(thr) != 10
                || !PyTuple_Check(allowed)) goto bad;
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(allowed); j++)
                if (!PyBytes_Check(PyTuple_GET_ITEM(allowed, j))) goto bad;
            if (i == purpose_col && k != C_ANY) goto bad;
            plan->purposes[p].cons[i].code = (int)k;
            plan->purposes[p].cons[i].thr = PyBytes_AS_STRING(thr);
            plan->purposes[p].cons[i].allowed = allowed;
        }
    }
    Py_INCREF(spec);
    plan->spec = spec;
    PyObject *capsule = PyCapsule_New(plan, "policyengine._screen.plan", plan_free);
    if (capsule == NULL) { Py_DECREF(spec); PyMem_Free(plan->purposes); PyMem_Free(plan); }
    return capsule;
bad:
    PyMem_Free(plan->purposes);
    PyMem_Free(plan);
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad screen plan");
    return NULL;
}

/* ---- a validating JSON walker: every function returns 0 on failure ("needs attention") -- */

typedef struct { const unsigned char *p, *end; } Cur;

static inline void ws(Cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) c->p++;
}

/* One UTF-8 sequence starting at a byte >= 0x80 (RFC 3629, no surrogates, no overlongs). */
static inline int utf8(Cur *c) {
    const unsigned char *p = c->p, *e = c->end;
    unsigned char b = p[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) n = 1;
    else if (b == 0xE0) { n = 2; lo = 0xA0; }
    else if (b >= 0xE1 && b <= 0xEC) n = 2;
    else if (b == 0xED) { n = 2; hi = 0x9F; }
    else if (b >= 0xEE && b <= 0xEF) n = 2;
    else if (b == 0xF0) { n = 3; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) n = 3;
    else if (b == 0xF4) { n = 3; hi = 0x8F; }
    else return 0;
    if (e - p < n + 1) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (int i = 2; i <= n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    c->p = p + n + 1;
    return 1;
}

static inline int hex(unsigned char b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

/* A string, c->p just after its opening quote; on success c->p is past the closing quote,
   (*start, *len) its raw content and *escaped whether it holds a backslash. A \u escape of a
   surrogate is refused (orjson refuses a lone one; pairs are left to Python). */
static int string(Cur *c, const unsigned char **start, Py_ssize_t *len, int *escaped) {
    const unsigned char *s = c->p;
    int esc = 0;
    while (c->p < c->end) {
        unsigned char b = *c->p;
        if (b == '"') {
            *start = s;
            *len = c->p - s;
            *escaped = esc;
            c->p++;
            return 1;
        }
        if (b == '\\') {
            esc = 1;
            if (c->end - c->p < 2) return 0;
            unsigned char e = c->p[1];
            if (e == 'u') {
                if (c->end - c->p < 6) return 0;
                const unsigned char *h = c->p + 2;
                if (!hex(h[0]) || !hex(h[1]) || !hex(h[2]) || !hex(h[3])) return 0;
                if ((h[0] == 'd' || h[0] == 'D') && !(h[1] >= '0' && h[1] <= '7')) return 0;
                c->p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n'
                       || e == 'r' || e == 't') {
                c->p += 2;
            } else {
                return 0;
            }
        } else if (b < 0x20) {
            return 0;
        } else if (b >= 0x80) {
            if (!utf8(c)) return 0;
        } else {
            c->p++;
        }
    }
    return 0;
}

static inline int isdig(unsigned char b) { return b >= '0' && b <= '9'; }

/* A number, in JSON's grammar and small enough that orjson certainly reads it (at most 32
   characters, an exponent of at most two digits). */
static int number(Cur *c) {
    const unsigned char *s = c->p, *e = c->end;
    const unsigned char *p = s;
    if (p < e && *p == '-') p++;
    if (p >= e || !isdig(*p)) return 0;
    if (*p == '0') p++;
    else while (p < e && isdig(*p)) p++;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !isdig(*p)) return 0;
        while (p < e && isdig(*p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        const unsigned char *d = p;
        while (p < e && isdig(*p)) p++;
        if (p == d || p - d > 2) return 0;
    }
    if (p - s > 32) return 0;
    c->p = p;
    return 1;
}

static inline int literal(Cur *c, const char *word, Py_ssize_t n) {
    if (c->end - c->p < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

static int value(Cur *c, int depth);

static int container(Cur *c, int depth, int object) {
    if (depth > MAXDEPTH) return 0;
    c->p++;  /* past [ or { */
    ws(c);
    if (c->p < c->end && *c->p == (object ? '}' : ']')) { c->p++; return 1; }
    for (;;) {
        if (object) {
            const unsigned char *s; Py_ssize_t n; int esc;
            if (c->p >= c->end || *c->p != '"') return 0;
            c->p++;
            if (!string(c, &s, &n, &esc)) return 0;
            ws(c);
            if (c->p >= c->end || *c->p != ':') return 0;
            c->p++;
            ws(c);
        }
        if (!value(c, depth + 1)) return 0;
        ws(c);
        if (c->p >= c->end) return 0;
        if (*c->p == ',') { c->p++; ws(c); continue; }
        if (*c->p == (object ? '}' : ']')) { c->p++; return 1; }
        return 0;
    }
}

static int value(Cur *c, int depth) {
    if (c->p >= c->end) return 0;
    switch (*c->p) {
    case '"': {
        const unsigned char *s; Py_ssize_t n; int esc;
        c->p++;
        return string(c, &s, &n, &esc);
    }
    case '{': return container(c, depth, 1);
    case '[': return container(c, depth, 0);
    case 't': return literal(c, "true", 4);
    case 'f': return literal(c, "false", 5);
    case 'n': return literal(c, "null", 4);
    default: return number(c);
    }
}

/* ---- the checks of one record ---------------------------------------------------------- */

static inline int d2(const unsigned char *p) {
    return isdig(p[0]) && isdig(p[1]) ? (p[0] - '0') * 10 + (p[1] - '0') : -1;
}

/* A value the Python screen reads without parsing, and dates.DayReader.written accepts: a
   valid YYYY-MM-DD, then nothing or [T ]HH:MM:SS with an optional Z or +HH:MM / -HH:MM
   (hours 00-23, minutes and seconds 00-59); its date, as written, >= thr. */
static int timestamp_at_least(const unsigned char *s, Py_ssize_t n, const char *thr) {
    if (n != 10 && n != 19 && n != 20 && n != 25) return 0;
    for (int i = 0; i < 4; i++) if (!isdig(s[i])) return 0;
    if (s[4] != '-' || s[7] != '-') return 0;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = d2(s + 5), day = d2(s + 8);
    if (year < 1 || month < 1 || month > 12 || day < 1) return 0;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last = days[month - 1];
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) last = 29;
    if (day > last) return 0;
    if (n > 10) {
        const unsigned char *t = s + 10;
        if (t[0] != 'T' && t[0] != ' ') return 0;
        int hh = d2(t + 1), mm = d2(t + 4), ss = d2(t + 7);
        if (t[3] != ':' || t[6] != ':' || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
            return 0;
        if (n == 20 && t[9] != 'Z') return 0;
        if (n == 25) {
            const unsigned char *z = t + 9;
            int zh = d2(z + 1), zm = d2(z + 4);
            if ((z[0] != '+' && z[0] != '-') || z[3] != ':' || zh < 0 || zh > 23 || zm < 0 || zm > 59)
                return 0;
        }
    }
    return memcmp(s, thr, 10) >= 0;
}

typedef struct {
    int kind;
    const unsigned char *s;
    Py_ssize_t n;
} Val;

/* 1: the line is certainly clear; 0: it needs attention. */
static int clear(const Plan *plan, const unsigned char *line, Py_ssize_t size) {
    Cur cur = {line, line + size}, *c = &cur;
    Val vals[MAXCOLS];
    int ncols = plan->ncols;
    for (int i = 0; i < ncols; i++) vals[i].kind = V_ABSENT;
    ws(c);
    if (c->p >= c->end || *c->p != '{') return 0;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
    } else {
        for (;;) {
            const unsigned char *k; Py_ssize_t kn; int kesc;
            if (c->p >= c->end || *c->p != '"') return 0;
            c->p++;
            if (!string(c, &k, &kn, &kesc)) return 0;
            if (kesc) return 0;  /* an escaped key may spell a bound column */
            int col = -1;
            for (int i = 0; i < ncols; i++)
                if (plan->collen[i] == kn && memcmp(plan->col[i], k, kn) == 0) { col = i; break; }
            ws(c);
            if (c->p >= c->end || *c->p != ':') return 0;
            c->p++;
            ws(c);
            if (col >= 0) {
                if (vals[col].kind != V_ABSENT) return 0;  /* a duplicate bound key */
                if (c->p < c->end && *c->p == '"') {
                    const unsigned char *s; Py_ssize_t n; int esc;
                    c->p++;
                    if (!string(c, &s, &n, &esc)) return 0;
                    vals[col].kind = esc ? V_OTHER : V_STR;
                    vals[col].s = s;
                    vals[col].n = n;
                } else if (c->p < c->end && *c->p == 'n') {
                    if (!literal(c, "null", 4)) return 0;
                    vals[col].kind = V_NULL;
                } else {
                    if (!value(c, 1)) return 0;
                    vals[col].kind = V_OTHER;
                }
            } else if (!value(c, 1)) {
                return 0;
            }
            ws(c);
            if (c->p >= c->end) return 0;
            if (*c->p == ',') { c->p++; ws(c); continue; }
            if (*c->p == '}') { c->p++; break; }
            return 0;
        }
    }
    ws(c);
    if (c->p != c->end) return 0;

    const Purpose *pp = NULL;
    if (plan->fixed >= 0) {
        pp = &plan->purposes[plan->fixed];
    } else {
        const Val *v = &vals[plan->purpose_col];
        if (v->kind != V_STR) return 0;
        for (int p = 0; p < plan->npurposes; p++)
            if (plan->purposes[p].len == v->n && memcmp(plan->purposes[p].name, v->s, v->n) == 0) {
                pp = &plan->purposes[p];
                break;
            }
        if (pp == NULL) return 0;
    }
    for (int i = 0; i < ncols; i++) {
        const Cons *k = &pp->cons[i];
        const Val *v = &vals[i];
        if (k->code == C_ANY) continue;
        if (v->kind == V_OTHER) return 0;
        int empty = v->kind != V_STR || v->n == 0;
        switch (k->code) {
        case C_EMPTY:
            if (!empty) return 0;
            break;
        case C_NONEMPTY:
            if (empty) return 0;
            break;
        case C_SUBJECT:
            if (!empty) {
                int found = 0;
                Py_ssize_t m = PyTuple_GET_SIZE(k->allowed);
                for (Py_ssize_t j = 0; j < m && !found; j++) {
                    PyObject *a = PyTuple_GET_ITEM(k->allowed, j);
                    found = PyBytes_GET_SIZE(a) == v->n && memcmp(PyBytes_AS_STRING(a), v->s, v->n) == 0;
                }
                if (!found) return 0;
            }
            break;
        case C_DATE:
        case C_DATE_REQ:
            if (empty) {
                if (k->code == C_DATE_REQ) return 0;
            } else if (!timestamp_at_least(v->s, v->n, k->thr)) {
                return 0;
            }
            break;
        default:
            return 0;
        }
    }
    return 1;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *lines, *capsule;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &lines, &capsule)) return NULL;
    Plan *plan = (Plan *)PyCapsule_GetPointer(capsule, "policyengine._screen.plan");
    if (plan == NULL) return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (PyBytes_Check(line)
            && clear(plan, (const unsigned char *)PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line)))
            continue;
        PyObject *index = PyLong_FromSsize_t(i);
        if (index == NULL || PyList_Append(out, index) < 0) {
            Py_XDECREF(index);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(index);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"compile", compile_plan, METH_O, "compile(spec) -> plan: the screen's plan (see the module source)."},
    {"scan", scan, METH_VARARGS,
     "scan(lines, plan) -> list[int]: the indices of the lines that need attention."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "policyengine._screen",
    "The native screen of policyengine check: which JSON Lines certainly have nothing to report.",
    -1, methods,
};

PyMODINIT_FUNC PyInit__screen(void) { return PyModule_Create(&module); }
