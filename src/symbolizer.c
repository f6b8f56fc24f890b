#include "config.h"

#include "symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <elfutils/version.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "demangle.h"
#include "hashindex.h"
#include "proc.h"
#include "util.h"

#define MAX_INLINE_DEPTH 64
/* Modules are reported again when a pc is in none of them: soon after a
 * change, backing off while nothing new appears. */
#define REREPORT_MIN_NS (5u * 1000 * 1000)
#define REREPORT_MAX_NS (1000u * 1000 * 1000)
#define CACHE_MAX_ENTRIES (1u << 19) /* then the cache starts over */

typedef struct CacheEntry {
    uint64_t key;          /* pc << 1 | exact */
    uint32_t first, count; /* span in frame_ids */
    uint64_t offset;
    bool offset_in_module;
} CacheEntry;

/* What find_elf needs to open a module's file: libdwfl hands us only the
 * module's userdata slot, which points here. */
typedef struct ModuleSource {
    Symbolizer *symbolizer;
    uint64_t start, end; /* the module's first mapping */
} ModuleSource;

struct Symbolizer {
    pid_t pid;
    Symtab *symtab;
    Dwfl *dwfl;
    Dwfl_Callbacks callbacks;
    char *debuginfo_path;
    int root_fd; /* /proc/PID/root, to open the target's files inside its root */
    ModuleSource *sources;
    size_t source_count;
    Backoff rereport;
    bool maps_changed;
    CacheEntry *cache; /* in insertion order, found through cache_index */
    size_t cache_cap, cache_used;
    HashIndex cache_index; /* key -> index in cache */
    FrameId *frame_ids;
    size_t frame_ids_len, frame_ids_cap;
    FrameId unknown_frame; /* the answer for a pc in no module, not cached */
};

/* Opens a module by its path inside the target's root, never following a
 * link out of it, non-blocking, regular files only. */
static int
only_regular(int fd)
{
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        return -1;
    }
    return fd;
}

static int
find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name,
         Elf **elfp)
{
    ModuleSource *src = *userdata;
    if (name[0] != '/' || !src) /* "[vdso: PID]": read from memory */
        return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
    Symbolizer *sym = src->symbolizer;
    /* map_files gives the very file that is mapped, also a deleted one or
     * one in another mount namespace; the path in the target's root is the
     * fallback. */
    char path[128];
    snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)sym->pid,
             src->start, src->end);
    int fd = only_regular(open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd < 0 && sym->root_fd >= 0)
        fd = only_regular(Proc_open_in_root(sym->root_fd, name));
    if (fd < 0)
        return -1;
    /* The path in the target's root: find_debuginfo searches next to it. */
    *file_name = xstrdup(name);
    return fd;
}

/* Whether the separate debug file fd is the one for mod: the same build
 * id when mod has one, else the CRC the debuglink names. */
static bool
debuginfo_matches(Dwfl_Module *mod, int fd, GElf_Word crc)
{
    const unsigned char *want;
    GElf_Addr vaddr;
    int want_len = dwfl_module_build_id(mod, &want, &vaddr);
    if (want_len > 0) {
        Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        const void *got;
        ssize_t got_len = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
        bool same = got_len == want_len && memcmp(got, want, (size_t)want_len) == 0;
        elf_end(elf);
        return same;
    }
    uLong sum = crc32(0, Z_NULL, 0);
    unsigned char buf[65536];
    ssize_t n;
    off_t off = 0;
    while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
        sum = crc32(sum, buf, (uInt)n);
        off += n;
    }
    return n == 0 && (GElf_Word)sum == crc;
}

/* Finds a module's separate debug info: by build id under the host's debug
 * directories (libdwfl's own lookup), else where its .gnu_debuglink names,
 * looked for as gdb does (next to the file, in .debug/ beside it, under
 * /usr/lib/debug) but inside the target's root, never following a link out
 * of it, non-blocking and regular files only: libdwfl's own path search
 * opens with a blocking open(), which a FIFO holds forever, and resolves
 * a container's absolute symlinks on the host. */
