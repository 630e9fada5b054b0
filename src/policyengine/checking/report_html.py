"""`check --format html`: one self-contained page a privacy officer reads.

One file, no external assets (it opens offline and as an e-mail attachment): the totals
per finding code and purpose, a retention timeline per purpose as inline SVG (from
``timeline``), the findings table (filterable by code and purpose, sortable by days
overdue) with each finding linked to its policy clause, and the clauses with file and
line. Past ``MAX_ROWS`` findings the table keeps the first ones and says that the full
list is in jsonl/csv; the totals always count every finding.

Every value from records or policies goes through ``_text`` / ``_attr``: control and bidi
characters are made visible (``escaping.printable``), then HTML-escaped, quotes included.
Nothing from records or policies is written into the script or the style. The page's
Content-Security-Policy allows only its own inline script (by hash) and style, and no
request of any kind, so even a mistake here could not fetch or run anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter
from datetime import date

from ..escaping import printable
from .findings import CODES, Finding
from .report import Reporter, RunInfo
from .timeline import Lane, Timeline

MAX_ROWS = 2000  # findings listed in the table; the totals count them all

_STYLE = """
:root{--erase:#b3261e;--keep:#1f5fa8;--open:#c9ced6;--ink:#1d232b;--muted:#5b6573;--line:#d8dde3}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);background:#fff}
main{max-width:1180px;margin:0 auto;padding:16px}
h1{font-size:1.5em;margin:.2em 0 .3em}
h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
.meta{color:var(--muted);margin:0 0 .6em}
.meta b{color:var(--ink)}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:.6em 0}
.card{border:1px solid var(--line);border-radius:6px;padding:4px 10px;min-width:84px}
.card .n{font-size:1.35em;font-weight:600;display:block}
.card.main{border-color:var(--ink)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f5f7;white-space:nowrap}
tbody th{background:none;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;border-top:2px solid var(--ink)}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
td.msg{min-width:18em;overflow-wrap:anywhere}
.where{display:block;color:var(--muted);font-size:.85em;overflow-wrap:anywhere;min-width:8em}
.clause{display:block;font-size:.88em;min-width:12em}
select{max-width:100%}
.lane{margin:.4em 0 1em}
.lane svg{width:100%;height:auto;display:block}
.lane svg.narrow{display:none}
@media (max-width:640px){.lane svg.wide{display:none}.lane svg.narrow{display:block}}
.windows{list-style:none;padding:0;margin:.3em 0}
.windows li{margin:.15em 0}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:-.1em;margin-right:.4em}
.sw.erase{background:var(--erase)}.sw.keep{background:var(--keep)}.sw.open{background:var(--open)}
.rules{color:var(--muted);font-size:.92em;margin:.2em 0 .2em 1.2em;padding:0}
.note{background:#fff6db;border:1px solid #e8d48a;border-radius:6px;padding:6px 10px}
.controls{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:.4em 0}
.controls[hidden]{display:none}
#sort-days{font:inherit;border:1px solid var(--line);border-radius:4px;background:#f3f5f7;padding:2px 8px;cursor:pointer}
a{color:#0b57a4}
:target{background:#fff2b3}
td.due{white-space:nowrap}
@media (max-width:640px){body{font-size:14px}main{padding:10px}
table.phone-cards thead{display:none}table.phone-cards tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
table.phone-cards td{display:block;border:0;padding:1px 0;min-width:0;text-align:left}
table.phone-cards td::before{content:attr(data-label);display:inline-block;min-width:5.5em;color:var(--muted);font-size:.85em}
table.phone-cards td .where,table.phone-cards td .clause{display:inline;margin-left:.4em}}
td.at{white-space:nowrap}
@media print{.controls{display:none}a{color:inherit}}
"""

# Filtering and sorting; the page reads the same without it (every row shown, most overdue
# first). It reads data-* attributes only: no record or policy text is ever script here. The
# choice is kept in the address (#code=PC101&purpose=cctv&sort=asc), so a link can share it.
_SCRIPT = """
(function(){
var table=document.getElementById('findings');if(!table)return;
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var code=document.getElementById('f-code'),purpose=document.getElementById('f-purpose');
var shown=document.getElementById('shown'),button=document.getElementById('sort-days'),down=true;
document.getElementById('controls').hidden=false;
function apply(){var c=code.value,p=purpose.value,n=0;
rows.forEach(function(r){var ok=(!c||r.getAttribute('data-code')===c)&&(!p||r.getAttribute('data-purpose')===p);
r.hidden=!ok;if(ok)n++;});shown.textContent=String(n);}
function sort(){rows.sort(function(a,b){var x=Number(a.getAttribute('data-days')),y=Number(b.getAttribute('data-days'));
return down?y-x:x-y;});
rows.forEach(function(r){body.appendChild(r);});
button.setAttribute('aria-sort',down?'descending':'ascending');
button.lastChild.textContent=down?' \\u25bc':' \\u25b2';}
function remember(){var q='code='+encodeURIComponent(code.value)+'&purpose='+encodeURIComponent(purpose.value)+
'&sort='+(down?'desc':'asc');history.replaceState(null,'','#'+q);}
function pick(select,value){for(var i=0;i<select.options.length;i++){if(select.options[i].value===value){select.value=value;}}}
var hash=location.hash.slice(1);
if(hash.indexOf('=')>=0){hash.split('&').forEach(function(kv){var i=kv.indexOf('='),k=kv.slice(0,i),v='';
try{v=decodeURIComponent(kv.slice(i+1));}catch(e){return;}
if(k==='code')pick(code,v);else if(k==='purpose')pick(purpose,v);else if(k==='sort')down=v!=='asc';});
sort();}
code.addEventListener('change',function(){apply();remember();});
purpose.addEventListener('change',function(){apply();remember();});
button.addEventListener('click',function(){down=!down;sort();remember();});
apply();
})();
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()
_CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
        "img-src data:; form-action 'none'; base-uri 'none'")


def _text(value) -> str:
    """Text content from a record or a policy: controls made visible, then escaped."""
    return html.escape(printable("" if value is None else str(value)), quote=True)


_attr = _text  # quote=True: the same escaping is safe inside a double-quoted attribute


def _days_key(f: Finding) -> int:
    return -10**9 if f.days is None else f.days


class HtmlReporter(Reporter):
    """Holds the counts of every finding and the first ``MAX_ROWS`` findings; renders at the end."""

    def __init__(self, out, info: RunInfo, compiled, timeline: Timeline, max_rows: int = MAX_ROWS):
        super().__init__(out, info)
        self.compiled, self.timeline, self.max_rows = compiled, timeline, max_rows
        self.rows: list[Finding] = []
        self.by_code_purpose: Counter = Counter()
        self.total = 0

    def add(self, finding: Finding) -> None:
        self.total += 1
        self.by_code_purpose[(finding.code, finding.purpose)] += 1
        if len(self.rows) < self.max_rows:
            self.rows.append(finding)

    def finish(self) -> None:
        self.out.write(render_page(self))


def _purposes(reporter: HtmlReporter) -> list[str | None]:
    """Purposes in policy order, then purposes seen in findings only (an unknown one), then none."""
    names: list[str | None] = [p.name for p in reporter.compiled.purposes]
    extra = sorted({p for _, p in reporter.by_code_purpose if p is not None and p not in names})
    out: list[str | None] = names + extra
    if any(p is None for _, p in reporter.by_code_purpose) or reporter.timeline.records.get(None):
        out.append(None)
    return out


def _purpose_name(p: str | None) -> str:
    return "(no purpose in the policy)" if p is None else p


def _clauses(compiled) -> dict[str, tuple[str, str, list[str]]]:
    """file:line -> (anchor id, clause text, purposes), for every rule of the policy."""
    out: dict[str, tuple[str, str, list[str]]] = {}

    def add(rule, purpose):
        if rule is None:
            return
        entry = out.get(rule.where)
        if entry is None:
            entry = out[rule.where] = (f"clause-{len(out) + 1}", rule.clause, [])
        if purpose and purpose not in entry[2]:
            entry[2].append(purpose)

    for p in compiled.purposes:
        for rule in p.erase + p.keep:
            add(rule, p.name)
    add(compiled.erasure_request, None)
    add(compiled.request_deadline, None)
    return out


def render_page(r: HtmlReporter) -> str:
    info, compiled = r.info, r.compiled
    purposes = _purposes(r)
    clauses = _clauses(compiled)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Retention check: {_text(compiled.controller or info.policy)} on {_text(info.today)}</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        f"<h1>Retention check: {_text(compiled.controller or info.policy)}</h1>",
        f'<p class="meta">Policy <code>{_text(info.policy)}</code>, checked on <b>{_text(info.today)}</b> '
        f"({_text(info.timezone)}; now {_text(info.now)}); records from "
        + ", ".join(f"<code>{_text(s)}</code>" for s in info.sources) + ".</p>",
        '<div class="cards">'
        f'<div class="card main"><span class="n" id="records" data-value="{info.records}">{info.records}</span>'
        f'record{"s" if info.records != 1 else ""} checked</div>'
        f'<div class="card main"><span class="n" id="findings-total" data-value="{r.total}">{r.total}</span>'
        f'finding{"s" if r.total != 1 else ""}</div>',
    ]
    by_action = Counter()
    for (code, _), n in r.by_code_purpose.items():
        by_action[CODES[code][0]] += n
    for action in ("erase", "keep", "request", "consent", "unknown", "lawfulness", "transfer", "data"):
        if by_action[action]:
            parts.append(f'<div class="card"><span class="n" data-action="{action}">{by_action[action]}'
                         f"</span>{action}</div>")
    parts.append("</div>")
    parts.append(_totals(r, purposes))
    parts.append(_timeline(r, purposes))
    parts.append(_findings(r, purposes, clauses))
    parts.append(_clause_list(r, clauses))
    parts.append('<p class="meta">Written by <code>policyengine check --format html</code>. '
                 "The same findings, in full: <code>--format jsonl</code> or <code>--format csv</code>.</p>")
    parts.append(f"</main><script>{_SCRIPT}</script></body></html>\n")
    return "\n".join(parts)


def _totals(r: HtmlReporter, purposes: list[str | None]) -> str:
    """Two tables that fit a phone: per finding code (code, what, count) and per purpose
    (records, findings, then one short column per code)."""
    codes = sorted({c for c, _ in r.by_code_purpose})
    out = ['<h2 id="totals">Totals per finding and purpose</h2>']
    if not codes:
        out.append('<p class="note">No findings: nothing is due.</p>')
    else:
        out.append('<div class="scroll"><table id="codes-table"><thead><tr><th scope="col">finding</th>'
                   '<th scope="col">what it asks</th><th class="num" scope="col">count</th></tr></thead><tbody>')
        for code in codes:
            action, title = CODES[code]
            total = sum(n for (c, _), n in r.by_code_purpose.items() if c == code)
            out.append(f'<tr><td><b>{code}</b></td><td>{action}: {_text(title)}</td>'
                       f'<td class="num" data-total-code="{code}">{total}</td></tr>')
        out.append(f'<tr class="total"><td>all</td><td></td><td class="num">{r.total}</td></tr>'
                   "</tbody></table></div>")
    head = "".join(f'<th class="num" scope="col" title="{_attr(CODES[c][0] + ": " + CODES[c][1])}">{c}</th>'
                   for c in codes)
    out.append('<h3>Per purpose</h3><div class="scroll"><table id="purposes-table"><thead><tr>'
               '<th scope="col">purpose</th><th class="num" scope="col">records</th>'
               f'<th class="num" scope="col">findings</th>{head}</tr></thead><tbody>')
    for p in purposes:
        name = _purpose_name(p)
        findings = sum(n for (_, q), n in r.by_code_purpose.items() if q == p)
        cells = "".join(f'<td class="num" data-code="{c}" data-purpose="{_attr(name)}">'
                        f"{r.by_code_purpose.get((c, p), 0) or ''}</td>" for c in codes)
        out.append(f'<tr><th scope="row">{_text(name)}</th>'
                   f'<td class="num" data-records-purpose="{_attr(name)}">{r.timeline.records.get(p, 0)}</td>'
                   f'<td class="num" data-total-purpose="{_attr(name)}">{findings}</td>{cells}</tr>')
    out.append("</tbody></table></div>")
    return "\n".join(out)


# ---- the timeline -------------------------------------------------------------------

_PAD, _BAR_Y, _BAR_H = 14, 26, 34
_COLOURS = {"erase": "#b3261e", "keep": "#1f5fa8", "open": "#c9ced6"}


def _day(n: int | None) -> str:
    try:
        return date.fromordinal(n).isoformat() if n is not None else ""
    except (ValueError, OverflowError):
        return "after 9999-12-31" if n and n > 0 else "before 0001-01-01"


def _domain(lane: Lane, today: int) -> tuple[int, int]:
    """The days the lane's axis shows: from a little before its earliest threshold (or record)
    to a little after today. Records outside it still count in the end windows."""
    cuts = [b.cut for b in lane.boundaries if 0 < b.cut <= today + 36525]
    earliest = min(cuts + [today - 30])
    if lane.first_seen is not None:
        earliest = min(earliest, max(lane.first_seen, earliest - 2 * (today - earliest)))
    span = max(30, today - earliest)
    right = today + max(3, span // 12)
    if lane.last_seen is not None and lane.last_seen > today:
        right = max(right, min(lane.last_seen, today + span // 4))
    return today - span - span // 10, right


def _svg(lane: Lane, today: int, _W: int, css: str) -> str:
    """The lane drawn ``_W`` units wide (a wide and a narrow drawing: CSS shows the one that fits)."""
    left, right = _domain(lane, today)
    width = _W - 2 * _PAD

    def x(day: int) -> float:
        return _PAD + width * (min(max(day, left), right) - left) / (right - left)

    label = f"{lane.purpose}: {lane.field}"
    out = [f'<svg class="{css}" viewBox="0 0 {_W} 96" role="img" aria-label="{_attr("retention timeline of " + label)}" '
           'xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="system-ui,sans-serif">']
    for w in lane.windows:
        x0 = x(w.start) if w.start is not None else _PAD
        x1 = x(w.end + 1) if w.end is not None else _PAD + width
        if x1 - x0 < 0.5 and w.count == 0:
            continue
        x1 = max(x1, x0 + 2)
        out.append(f'<rect x="{x0:.1f}" y="{_BAR_Y}" width="{x1 - x0:.1f}" height="{_BAR_H}" '
                   f'fill="{_COLOURS[w.state]}"><title>{_text(w.label)}: {w.count}</title></rect>')
        if x1 - x0 > 30:
            colour = "#fff" if w.state != "open" else "#1d232b"
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{_BAR_Y + _BAR_H / 2 + 5:.1f}" text-anchor="middle" '
                       f'fill="{colour}" font-weight="600" font-size="14">{w.count}</text>')
    placed: list[float] = []
    for b in lane.boundaries:
        if not left < b.cut < right:
            continue
        bx = x(b.cut)
        out.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{_BAR_Y - 6}" y2="{_BAR_Y + _BAR_H + 6}" '
                   'stroke="#1d232b" stroke-width="1.5"/>')
        if all(abs(bx - p) > 100 for p in placed):
            anchor = "end" if bx > _W - 60 else "start" if bx < 60 else "middle"
            out.append(f'<text x="{bx:.1f}" y="{_BAR_Y + _BAR_H + 20}" text-anchor="{anchor}" '
                       f'fill="#1d232b">from {_day(b.cut)}</text>')
            placed.append(bx)
    tx = x(today)
    out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="4" y2="{_BAR_Y + _BAR_H + 6}" stroke="#e07b00" '
               'stroke-width="2.5"/>')
    out.append(f'<text x="{tx - 4:.1f}" y="16" text-anchor="end" fill="#8a4b00" font-weight="600">'
               f"today {_day(today)}</text>")
    out.append(f'<text x="{_PAD}" y="{_BAR_Y + _BAR_H + 36}" fill="#5b6573">&#8592; earlier {_text(lane.field)}'
               "</text>")
    out.append("</svg>")
    return "".join(out)


def _window_span(lane: Lane, start: int | None, end: int | None) -> str:
    field = _text(lane.field)
    if start is None and end is None:
        return f"any {field}"
    if start is None:
        return f"{field} on or before {_day(end)}"
    if end is None:
        return f"{field} on or after {_day(start)}"
    return f"{field} {_day(start)} to {_day(end)}"


def _timeline(r: HtmlReporter, purposes: list[str | None]) -> str:
    lanes = r.timeline.lanes()
    today = r.timeline.today or date.fromisoformat(r.info.today)
    t = today.toordinal()
    out = ['<h2 id="timeline">Retention timeline per purpose</h2>',
           '<p class="meta">Each bar is a date field a purpose\'s retention rules count from, '
           "earlier days to the left, today on the orange line. A record is in the window its own day "
           "falls in, by the day rules of <code>check</code>: a period's last day is the day it is kept "
           'through; it may be (or must be) erased from the day after. <span class="sw erase"></span>erase '
           '<span class="sw keep"></span>must be kept <span class="sw open"></span>may be kept or erased.</p>']
    if not lanes:
        out.append('<p class="note">' + ("No records were read: there is nothing to place on a timeline."
                                         if not r.info.records else
                                         "No purpose of these records' policy states a retention period.")
                   + "</p>")
    by_purpose: dict[str, list[Lane]] = {}
    for lane in lanes:
        by_purpose.setdefault(lane.purpose, []).append(lane)
    for name in [p for p in purposes if p in by_purpose]:
        out.append(f'<h3 id="purpose-{_attr(name)}">{_text(name)} '
                   f'<span class="meta">({r.timeline.records.get(name, 0)} records)</span></h3>')
        for lane in by_purpose[name]:
            out.append(f'<div class="lane" data-purpose="{_attr(name)}" data-field="{_attr(lane.field)}">')
            anchor = "" if lane.anchor == lane.field else f" (counted from its {_text(lane.anchor)})"
            out.append(f"<div><b>{_text(lane.field)}</b>{anchor}</div>")
            out.append(_svg(lane, t, 1100, "wide"))
            out.append(_svg(lane, t, 420, "narrow"))
            out.append('<ul class="windows">')
            for w in reversed(lane.windows):  # today's side first: what is newest is read first
                out.append(f'<li data-state="{w.state}" data-count="{w.count}"><span class="sw {w.state}"></span>'
                           f"<b>{w.count}</b> record{'s' if w.count != 1 else ''}, "
                           f"{_window_span(lane, w.start, w.end)}: {_text(w.label)}</li>")
            if lane.missing:
                why = "no date: PC902" if lane.required else "no date: the event has not happened"
                out.append(f'<li data-state="missing" data-count="{lane.missing}"><b>{lane.missing}</b> '
                           f"without {_text(lane.field)} ({why})</li>")
            if lane.unreadable:
                out.append(f'<li data-state="unreadable" data-count="{lane.unreadable}">'
                           f"<b>{lane.unreadable}</b> with an unreadable {_text(lane.field)} (PC901/PC903)</li>")
            out.append("</ul><ul class=\"rules\">")
            for b in lane.boundaries:
                ended = (f"; {_text(lane.field)} on or before {_text(b.last_ended)}: the period has ended"
                         if b.last_ended else "")
                out.append(f"<li><code>{_text(b.clause)}</code> ({_text(b.where)}): "
                           f"{_text(lane.field)} today: {_text(b.today_text)}{ended}</li>")
            out.append("</ul></div>")
    return "\n".join(out)


# ---- the findings table -------------------------------------------------------------

def _findings(r: HtmlReporter, purposes: list[str | None], clauses) -> str:
    rows = sorted(r.rows, key=_days_key, reverse=True)  # most overdue first, stable in input order
    shown = len(rows)
    out = ['<h2 id="findings-list">Findings</h2>']
    if r.total > shown:
        out.append(f'<p class="note" id="aggregated">The first {shown} of {r.total} findings are listed '
                   "(the totals above count all of them). The full list: run the same check with "
                   "<code>--format jsonl</code> or <code>--format csv</code>.</p>")
    if not rows:
        out.append("<p>None.</p>")
        return "\n".join(out)
    codes = sorted({f.code for f in rows})
    names = [p for p in purposes if any(f.purpose == p for f in rows)]
    code_options = "".join(f'<option value="{c}">{c} {CODES[c][0]}</option>' for c in codes)
    purpose_options = "".join(f'<option value="{_attr(_purpose_name(p))}">{_text(_purpose_name(p))}</option>'
                              for p in names)
    out.append('<div class="controls" id="controls" hidden>'
               f'<label>Finding <select id="f-code"><option value="">all</option>{code_options}</select></label>'
               f'<label>Purpose <select id="f-purpose"><option value="">all</option>{purpose_options}</select>'
               f'</label><button type="button" id="sort-days" aria-sort="descending">sort by days<span> &#9660;</span>'
               f'</button><span><span id="shown">{shown}</span> of {shown} shown</span></div>')
    out.append('<div class="scroll"><table id="findings" class="phone-cards"><thead><tr><th scope="col">finding</th>'
               '<th scope="col">purpose</th><th scope="col">record</th>'
               '<th scope="col">due</th><th class="num" scope="col">days</th>'
               '<th scope="col">policy clause</th><th scope="col">why</th></tr></thead><tbody>')
    for f in rows:
        entry = clauses.get(f.rule) if f.rule else None
        if entry is not None:
            clause = (f'<a href="#{entry[0]}"><code>{_text(f.rule)}</code></a>'
                      f'<span class="clause">{_text(entry[1])}</span>')
        elif f.rule:
            clause = f"<code>{_text(f.rule)}</code>"
        else:
            clause = "-"
        days = "" if f.days is None else str(f.days)
        out.append(
            f'<tr data-code="{f.code}" data-purpose="{_attr(_purpose_name(f.purpose))}" '
            f'data-days="{f.days if f.days is not None else -1000000000}">'
            f'<td data-label="finding"><b>{f.code}</b> {f.action}</td>'
            f'<td data-label="purpose">{_text(_purpose_name(f.purpose))}</td>'
            f'<td data-label="record"><span class="mono">{_text(f.record)}</span>'
            f'<span class="where">{_text(f.location)}</span></td>'
            f'<td class="due" data-label="due">{f.due.isoformat() if f.due else "-"}</td>'
            f'<td class="num" data-label="days">{days}</td>'
            f'<td data-label="clause">{clause}</td><td class="msg" data-label="why">{_text(f.message)}</td></tr>')
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _clause_list(r: HtmlReporter, clauses) -> str:
    found = Counter(f.rule for f in r.rows if f.rule)
    out = ['<h2 id="clauses">Policy clauses</h2><div class="scroll"><table class="phone-cards"><thead><tr>'
           '<th scope="col">where</th><th scope="col">clause</th><th scope="col">purposes</th>'
           '<th class="num" scope="col">findings listed</th></tr></thead><tbody>']
    for where, (anchor, text, purposes) in clauses.items():
        out.append(f'<tr id="{anchor}"><td class="at" data-label="where"><code>{_text(where)}</code></td>'
                   f'<td data-label="clause"><code>{_text(text)}</code></td>'
                   f"<td data-label=\"purposes\">{_text(', '.join(purposes) or 'all (requests)')}</td>"
                   f'<td class="num" data-label="listed">{found.get(where, 0)}</td></tr>')
    out.append("</tbody></table></div>")
    return "\n".join(out)
