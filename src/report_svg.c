/* A flame graph as one self-contained SVG: the root at the bottom, each
 * frame a box as wide as its samples, children in name order; "Icicle" (or
 * the key i) turns it upside down, the root at the top. Names are clipped
 * to their box here and again by the script after a zoom; every name is
 * escaped for XML (invalid UTF-8 and control characters become U+FFFD),
 * and the script never turns text into markup. A box's title holds its
 * name, its samples and, when known, its file:line (by function, the
 * lowest line sampled in it). */
#include "config.h"

#include "report_svg.h"

#include <stdlib.h>
#include <string.h>

#include "hashindex.h"
#include "recreader.h"
#include "report_common.h"
#include "rowtext.h"
#include "util.h"

#define SVG_WIDTH 1200
#define SVG_PAD 10
#define SVG_FRAME_HEIGHT 16
#define SVG_TOP 40
#define SVG_BOTTOM 46 /* the sample count, then the details line, under the root */
#define SVG_FONT_SIZE 12
#define SVG_FONT_WIDTH 0.59 /* of the font size, per character, about */
#define SVG_MIN_WIDTH 0.1   /* narrower boxes are left out */

enum { KIND_ALL = 8, KIND_THREAD = 9, KIND_PROCESS = 10 };

typedef struct Node {
    uint32_t parent;
    StrId name; /* in the graph's own symtab */
    uint8_t kind;
    uint32_t depth;
    uint32_t first_child, next_sibling; /* index + 1 */
    uint64_t count;
    double x;
    StrId file;    /* in the graph's own symtab; SYMTAB_EMPTY: none */
    uint32_t line; /* the lowest line sampled; 0: none */
} Node;

typedef struct Graph {
    Symtab *names;
    Node *nodes;
    size_t n, cap;
    HashIndex index; /* node_hash(parent, name, kind) -> node index */
} Graph;

static uint64_t
node_hash(uint32_t parent, StrId name, uint8_t kind)
{
    uint64_t h = ((uint64_t)parent << 32 | name) * 0x9e3779b97f4a7c15ull;
    return (h ^ (h >> 29) ^ kind) * 0xbf58476d1ce4e5b9ull;
}

typedef struct NodeKey {
    const Node *nodes;
    uint32_t parent;
    StrId name;
    uint8_t kind;
} NodeKey;

static bool
node_equal(const void *ctx, uint32_t id)
{
    const NodeKey *k = ctx;
    const Node *node = &k->nodes[id];
    return node->parent == k->parent && node->name == k->name && node->kind == k->kind;
}

static uint32_t
graph_child(Graph *g, uint32_t parent, StrId name, uint8_t kind)
{
    NodeKey key = {g->nodes, parent, name, kind};
    uint32_t id = HashIndex_intern(&g->index, node_hash(parent, name, kind), (uint32_t)g->n,
                                   node_equal, &key);
    if (id < g->n)
        return id;
    g->nodes = xgrow(g->nodes, &g->cap, g->n + 1, sizeof(Node));
    g->nodes[id] = (Node){
        .parent = parent,
        .name = name,
        .kind = kind,
        .depth = g->nodes[parent].depth + 1,
    };
    g->n++;
    return id;
}

static int
compare_children(const void *pa, const void *pb, void *arg)
{
    const Graph *g = arg;
    const Node *a = &g->nodes[*(const uint32_t *)pa], *b = &g->nodes[*(const uint32_t *)pb];
    int c = strcmp(Symtab_string(g->names, a->name), Symtab_string(g->names, b->name));
    return c ? c : (a->kind > b->kind) - (a->kind < b->kind);
}

/* Children in name order, each placed after its elder siblings. Parents
 * come before their children in the array, so one pass places all. */
static void
graph_layout(Graph *g, double width)
{
    for (size_t i = 1; i < g->n; i++) {
        Node *node = &g->nodes[i];
        node->next_sibling = g->nodes[node->parent].first_child;
        g->nodes[node->parent].first_child = (uint32_t)i + 1;
    }
    uint32_t *kids = xreallocarray(NULL, g->n ? g->n : 1, sizeof(uint32_t));
    double scale = g->nodes[0].count ? width / (double)g->nodes[0].count : 0;
    g->nodes[0].x = 0;
    for (size_t i = 0; i < g->n; i++) {
        size_t nk = 0;
        for (uint32_t c = g->nodes[i].first_child; c; c = g->nodes[c - 1].next_sibling)
            kids[nk++] = c - 1;
        if (nk > 1)
            qsort_r(kids, nk, sizeof(uint32_t), compare_children, g);
        double x = g->nodes[i].x;
        for (size_t k = 0; k < nk; k++) {
            g->nodes[kids[k]].x = x;
            x += (double)g->nodes[kids[k]].count * scale;
        }
    }
    free(kids);
}

