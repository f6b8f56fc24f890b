#include "config.h"

#include "pylayout.h"

#include <string.h>

#include "util.h"

/* One layout per version, its fields in a fixed order: kept as written. */
/* clang-format off */
static const PyLayout table[] = {
    {.minor = 8, .lines = PY_LINES_LNOTAB, .rt_interpreters_head = 32, .rt_gil_holder = 1368,
     .is_modules = 56, .is_next = 0, .is_threads_head = 8, .ts_next = 8, .ts_frame = 24, .ts_thread_id = 176,
     .fr_previous = 24, .fr_code = 32, .fr_lasti = 104, .co_filename = 104, .co_name = 112,
     .co_firstlineno = 40, .co_linetable = 120, .ascii_size = 48, .compact_size = 72,
     .fr_localsplus = 360, .co_localsnames = 72, .co_nlocals = 28,
     .co_cellvars = 88},
    {.minor = 9, .lines = PY_LINES_LNOTAB, .rt_interpreters_head = 32, .rt_gil_holder = 568,
     .is_modules = 856, .is_next = 0, .is_threads_head = 8, .ts_next = 8, .ts_frame = 24, .ts_thread_id = 176,
     .fr_previous = 24, .fr_code = 32, .fr_lasti = 104, .co_filename = 104, .co_name = 112,
     .co_firstlineno = 40, .co_linetable = 120, .ascii_size = 48, .compact_size = 72,
     .fr_localsplus = 360, .co_localsnames = 72, .co_nlocals = 28,
     .co_cellvars = 88},
    {.minor = 10, .lines = PY_LINES_LINETABLE, .rt_interpreters_head = 32, .rt_gil_holder = 568,
     .is_modules = 856, .is_next = 0, .is_threads_head = 8, .ts_next = 8, .ts_frame = 24, .ts_thread_id = 176,
     .fr_previous = 24, .fr_code = 32, .fr_lasti = 96, .co_filename = 104, .co_name = 112,
     .co_firstlineno = 40, .co_linetable = 120, .ascii_size = 48, .compact_size = 72,
     .fr_localsplus = 352, .co_localsnames = 72, .co_nlocals = 28,
     .co_cellvars = 88},
    {.minor = 11, .lines = PY_LINES_LOCATIONS, .rt_interpreters_head = 40, .rt_gil_holder = 576,
     .is_modules = 888, .is_next = 0, .is_threads_head = 16, .ts_next = 8, .ts_cframe = 56, .cframe_frame = 8,
     .ts_thread_id = 152, .ts_native_thread_id = 160, .ts_datastack_chunk = 296,
     .ts_datastack_top = 304, .fr_previous = 48, .fr_code = 32, .fr_instr = 56, .fr_owner = 69,
     .fr_is_entry = 68, .co_filename = 112, .co_name = 120, .co_qualname = 128,
     .co_firstlineno = 72, .co_linetable = 136, .co_code_adaptive = 184, .ascii_size = 48,
     .compact_size = 72, .fr_localsplus = 72, .co_localsnames = 96, .co_localskinds = 104},
    {.minor = 12, .lines = PY_LINES_LOCATIONS, .rt_interpreters_head = 40, .is_next = 0,
     .is_modules = 944, .is_threads_head = 72, .is_gil = 384, .gil_locked = 16, .gil_holder = 8, .ts_next = 8,
     .ts_cframe = 56, .cframe_frame = 0, .ts_thread_id = 136, .ts_native_thread_id = 144,
     .ts_datastack_chunk = 232, .ts_datastack_top = 240, .fr_previous = 8, .fr_code = 0,
     .fr_instr = 56, .fr_owner = 70, .co_filename = 112, .co_name = 120, .co_qualname = 128,
     .co_firstlineno = 68, .co_linetable = 136, .co_code_adaptive = 192, .ascii_size = 40,
     .compact_size = 56, .fr_localsplus = 72, .co_localsnames = 96, .co_localskinds = 104},
};
/* clang-format on */

/* What the versions of the table share: PyObject's ob_type, str's length
 * and state, bytes' size and data; and how much of a thread state (184
 * bytes before 3.11, 320 after) and of a frame (112 bytes of a frame
 * object before 3.11, 80 of an interpreter frame after) the walk reads. */