static int
find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
               const char *file_name, const char *debuglink, GElf_Word crc, char **debuginfo_name)
{
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
                                          debuginfo_name);
    ModuleSource *src = *userdata;
    if (fd >= 0 || !src || src->symbolizer->root_fd < 0 || !debuglink || !debuglink[0] ||
        !file_name || file_name[0] != '/')
        return fd;
    const char *slash = strrchr(file_name, '/');
    int dir_len = (int)(slash - file_name);
    char *candidates[3];
    size_t count = 0;
    if (debuglink[0] == '/') {
        candidates[count++] = xstrdup(debuglink);
    } else {
        candidates[count++] = xasprintf("%.*s/%s", dir_len, file_name, debuglink);
        candidates[count++] = xasprintf("%.*s/.debug/%s", dir_len, file_name, debuglink);
        candidates[count++] = xasprintf("/usr/lib/debug%.*s/%s", dir_len, file_name, debuglink);
    }
    for (size_t i = 0; i < count; i++) {
        if (fd < 0) {
            fd = only_regular(Proc_open_in_root(src->symbolizer->root_fd, candidates[i]));
            if (fd >= 0 && !debuginfo_matches(mod, fd, crc)) {
                close(fd);
                fd = -1;
            }
            if (fd >= 0) {
                *debuginfo_name = candidates[i];
                continue;
            }
        }
        free(candidates[i]);
    }
    return fd;
}

/* Reports one module per file, spanning its consecutive mappings, like
 * dwfl_linux_proc_report but with our own way of opening files. */
static int
report_modules(Symbolizer *sym, char **cause)
{
    ProcMaps maps;
    int err = Proc_maps_read(sym->pid, &maps);
    if (err < 0) {
        if (cause)
            *cause = xasprintf("reading /proc/%d/maps: %s", (int)sym->pid, strerror(-err));
        return err;
    }
    ModuleSource *sources = xcalloc(maps.count ? maps.count : 1, sizeof(*sources));
    size_t nsources = 0;
    dwfl_report_begin(sym->dwfl);
    for (size_t i = 0; i < maps.count;) {
        const ProcMap *first = &maps.maps[i];
        size_t j = i + 1;
        uint64_t end = first->end;
        bool is_file = first->inode != 0 && first->path[0] == '/';
        bool is_vdso = strcmp(first->path, "[vdso]") == 0;
        if (is_file)
            while (j < maps.count && maps.maps[j].inode == first->inode &&
                   maps.maps[j].dev_major == first->dev_major &&
                   maps.maps[j].dev_minor == first->dev_minor &&
                   strcmp(maps.maps[j].path, first->path) == 0)
                end = maps.maps[j++].end;
        if (is_file || is_vdso) {
            char vdso_name[32];
            const char *name = first->path;
            if (is_vdso) {
                snprintf(vdso_name, sizeof(vdso_name), "[vdso: %d]", (int)sym->pid);
                name = vdso_name;
            }
            Dwfl_Module *mod = dwfl_report_module(sym->dwfl, name, first->start, end);
            if (mod) {
                void **userdata;
                dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
                ModuleSource *src = &sources[nsources++];
                *src = (ModuleSource){sym, first->start, first->end};
                if (userdata)
                    *userdata = is_file ? src : NULL;
            }
        }
        i = j;
    }
    dwfl_report_end(sym->dwfl, NULL, NULL);
    Proc_maps_done(&maps);
    free(sym->sources);
    sym->sources = sources;
    sym->source_count = nsources;
    return 0;
}

static void
cache_clear(Symbolizer *sym)
{
    HashIndex_clear(&sym->cache_index);
    sym->cache_used = 0;
    sym->frame_ids_len = 0;
}

Symbolizer *
Symbolizer_new(pid_t pid, Symtab *symtab, char **cause)
{
    Symbolizer *sym = xcalloc(1, sizeof(*sym));
    sym->pid = pid;
    sym->symtab = symtab;
    sym->callbacks.find_elf = find_elf;
    sym->callbacks.find_debuginfo = find_debuginfo;
    sym->callbacks.section_address = dwfl_offline_section_address;
    sym->callbacks.debuginfo_path = &sym->debuginfo_path; /* NULL: the default path */
    sym->root_fd = Proc_open_root(pid);
    Backoff_init(&sym->rereport, REREPORT_MIN_NS, REREPORT_MAX_NS);
    Backoff_tried(&sym->rereport, Util_now_ns(), true); /* reported just below */
    sym->dwfl = dwfl_begin(&sym->callbacks);
    if (!sym->dwfl) {
        if (cause)
            *cause = xasprintf("dwfl_begin: %s", dwfl_errmsg(-1));
        Symbolizer_delete(sym);
        return NULL;
    }
    if (report_modules(sym, cause) < 0) {
        Symbolizer_delete(sym);
        return NULL;
    }
    return sym;
}