static bool
xml_allowed(uint32_t c)
{
    /* XML 1.0's Char, less controls and the bidi overrides that could make
     * a name read differently than it is. */
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0xfffe || c == 0xffff)
        return false;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
        c == 0x200f || c == 0x61c)
        return false;
    return true;
}

/* Writes at most max_chars characters of s escaped for XML text and
 * attributes; with clip, a cut name ends in "..". */
static void
xml_text(const char *s, size_t max_chars, FILE *out)
{
    size_t chars = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (const unsigned char *q = p; *q; chars++) {
        uint32_t c;
        size_t len = Util_utf8_decode(q, &c);
        q += len ? len : 1;
    }
    bool cut = chars > max_chars;
    size_t keep = cut ? (max_chars >= 2 ? max_chars - 2 : 0) : chars;
    for (size_t i = 0; i < keep && *p; i++) {
        uint32_t c;
        size_t len = Util_utf8_decode(p, &c);
        if (!len || !xml_allowed(c)) {
            fputs("\xef\xbf\xbd", out); /* U+FFFD */
            p += len ? len : 1;
            continue;
        }
        switch (c) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        default:
            fwrite(p, 1, len, out);
        }
        p += len;
    }
    if (cut && max_chars >= 2)
        fputs("..", out);
}

/* A non-negative number with two decimals and a '.', whatever LC_NUMERIC
 * says (the view sets the locale; XML and the script want a point). */
static const char *
fixed2(double v, char *buf, size_t size)
{
    unsigned long long c = v > 0 ? (unsigned long long)(v * 100 + 0.5) : 0;
    snprintf(buf, size, "%llu.%02llu", c / 100, c % 100);
    return buf;
}

static uint32_t
fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void
node_color(const Graph *g, const Node *node, char *buf, size_t size)
{
    uint32_t h = fnv(Symtab_string(g->names, node->name));
    unsigned a = h % 256, b = (h >> 8) % 256, c = (h >> 16) % 256;
    switch (node->kind) {
    case KIND_ALL:
        snprintf(buf, size, "rgb(200,200,200)");
        break;
    case KIND_THREAD:
        snprintf(buf, size, "rgb(%u,%u,230)", 150 + a % 40, 170 + b % 40);
        break;
    case KIND_PROCESS:
        snprintf(buf, size, "rgb(230,%u,%u)", 170 + a % 40, 200 + b % 30);
        break;
    case FRAME_PYTHON:
        snprintf(buf, size, "rgb(%u,%u,%u)", 50 + a % 60, 170 + b % 60, 50 + c % 60);
        break;
    case FRAME_INLINED:
        snprintf(buf, size, "rgb(%u,%u,%u)", 225 + a % 30, 150 + b % 80, 40 + c % 50);
        break;
    default:
        snprintf(buf, size, "rgb(%u,%u,%u)", 205 + a % 50, b % 200, c % 55);
    }
}

/* The script: hover details, click to zoom, Ctrl-F or '/' to search,
 * Escape to reset. It reads names from each box's <title> and sets text
 * with textContent only. */