bool
PyLayout_for_minor(int minor, PyLayout *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        if (table[i].minor != minor)
            continue;
        *out = table[i];
        out->ob_type = 8;
        out->str_length = 16;
        out->str_state = 32;
        out->bytes_size = 16;
        out->bytes_data = 32;
        out->tuple_items = 24;
        bool frames_on_stack = out->lines == PY_LINES_LOCATIONS;
        out->ts_read = frames_on_stack ? 320 : 184;
        out->fr_read = frames_on_stack ? 80 : 112;
        return true;
    }
    return false;
}

/* ---- 3.13+: _Py_DebugOffsets -------------------------------------------- */

/* Where each field spytop reads sits in one version's _Py_DebugOffsets, in
 * 8-byte words from its start (word 0 is the cookie, 1 the version, 2 the
 * free-threading flag). Counted from each version's own header
 * (Include/internal/pycore_runtime.h in 3.13, pycore_debug_offsets.h from
 * 3.14, as Debian's libpython3.X-dev ships them) and checked against the
 * values in Debian's 3.13.18, 3.14.10 and 3.15.2 (tests/unit/test_pylayout). */
typedef struct OffsetsLayout {
    int minor;
    uint8_t words; /* the struct's size */
    /* _PyRuntimeState */
    uint8_t rt_size, rt_interpreters_head;
    /* PyInterpreterState */
    uint8_t is_size, is_next, is_threads_head, is_modules, gil_locked, gil_holder;
    /* PyThreadState */
    uint8_t ts_size, ts_next, ts_current_frame, ts_thread_id, ts_native_thread_id;
    uint8_t ts_datastack_chunk;
    /* _PyInterpreterFrame */
    uint8_t fr_size, fr_previous, fr_executable, fr_instr_ptr, fr_localsplus, fr_owner;
    uint8_t fr_stackpointer; /* 0: none (3.13) */
    /* PyCodeObject */
    uint8_t co_size, co_filename, co_name, co_qualname, co_linetable, co_firstlineno;
    uint8_t co_localsplusnames, co_localspluskinds, co_code_adaptive;
    /* PyObject, PyBytesObject, PyUnicodeObject */
    uint8_t ob_size, ob_type;
    uint8_t tuple_items, tuple_ob_size, float_value, long_tag, long_digits;
    uint8_t bytes_size, bytes_ob_size, bytes_sval;
    uint8_t str_size, str_state, str_length, str_ascii_size, str_compact_size; /* 0: none */
    /* PySetObject, PyGenObject (3.14+; 0: none) */
    uint8_t set_size, set_used, set_table, set_mask;
    uint8_t gen_size, gen_iframe, gen_frame_state;
} OffsetsLayout;