void
Symbolizer_delete(Symbolizer *sym)
{
    if (!sym)
        return;
    if (sym->dwfl)
        dwfl_end(sym->dwfl);
    if (sym->root_fd >= 0)
        close(sym->root_fd);
    free(sym->sources);
    free(sym->cache);
    HashIndex_done(&sym->cache_index);
    free(sym->frame_ids);
    free(sym);
}

/* The name to show for a DIE: its linkage name demangled, else its name. */
static char *
die_function_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (linkage) {
        char *demangled = Demangle_symbol(linkage);
        return demangled ? demangled : xstrdup(linkage);
    }
    const char *name = dwarf_diename(die);
    return name ? xstrdup(name) : NULL;
}

/* A symbol table name without its version ("memcpy@GLIBC_2.14"), demangled. */
static char *
symbol_name(const char *raw)
{
    if (!raw)
        return NULL;
    const char *at = strchr(raw, '@');
    char *plain = at && at != raw ? xstrndup(raw, (size_t)(at - raw)) : xstrdup(raw);
    char *demangled = Demangle_symbol(plain);
    if (!demangled)
        return plain;
    free(plain);
    return demangled;
}

/* The file an inlined call was made from (DW_AT_call_file). */
static const char *
call_file(Dwarf_Die *cudie, Dwarf_Die *inlined)
{
    Dwarf_Attribute attr;
    Dwarf_Word index;
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &index) != 0 ||
        dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || index >= nfiles)
        return NULL;
    return dwarf_filesrc(files, index, NULL, NULL);
}

static int
call_line(Dwarf_Die *inlined)
{
    Dwarf_Attribute attr;
    Dwarf_Word line;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &line) != 0)
        return 0;
    return (int)line;
}

/* Joins a relative source path to the compilation directory and removes
 * "." and ".." lexically, as debuggers show them. A new string. */
static char *
source_path(const char *comp_dir, const char *file)
{
    if (!file)
        return NULL;
    if (file[0] == '/' || !comp_dir || comp_dir[0] != '/')
        return xstrdup(file);
    char *joined = xasprintf("%s/%s", comp_dir, file);
    char *out = xmalloc(strlen(joined) + 2);
    size_t len = 0;
    for (char *save = NULL, *part = strtok_r(joined, "/", &save); part;
         part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0) {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            continue;
        }
        out[len++] = '/';
        size_t n = strlen(part);
        memcpy(out + len, part, n);
        len += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    free(joined);
    return out;
}

static void
push_frame(Symbolizer *sym, const char *function, const char *file, int line, StrId module,
           FrameKind kind)
{
    SymtabFrame f = {
        .function = Symtab_intern_cstr(sym->symtab, function),
        .file = Symtab_intern_cstr(sym->symtab, file),
        .module = module,
        .line = line > 0 ? (uint32_t)line : 0,
        .kind = (uint8_t)kind,
    };
    sym->frame_ids =
        xgrow(sym->frame_ids, &sym->frame_ids_cap, sym->frame_ids_len + 1, sizeof(FrameId));
    sym->frame_ids[sym->frame_ids_len++] = Symtab_intern_frame(sym->symtab, &f);
}

/* Resolves one pc into frames appended to sym->frame_ids. Returns false
 * when the pc is in no known module. */