static const char svg_script[] =
    "\"use strict\";\n"
    "var W = 0, X0 = 0, FW = 0, FH = 0, FLIP = 0, icicle = false;\n"
    "var details, matched, unzoom, orient, boxes = [], lastSearch = '';\n"
    "function rectOf(g) { return g.getElementsByTagName('rect')[0]; }\n"
    "function titleOf(g) { return g.getElementsByTagName('title')[0].textContent; }\n"
    "function nameOf(g) { return titleOf(g).split('\\n')[0]; }\n"
    "function fit(g) {\n"
    "  var r = rectOf(g), t = g.getElementsByTagName('text')[0];\n"
    "  var w = +r.getAttribute('width'), n = nameOf(g), max = Math.floor((w - 6) / FW);\n"
    "  t.setAttribute('x', +r.getAttribute('x') + 3);\n"
    "  t.textContent = max < 3 ? '' : n.length > max ? n.substring(0, max - 2) + '..' : n;\n"
    "}\n"
    "function init() {\n"
    "  var svg = document.documentElement;\n"
    "  W = +svg.getAttribute('data-graph-width'); X0 = +svg.getAttribute('data-graph-x');\n"
    "  FW = +svg.getAttribute('data-font-width');\n"
    "  FH = +svg.getAttribute('data-frame-height'); FLIP = +svg.getAttribute('data-flip');\n"
    "  details = document.getElementById('details');\n"
    "  matched = document.getElementById('matched');\n"
    "  unzoom = document.getElementById('unzoom');\n"
    "  orient = document.getElementById('orient');\n"
    "  var gs = document.getElementById('frames').getElementsByTagName('g');\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var r = rectOf(gs[i]);\n"
    "    boxes.push({g: gs[i], x: +r.getAttribute('x'), w: +r.getAttribute('width'),\n"
    "                y: +r.getAttribute('y'), fill: r.getAttribute('fill')});\n"
    "    gs[i].addEventListener('click', function (e) { zoom(this); e.stopPropagation(); });\n"
    "    gs[i].addEventListener('mouseover', function () {\n"
    "      var l = titleOf(this).split('\\n');\n"
    "      details.textContent = l[0] + ': ' + l[1] + (l.length > 2 ? ', ' + l[2] : '');\n"
    "    });\n"
    "    gs[i].addEventListener('mouseout', function () { details.textContent = ' '; });\n"
    "  }\n"
    "  unzoom.addEventListener('click', reset);\n"
    "  orient.addEventListener('click', flip);\n"
    "  document.getElementById('search').addEventListener('click', search);\n"
    "  window.addEventListener('keydown', function (e) {\n"
    "    if ((e.key === 'f' && (e.ctrlKey || e.metaKey)) || e.key === '/') {\n"
    "      e.preventDefault(); search();\n"
    "    }\n"
    "    else if (e.key === 'Escape') { reset(); clearSearch(); }\n"
    "    else if (e.key === 'i' && !e.ctrlKey && !e.metaKey) flip();\n"
    "  });\n"
    "}\n"
    "function flip() {\n"
    "  icicle = !icicle;\n"
    "  orient.textContent = icicle ? 'Flame graph' : 'Icicle';\n"
    "  for (var i = 0; i < boxes.length; i++) {\n"
    "    var b = boxes[i], y = icicle ? FLIP - b.y : b.y;\n"
    "    rectOf(b.g).setAttribute('y', y);\n"
    "    b.g.getElementsByTagName('text')[0].setAttribute('y', y + FH - 4);\n"
    "  }\n"
    "}\n"
    "function place(b, x, w, show, parent) {\n"
    "  var r = rectOf(b.g);\n"
    "  b.g.style.display = show ? '' : 'none';\n"
    "  b.g.style.opacity = parent ? '0.6' : '';\n"
    "  r.setAttribute('x', x); r.setAttribute('width', w); fit(b.g);\n"
    "}\n"
    "function zoom(g) {\n"
    "  var z = null, e = 0.0001;\n"
    "  for (var i = 0; i < boxes.length; i++) if (boxes[i].g === g) z = boxes[i];\n"
    "  if (!z || z.w <= 0) return;\n"
    "  var k = W / z.w;\n"
    "  for (var i = 0; i < boxes.length; i++) {\n"
    "    var b = boxes[i];\n"
    "    if (b.y > z.y) {\n"
    "      var up = b.x <= z.x + e && b.x + b.w >= z.x + z.w - e;\n"
    "      place(b, X0, W, up, true);\n"
    "    } else {\n"
    "      var inside = b.x >= z.x - e && b.x + b.w <= z.x + z.w + e;\n"
    "      place(b, X0 + (b.x - z.x) * k, b.w * k, inside, false);\n"
    "    }\n"
    "  }\n"
    "  unzoom.style.display = '';\n"
    "}\n"
    "function reset() {\n"
    "  for (var i = 0; i < boxes.length; i++)\n"
    "    place(boxes[i], boxes[i].x, boxes[i].w, true, false);\n"
    "  unzoom.style.display = 'none';\n"
    "}\n"
    "function clearSearch() {\n"
    "  for (var i = 0; i < boxes.length; i++)\n"
    "    rectOf(boxes[i].g).setAttribute('fill', boxes[i].fill);\n"
    "  matched.textContent = ' ';\n"
    "}\n"
    "function search() {\n"
    "  var term = window.prompt('Search for (a regular expression; empty to clear)', lastSearch);\n"
    "  if (term === null) return;\n"
    "  clearSearch(); lastSearch = term;\n"
    "  if (term === '') return;\n"
    "  var re;\n"
    "  try { re = new RegExp(term); }\n"
    "  catch (err) { matched.textContent = 'Bad expression'; return; }\n"
    "  var spans = [];\n"
    "  for (var i = 0; i < boxes.length; i++) {\n"
    "    if (!re.test(nameOf(boxes[i].g))) continue;\n"
    "    rectOf(boxes[i].g).setAttribute('fill', 'rgb(230,0,230)');\n"
    "    spans.push([boxes[i].x, boxes[i].x + boxes[i].w]);\n"
    "  }\n"
    "  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
    "  var total = 0, end = -1;\n"
    "  for (var i = 0; i < spans.length; i++) {\n"
    "    var s = Math.max(spans[i][0], end);\n"
    "    if (spans[i][1] > s) total += spans[i][1] - s;\n"
    "    end = Math.max(end, spans[i][1]);\n"
    "  }\n"
    "  matched.textContent = 'Matched: ' + (W > 0 ? 100 * total / W : 0).toFixed(1) + '%';\n"
    "}\n";