/* clang-format off */
static const OffsetsLayout offsets_layouts[] = {
    {.minor = 13, .words = 73, .rt_size = 3, .rt_interpreters_head = 5,
     .is_size = 6, .is_next = 8, .is_threads_head = 9, .is_modules = 11, .gil_locked = 17, .gil_holder = 18,
     .ts_size = 19, .ts_next = 21, .ts_current_frame = 23, .ts_thread_id = 24,
     .ts_native_thread_id = 25, .ts_datastack_chunk = 26,
     .fr_size = 28, .fr_previous = 29, .fr_executable = 30, .fr_instr_ptr = 31,
     .fr_localsplus = 32, .fr_owner = 33,
     .co_size = 34, .co_filename = 35, .co_name = 36, .co_qualname = 37, .co_linetable = 38,
     .co_firstlineno = 39, .co_localsplusnames = 41, .co_localspluskinds = 42,
     .co_code_adaptive = 43,
     .ob_size = 44, .ob_type = 45, .tuple_items = 51, .tuple_ob_size = 52, .float_value = 60,
     .long_tag = 62, .long_digits = 63, .bytes_size = 64, .bytes_ob_size = 65, .bytes_sval = 66,
     .str_size = 67, .str_state = 68, .str_length = 69, .str_ascii_size = 70},
    /* 3.14: the interpreter gains threads_main, code_object_generation and
     * tlbc_generation; the frame stackpointer and tlbc_index; the code
     * object co_tlbc; then set, generator, llist and debugger entries. */
    {.minor = 14, .words = 95, .rt_size = 3, .rt_interpreters_head = 5,
     .is_size = 6, .is_next = 8, .is_threads_head = 9, .is_modules = 12, .gil_locked = 18, .gil_holder = 19,
     .ts_size = 22, .ts_next = 24, .ts_current_frame = 26, .ts_thread_id = 27,
     .ts_native_thread_id = 28, .ts_datastack_chunk = 29,
     .fr_size = 31, .fr_previous = 32, .fr_executable = 33, .fr_instr_ptr = 34,
     .fr_localsplus = 35, .fr_owner = 36,
     .co_size = 39, .co_filename = 40, .co_name = 41, .co_qualname = 42, .co_linetable = 43,
     .co_firstlineno = 44, .co_localsplusnames = 46, .co_localspluskinds = 47,
     .co_code_adaptive = 48,
     .ob_size = 50, .ob_type = 51, .tuple_items = 57, .tuple_ob_size = 58, .float_value = 70,
     .long_tag = 72, .long_digits = 73, .bytes_size = 74, .bytes_ob_size = 75, .bytes_sval = 76,
     .str_size = 77, .str_state = 78, .str_length = 79, .str_ascii_size = 80,
     .fr_stackpointer = 37, .set_size = 62, .set_used = 63, .set_table = 64, .set_mask = 65,
     .gen_size = 83, .gen_iframe = 85, .gen_frame_state = 86},
    /* 3.15: the thread state gains base_frame and the last profiled frame
     * before thread_id, and GIL and exception fields after status; an
     * exception stack item, type sizes, heap types, the compact str size
     * and more GC fields follow. */
    {.minor = 15, .words = 111, .rt_size = 3, .rt_interpreters_head = 5,
     .is_size = 6, .is_next = 8, .is_threads_head = 9, .is_modules = 12, .gil_locked = 18, .gil_holder = 19,
     .ts_size = 22, .ts_next = 24, .ts_current_frame = 26, .ts_thread_id = 30,
     .ts_native_thread_id = 31, .ts_datastack_chunk = 32,
     .fr_size = 39, .fr_previous = 40, .fr_executable = 41, .fr_instr_ptr = 42,
     .fr_localsplus = 43, .fr_owner = 44,
     .co_size = 47, .co_filename = 48, .co_name = 49, .co_qualname = 50, .co_linetable = 51,
     .co_firstlineno = 52, .co_localsplusnames = 54, .co_localspluskinds = 55,
     .co_code_adaptive = 56,
     .ob_size = 58, .ob_type = 59, .tuple_items = 69, .tuple_ob_size = 70, .float_value = 82,
     .long_tag = 84, .long_digits = 85, .bytes_size = 86, .bytes_ob_size = 87, .bytes_sval = 88,
     .str_size = 89, .str_state = 90, .str_length = 91, .str_ascii_size = 92,
     .str_compact_size = 93,
     .fr_stackpointer = 45, .set_size = 74, .set_used = 75, .set_table = 76, .set_mask = 77,
     .gen_size = 99, .gen_iframe = 101, .gen_frame_state = 102},
};
/* clang-format on */

const char *
PyLayout_known_debug_offsets(void)
{
    return "3.13 to 3.15";
}

static uint64_t
word(const uint8_t *bytes, uint8_t index)
{
    uint64_t v;
    memcpy(&v, bytes + (size_t)index * 8, sizeof(v));
    return v;
}

/* Whether a field of size bytes at off lies inside a struct of struct_size. */
static bool
inside(uint64_t off, uint64_t size, uint64_t struct_size)
{
    return off < struct_size && size <= struct_size - off;
}

static uint64_t
max3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* asyncio tasks (3.14+): a coroutine's embedded frame up to its stack
 * pointer inside the generator object, its state byte before the frame,
 * a set's fields inside the set, an int's tag and digits where pylocals
 * reads them; else none (0). */