static bool
resolve(Symbolizer *sym, uint64_t pc, bool exact, CacheEntry *entry)
{
    Dwarf_Addr addr = exact || pc == 0 ? pc : pc - 1;
    Dwfl_Module *mod = dwfl_addrmodule(sym->dwfl, addr);
    uint64_t now = Util_now_ns();
    if (!mod && (sym->maps_changed || Backoff_due(&sym->rereport, now))) {
        sym->maps_changed = false;
        /* Maps changed (dlopen, exec): report again; cached frames of old
         * modules may be stale, so the cache starts over. */
        report_modules(sym, NULL);
        cache_clear(sym);
        mod = dwfl_addrmodule(sym->dwfl, addr);
        Backoff_tried(&sym->rereport, now, mod != NULL);
    }
    entry->first = (uint32_t)sym->frame_ids_len;
    if (!mod) {
        entry->offset = pc;
        entry->offset_in_module = true;
        push_frame(sym, NULL, NULL, 0, SYMTAB_EMPTY, FRAME_NATIVE);
        entry->count = 1;
        return false;
    }
    Dwarf_Addr mod_start;
    const char *mod_name = dwfl_module_info(mod, NULL, &mod_start, NULL, NULL, NULL, NULL, NULL);
    /* libdwfl calls the vDSO "[vdso: PID]"; the pid is noise in a profile. */
    if (mod_name && strncmp(mod_name, "[vdso", 5) == 0)
        mod_name = "[vdso]";
    StrId module = Symtab_intern_cstr(sym->symtab, mod_name);

    GElf_Off sym_off = 0;
    GElf_Sym elf_sym;
    const char *raw = dwfl_module_addrinfo(mod, addr, &sym_off, &elf_sym, NULL, NULL, NULL);
    char *outer_name = symbol_name(raw);
    entry->offset = raw ? pc - (addr - sym_off) : pc - mod_start;
    entry->offset_in_module = raw == NULL;

    Dwarf_Addr bias;
    Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, &bias);
    Dwarf_Attribute attr;
    const char *comp_dir =
        cudie ? dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr)) : NULL;

    /* Source position of the innermost code at addr. */
    char *file = NULL;
    int line = 0;
    Dwfl_Line *dl = dwfl_module_getsrc(mod, addr);
    if (dl)
        file = source_path(comp_dir, dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL));

    /* Inlined calls, innermost first: each inlined_subroutine scope is a
     * frame at the current position, whose call site becomes the position
     * of the frame around it. */
    Dwarf_Die *scopes = NULL;
    int nscopes = cudie ? dwarf_getscopes(cudie, addr - bias, &scopes) : 0;
    /* dwarf_getscopes follows an inlined instance to its abstract
     * definition; the physical nesting of the innermost scope is what holds
     * the chain of inlined calls. */
    Dwarf_Die *chain = NULL;
    int nchain = 0;
    if (nscopes > 0)
        nchain = dwarf_getscopes_die(&scopes[0], &chain);
    int inlined = 0;
    for (int i = 0; i < nchain && inlined < MAX_INLINE_DEPTH; i++) {
        int tag = dwarf_tag(&chain[i]);
        if (tag == DW_TAG_subprogram)
            break;
        if (tag != DW_TAG_inlined_subroutine)
            continue;
        char *name = die_function_name(&chain[i]);
        push_frame(sym, name, file, line, module, FRAME_INLINED);
        free(name);
        inlined++;
        free(file);
        file = source_path(comp_dir, call_file(cudie, &chain[i]));
        line = call_line(&chain[i]);
    }
    free(chain);
    free(scopes);
    push_frame(sym, outer_name, file, line, module, FRAME_NATIVE);
    free(outer_name);
    free(file);
    entry->count = (uint32_t)(sym->frame_ids_len - entry->first);
    return true;
}

bool
Symbolizer_has_name(Symbolizer *sym, uint64_t pc, bool exact)
{
    SymbolizedPc out;
    Symbolizer_lookup(sym, pc, exact, &out);
    const SymtabFrame *f = Symtab_frame(sym->symtab, out.frames[out.count - 1]);
    return f && f->function != SYMTAB_EMPTY;
}

void
Symbolizer_maps_changed(Symbolizer *sym)
{
    sym->maps_changed = true;
}

void
Symbolizer_lookup(Symbolizer *sym, uint64_t pc, bool exact, SymbolizedPc *out)
{
    uint64_t key = (pc << 1) | (exact ? 1 : 0);
    if (key == 0)
        key = 2; /* pc 0, inexact: any nonzero key no real pc can have */
    uint32_t i = HashIndex_find(&sym->cache_index, key, NULL, NULL);
    if (i == HASHINDEX_NONE) {
        if (sym->cache_used >= CACHE_MAX_ENTRIES)
            cache_clear(sym); /* bounded memory beats a perfect hit rate */
        /* resolve may clear the cache (maps changed): the entry is added
         * after it. */
        CacheEntry resolved = {.key = key};
        if (!resolve(sym, pc, exact, &resolved)) {
            /* In no module: maybe one not mapped yet when the modules were
             * last reported (a command just started, a dlopen). Not cached,
             * so a later lookup reports the modules again. */
            sym->unknown_frame = sym->frame_ids[resolved.first];
            sym->frame_ids_len = resolved.first;
            out->frames = &sym->unknown_frame;
            out->count = 1;
            out->offset = pc;
            out->offset_in_module = true;
            return;
        }
        sym->cache = xgrow(sym->cache, &sym->cache_cap, sym->cache_used + 1, sizeof(CacheEntry));
        i = (uint32_t)sym->cache_used++;
        sym->cache[i] = resolved;
        HashIndex_add(&sym->cache_index, key, i);
    }
    const CacheEntry *entry = &sym->cache[i];
    out->frames = sym->frame_ids + entry->first;
    out->count = entry->count;
    out->offset = entry->offset;
    out->offset_in_module = entry->offset_in_module;
}