int
Report_svg(const RecReader *reader, const Symtab *symtab, const ReportOptions *options, FILE *out)
{
    size_t npicks, ncounts;
    ReportPick *picks = Report_select(reader, symtab, options, &npicks);
    bool by_process = Report_by_process(reader, options);
    ReportStackCount *counts =
        Report_count_stacks(picks, npicks, options->thread_roots, by_process, &ncounts);

    Graph g = {.names = Symtab_new()};
    g.cap = 1024;
    g.nodes = xcalloc(g.cap, sizeof(Node));
    g.nodes[0] = (Node){.name = Symtab_intern_cstr(g.names, "all"), .kind = KIND_ALL};
    g.n = 1;
    for (size_t i = 0; i < ncounts; i++) {
        uint32_t at = 0;
        g.nodes[0].count += counts[i].count;
        if (by_process) {
            char *label = Report_process_label(reader, symtab, counts[i].pid);
            at = graph_child(&g, at, Symtab_intern_cstr(g.names, label), KIND_PROCESS);
            free(label);
            g.nodes[at].count += counts[i].count;
        }
        if (options->thread_roots) {
            char *label = Report_thread_label(reader, symtab, counts[i].tid);
            at = graph_child(&g, at, Symtab_intern_cstr(g.names, label), KIND_THREAD);
            free(label);
            g.nodes[at].count += counts[i].count;
        }
        size_t depth;
        const FrameId *frames = Symtab_stack(symtab, counts[i].stack, &depth);
        for (size_t k = depth; k-- > 0;) {
            char *name =
                Report_frame_name(symtab, frames[k], options->by_line, options->full_paths);
            const SymtabFrame *f = Symtab_frame(symtab, frames[k]);
            at = graph_child(&g, at, Symtab_intern_cstr(g.names, name), f ? f->kind : 0);
            free(name);
            Node *node = &g.nodes[at];
            node->count += counts[i].count;
            const char *file = f ? Symtab_string(symtab, f->file) : "";
            if (file[0] && !node->file)
                node->file = Symtab_intern_cstr(
                    g.names, options->full_paths ? file : RowText_short_path(file));
            if (f && f->line && (!node->line || f->line < node->line))
                node->line = f->line;
        }
    }
    double width = SVG_WIDTH - 2 * SVG_PAD;
    graph_layout(&g, width);
    uint64_t total = g.nodes[0].count;
    double scale = total ? width / (double)total : 0;
    uint32_t max_depth = 0;
    for (size_t i = 0; i < g.n; i++)
        if ((double)g.nodes[i].count * scale >= SVG_MIN_WIDTH && g.nodes[i].depth > max_depth)
            max_depth = g.nodes[i].depth;
    unsigned height = SVG_TOP + (max_depth + 1) * SVG_FRAME_HEIGHT + SVG_BOTTOM;
    double font_width = SVG_FONT_SIZE * SVG_FONT_WIDTH;
    char num[2][32];

    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%u\" viewBox=\"0 0 %d %u\" onload=\"init()\" data-graph-width=\"%d\" "
            "data-graph-x=\"%d\" data-font-width=\"%s\" data-frame-height=\"%d\" "
            "data-flip=\"%u\">\n",
            SVG_WIDTH, height, SVG_WIDTH, height, SVG_WIDTH - 2 * SVG_PAD, SVG_PAD,
            fixed2(font_width, num[0], sizeof(num[0])), SVG_FRAME_HEIGHT,
            height - SVG_BOTTOM - SVG_FRAME_HEIGHT + SVG_TOP);
    fprintf(out,
            "<style type=\"text/css\">\n"
            "text { font-family: Verdana, sans-serif; font-size: %dpx; fill: #000; }\n"
            "#title { font-size: 17px; }\n"
            "#frames g:hover rect { stroke: #000; stroke-width: 0.5; }\n"
            "#frames g { cursor: pointer; }\n"
            "#search, #unzoom, #orient { cursor: pointer; fill: #336; }\n"
            "</style>\n",
            SVG_FONT_SIZE);
    fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", svg_script);
    fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#f8f8f0\"/>\n", out);

    fprintf(out, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", SVG_WIDTH / 2);
    if (options->title) {
        xml_text(options->title, SIZE_MAX, out);
    } else {
        char *target = Report_title(reader, symtab, options);
        char *title = xasprintf("Flame graph: %s", target);
        free(target);
        xml_text(title, 120, out);
        free(title);
    }
    fputs("</text>\n", out);
    fprintf(out,
            "<text id=\"unzoom\" x=\"%d\" y=\"24\" style=\"display:none\">Reset Zoom</text>\n"
            "<text id=\"search\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search</text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
            "<text id=\"matched\" x=\"%d\" y=\"%u\" text-anchor=\"end\"> </text>\n",
            SVG_PAD, SVG_WIDTH - SVG_PAD, SVG_PAD, height - 12, SVG_WIDTH - SVG_PAD, height - 12);
    fprintf(out, "<text id=\"orient\" x=\"%d\" y=\"24\" text-anchor=\"end\">Icicle</text>\n",
            SVG_WIDTH - SVG_PAD - 70);
    fprintf(out, "<text x=\"%d\" y=\"%u\">%llu samples%s%s</text>\n", SVG_PAD, height - 30,
            (unsigned long long)total, options->include_idle ? ", idle included" : "",
            options->by_line ? ", by line" : "");

    fputs("<g id=\"frames\">\n", out);
    for (size_t i = 0; i < g.n; i++) {
        const Node *node = &g.nodes[i];
        double w = (double)node->count * scale;
        if (w < SVG_MIN_WIDTH)
            continue;
        double x = SVG_PAD + node->x;
        unsigned y = height - SVG_BOTTOM - (node->depth + 1) * SVG_FRAME_HEIGHT;
        const char *name = Symtab_string(g.names, node->name);
        char color[32];
        node_color(&g, node, color, sizeof(color));
        fputs("<g><title>", out);
        xml_text(name, SIZE_MAX, out);
        fprintf(out, "\n%llu samples (%s%%)", (unsigned long long)node->count,
                fixed2(total ? 100.0 * (double)node->count / (double)total : 0.0, num[0],
                       sizeof(num[0])));
        if (node->file) {
            fputc('\n', out);
            xml_text(Symtab_string(g.names, node->file), SIZE_MAX, out);
            if (node->line)
                fprintf(out, ":%u", node->line);
        }
        fputs("</title>", out);
        fprintf(out,
                "<rect x=\"%s\" y=\"%u\" width=\"%s\" height=\"%d\" fill=\"%s\" rx=\"2\" "
                "ry=\"2\"/>",
                fixed2(x, num[0], sizeof(num[0])), y, fixed2(w, num[1], sizeof(num[1])),
                SVG_FRAME_HEIGHT - 1, color);
        fprintf(out, "<text x=\"%s\" y=\"%u\">", fixed2(x + 3, num[0], sizeof(num[0])),
                y + SVG_FRAME_HEIGHT - 4);
        double fits = (w - 6) / font_width;
        if (fits >= 3)
            xml_text(name, (size_t)fits, out);
        fputs("</text></g>\n", out);
    }
    fputs("</g>\n", out);
    if (total == 0)
        fprintf(out,
                "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\">No samples in the "
                "selection</text>\n",
                SVG_WIDTH / 2, height / 2);
    fputs("</svg>\n", out);

    free(g.nodes);
    HashIndex_done(&g.index);
    Symtab_delete(g.names);
    free(counts);
    free(picks);
    return Report_finish(out);
}