static void
read_tasks_fields(const OffsetsLayout *o, const uint8_t *b, PyLayout *l)
{
    uint64_t fr_size = word(b, o->fr_size), gen_size = word(b, o->gen_size);
    uint64_t set_size = word(b, o->set_size);
    uint64_t sp = word(b, o->fr_stackpointer), iframe = word(b, o->gen_iframe);
    uint64_t state = word(b, o->gen_frame_state);
    uint64_t used = word(b, o->set_used), mask = word(b, o->set_mask);
    uint64_t set_table = word(b, o->set_table);
    if (!inside(sp, 8, fr_size) || gen_size > 4096 || !inside(iframe, fr_size, gen_size) ||
        !inside(state, 1, iframe) || state < 16 || set_size > 4096 || !inside(used, 8, set_size) ||
        !inside(mask, 8, set_size) || !inside(set_table, 8, set_size) || used < 16 || mask < 16 ||
        set_table < 16 || word(b, o->long_tag) != 16 || word(b, o->long_digits) != 24)
        return;
    l->fr_stackpointer = sp;
    l->gen_iframe = iframe;
    l->gen_frame_state = state;
    l->set_used = used;
    l->set_mask = mask;
    l->set_table = set_table;
    l->long_tag = 16;
    l->long_digits = 24;
}

/* Reads the layout of o from bytes into out, and checks it against the
 * sizes the struct declares: a layout read at the wrong words fails here
 * (PyObject's head alone is 16 bytes with ob_type at 8 on every 64-bit
 * build). */
static bool
read_checked(const OffsetsLayout *o, const uint8_t *b, uint64_t runtime_size, PyLayout *out)
{
    uint64_t rt_size = word(b, o->rt_size), is_size = word(b, o->is_size);
    uint64_t ts_size = word(b, o->ts_size), fr_size = word(b, o->fr_size);
    uint64_t co_size = word(b, o->co_size), bytes_size = word(b, o->bytes_size);
    uint64_t str_size = word(b, o->str_size);
    if (word(b, o->ob_size) != 16 || word(b, o->ob_type) != 8)
        return false;
    if (runtime_size && rt_size != runtime_size)
        return false;
    if (rt_size > (64u << 20) || is_size > (16u << 20) || ts_size > 65536 || fr_size > 4096 ||
        co_size > 4096 || bytes_size > 256 || str_size > 256)
        return false;
    PyLayout l = {.minor = o->minor, .lines = PY_LINES_LOCATIONS, .gil_in_interp = true};
    l.rt_interpreters_head = word(b, o->rt_interpreters_head);
    l.is_next = word(b, o->is_next);
    l.is_size = is_size;
    l.is_threads_head = word(b, o->is_threads_head);
    l.is_modules = word(b, o->is_modules);
    l.gil_locked = word(b, o->gil_locked);
    l.gil_holder = word(b, o->gil_holder);
    l.ts_next = word(b, o->ts_next);
    l.ts_frame = word(b, o->ts_current_frame);
    l.ts_thread_id = word(b, o->ts_thread_id);
    l.ts_native_thread_id = word(b, o->ts_native_thread_id);
    l.ts_datastack_chunk = word(b, o->ts_datastack_chunk);
    /* datastack_top follows datastack_chunk in every version so far. */
    l.ts_datastack_top = l.ts_datastack_chunk + 8;
    l.fr_previous = word(b, o->fr_previous);
    l.fr_code = word(b, o->fr_executable);
    l.fr_instr = word(b, o->fr_instr_ptr);
    l.fr_owner = word(b, o->fr_owner);
    l.co_filename = word(b, o->co_filename);
    l.co_name = word(b, o->co_name);
    l.co_qualname = word(b, o->co_qualname);
    l.co_linetable = word(b, o->co_linetable);
    l.co_firstlineno = word(b, o->co_firstlineno);
    l.co_code_adaptive = word(b, o->co_code_adaptive);
    l.ob_type = 8;
    l.str_length = word(b, o->str_length);
    l.str_state = word(b, o->str_state);
    l.ascii_size = word(b, o->str_ascii_size);
    /* PyCompactUnicodeObject adds utf8_length and utf8 to the ASCII head. */
    l.compact_size = o->str_compact_size ? word(b, o->str_compact_size) : l.ascii_size + 16;
    l.bytes_size = word(b, o->bytes_ob_size);
    l.bytes_data = word(b, o->bytes_sval);
    l.code_tag_bits = o->minor >= 14 ? 3 : 0;
    l.ts_read = (size_t)max3(l.ts_next, l.ts_frame, l.ts_datastack_top) + 8;
    if (l.ts_thread_id + 8 > l.ts_read)
        l.ts_read = (size_t)l.ts_thread_id + 8;
    if (l.ts_native_thread_id + 8 > l.ts_read)
        l.ts_read = (size_t)l.ts_native_thread_id + 8;
    l.fr_read = (size_t)(max3(l.fr_previous, l.fr_code, l.fr_instr) + 8);
    if (l.fr_owner + 1 > l.fr_read)
        l.fr_read = (size_t)l.fr_owner + 1;
    /* Locals: the slots are the frame's last member (a flexible array), the
     * names and kinds pointers inside the code object, and the values'
     * layouts pylocals.c assumes (a tuple's size, a float's value, an
     * int's tag and digits) the ones declared; else none. */
    uint64_t localsplus = word(b, o->fr_localsplus);
    uint64_t names = word(b, o->co_localsplusnames), kinds = word(b, o->co_localspluskinds);
    uint64_t items = word(b, o->tuple_items);
    if (localsplus + 8 == fr_size && localsplus > l.fr_owner && inside(names, 8, co_size) &&
        inside(kinds, 8, co_size) && (items == 24 || items == 32) &&
        word(b, o->tuple_ob_size) == 16 && word(b, o->float_value) == 16 &&
        word(b, o->long_tag) == 16 && word(b, o->long_digits) == 24) {
        l.fr_localsplus = localsplus;
        l.co_localsnames = names;
        l.co_localskinds = kinds;
        l.tuple_items = items;
    }
    if (o->gen_size)
        read_tasks_fields(o, b, &l);
    bool ok = inside(l.rt_interpreters_head, 8, rt_size) && inside(l.is_next, 8, is_size) &&
              inside(l.is_threads_head, 8, is_size) && inside(l.is_modules, 8, is_size) &&
              inside(l.gil_locked, 4, is_size) && inside(l.gil_holder, 8, is_size) &&
              l.ts_read <= ts_size && l.ts_read <= PY_TS_READ_MAX && l.fr_read <= fr_size &&
              l.fr_read <= PY_FRAME_READ_MAX && inside(l.co_filename, 8, co_size) &&
              inside(l.co_name, 8, co_size) && inside(l.co_qualname, 8, co_size) &&
              inside(l.co_linetable, 8, co_size) && inside(l.co_firstlineno, 4, co_size) &&
              l.co_code_adaptive <= co_size && l.co_code_adaptive <= PY_CODE_READ_MAX &&
              l.co_code_adaptive >= 24 && inside(l.str_length, 8, l.ascii_size) &&
              inside(l.str_state, 4, l.ascii_size) && l.ascii_size <= l.compact_size &&
              l.compact_size <= str_size && l.bytes_size + 8 <= l.bytes_data &&
              l.bytes_data < bytes_size;
    if (!ok)
        return false;
    *out = l;
    return true;
}