typedef struct FindContext {
    const char *module_part;
    SymbolQuery *queries;
    size_t count, found;
    uint64_t start, end;
    const char *path;
} FindContext;

static size_t
lookup_in_module(Dwfl_Module *mod, SymbolQuery *queries, size_t count)
{
    int n = dwfl_module_getsymtab(mod);
    size_t found = 0;
    for (int i = 1; i < n && found < count; i++) {
        GElf_Sym esym;
        GElf_Addr addr;
        const char *name = dwfl_module_getsym_info(mod, i, &esym, &addr, NULL, NULL, NULL);
        if (!name || esym.st_shndx == SHN_UNDEF)
            continue;
        for (size_t q = 0; q < count; q++) {
            if (queries[q].found || strcmp(queries[q].name, name) != 0)
                continue;
            queries[q].found = true;
            queries[q].addr = addr;
            queries[q].size = esym.st_size;
            found++;
        }
    }
    return found;
}

static int
find_in_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)userdata;
    FindContext *ctx = arg;
    if (!name || !strstr(name, ctx->module_part))
        return DWARF_CB_OK;
    for (size_t q = 0; q < ctx->count; q++)
        ctx->queries[q].found = false;
    if (lookup_in_module(mod, ctx->queries, 1) == 0)
        return DWARF_CB_OK; /* not the module that defines the anchor */
    ctx->found = 1 + lookup_in_module(mod, ctx->queries + 1, ctx->count - 1);
    Dwarf_Addr end;
    dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
    ctx->start = start;
    ctx->end = end;
    ctx->path = name;
    return DWARF_CB_ABORT;
}

size_t
Symbolizer_find_symbols(Symbolizer *sym, const char *module_part, SymbolQuery *queries,
                        size_t count, uint64_t *module_start, uint64_t *module_end,
                        const char **module_path)
{
    FindContext ctx = {.module_part = module_part, .queries = queries, .count = count};
    if (count == 0)
        return 0;
    if (sym->maps_changed) {
        /* A module mapped since (libpython, by the dynamic loader). */
        sym->maps_changed = false;
        report_modules(sym, NULL);
        cache_clear(sym);
    }
    dwfl_getmodules(sym->dwfl, find_in_module, &ctx, 0);
    if (ctx.found) {
        *module_start = ctx.start;
        *module_end = ctx.end;
        *module_path = ctx.path;
    }
    return ctx.found;
}

typedef struct SectionContext {
    const char *module_part, *section;
    bool found;
    uint64_t addr, size;
} SectionContext;

static int
section_in_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)userdata;
    (void)start;
    SectionContext *ctx = arg;
    if (!name || !strstr(name, ctx->module_part))
        return DWARF_CB_OK;
    GElf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    size_t strndx;
    if (!elf || elf_getshdrstrndx(elf, &strndx) != 0)
        return DWARF_CB_OK;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr mem, *shdr = gelf_getshdr(scn, &mem);
        const char *sname = shdr ? elf_strptr(elf, strndx, shdr->sh_name) : NULL;
        if (!sname || strcmp(sname, ctx->section) != 0 || !(shdr->sh_flags & SHF_ALLOC) ||
            shdr->sh_type == SHT_NOBITS)
            continue;
        ctx->found = true;
        ctx->addr = shdr->sh_addr + bias;
        ctx->size = shdr->sh_size;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

bool
Symbolizer_find_section(Symbolizer *sym, const char *module_part, const char *section,
                        uint64_t *addr, uint64_t *size)
{
    SectionContext ctx = {.module_part = module_part, .section = section};
    if (sym->maps_changed) {
        sym->maps_changed = false;
        report_modules(sym, NULL);
        cache_clear(sym);
    }
    dwfl_getmodules(sym->dwfl, section_in_module, &ctx, 0);
    *addr = ctx.addr;
    *size = ctx.size;
    return ctx.found;
}

const char *
Symbolizer_library_version(bool running)
{
    if (running)
        return dwfl_version(NULL); /* libdw's own PACKAGE_VERSION */
        /* _ELFUTILS_VERSION is major * 1000 + minor, and every release so far
         * is 0.x. */
#if _ELFUTILS_VERSION < 1000
    return "0." UTIL_STR(_ELFUTILS_VERSION);
#else
    return UTIL_STR(_ELFUTILS_VERSION) " (major * 1000 + minor)";
#endif
}