PyDebugOffsetsResult
PyLayout_from_debug_offsets(const uint8_t *bytes, size_t len, uint64_t runtime_size,
                            uint32_t *version, PyLayout *out)
{
    if (len < 24 || memcmp(bytes, "xdebugpy", 8) != 0)
        return PY_OFFSETS_NONE;
    uint64_t hex = word(bytes, 1);
    *version = (uint32_t)hex;
    if (word(bytes, 2) != 0)
        return PY_OFFSETS_FREE_THREADED;
    int major = (int)((hex >> 24) & 0xff), minor = (int)((hex >> 16) & 0xff);
    if (major != 3 || minor < offsets_layouts[0].minor)
        return PY_OFFSETS_UNKNOWN;
    /* Its own version's layout, or for a later one the newest known. */
    const OffsetsLayout *o = &offsets_layouts[ARRAY_SIZE(offsets_layouts) - 1];
    for (size_t i = 0; i < ARRAY_SIZE(offsets_layouts); i++)
        if (offsets_layouts[i].minor == minor)
            o = &offsets_layouts[i];
    if ((size_t)o->words * 8 > len)
        return PY_OFFSETS_INVALID;
    if (read_checked(o, bytes, runtime_size, out)) {
        out->minor = minor;
        return PY_OFFSETS_OK;
    }
    return minor > o->minor ? PY_OFFSETS_UNKNOWN : PY_OFFSETS_INVALID;
}
