#include "config.h"

#include "images.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

#define IMAGE_MAX_BYTES (4ull << 30)
#define VDSO_MAX_BYTES (64u << 10)
#define DW_EH_PE_omit 0xff
#define DW_EH_PE_datarel_sdata4 0x3b

typedef struct Image {
    dev_t dev;
    ino_t ino; /* st_dev/st_ino of the opened file; 0/0 for the vDSO */
    uint8_t *data;
    size_t size;
    bool mapped;      /* data is an mmap (else a malloc'd copy) */
    bool table_known; /* unwind table looked up (found or not) */
    bool has_table;
    UnwindTable table;
    uint64_t table_bias;
    unsigned seen; /* generation in which a mapping last used it */
} Image;

typedef struct MapEntry {
    ProcMap map;
    int image; /* index into images, or -1 */
} MapEntry;

struct Images {
    pid_t pid;
    MapEntry *maps;
    size_t map_count;
    Image *images;
    size_t image_count, image_cap;
    unsigned generation, file_generation;
};

Images *
Images_new(pid_t pid)
{
    Images *images = xcalloc(1, sizeof(*images));
    images->pid = pid;
    return images;
}

static void
image_release(Image *image)
{
    if (!image->data)
        return;
    if (image->mapped)
        munmap(image->data, image->size);
    else
        free(image->data);
    image->data = NULL;
}

static void
free_maps(Images *images)
{
    for (size_t i = 0; i < images->map_count; i++)
        free(images->maps[i].map.path);
    free(images->maps);
    images->maps = NULL;
    images->map_count = 0;
}

void
Images_delete(Images *images)
{
    if (!images)
        return;
    free_maps(images);
    for (size_t i = 0; i < images->image_count; i++)
        image_release(&images->images[i]);
    free(images->images);
    free(images);
}

unsigned
Images_generation(const Images *images)
{
    return images->generation;
}

unsigned
Images_file_generation(const Images *images)
{
    return images->file_generation;
}

static int
add_image(Images *images, Image image)
{
    images->images =
        xgrow(images->images, &images->image_cap, images->image_count + 1, sizeof(Image));
    images->images[images->image_count] = image;
    return (int)images->image_count++;
}

/* Opens the file behind a mapping: the exact file through map_files, else
 * by its path inside the target's root. Never blocks, regular files only. */
static int
open_mapped_file(pid_t pid, const ProcMap *m)
{
    char path[4200];
    snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
             (unsigned long long)m->start, (unsigned long long)m->end);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 && m->path[0] == '/' && !strchr(m->path, '\\')) {
        /* An absolute symlink on the way must resolve inside the root too,
         * not on the host. */
        int root = Proc_open_root(pid);
        if (root >= 0) {
            fd = Proc_open_in_root(root, m->path);
            close(root);
        }
    }
    return fd;
}

static int
image_for_file(Images *images, const ProcMap *m)
{
    int fd = open_mapped_file(images->pid, m);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > IMAGE_MAX_BYTES) {
        close(fd);
        return -1;
    }
    for (size_t i = 0; i < images->image_count; i++) {
        Image *image = &images->images[i];
        if (image->data && image->dev == st.st_dev && image->ino == st.st_ino &&
            image->size == (size_t)st.st_size) {
            close(fd);
            image->seen = images->generation;
            return (int)i;
        }
    }
    void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED)
        return -1;
    Image image = {.dev = st.st_dev,
                   .ino = st.st_ino,
                   .data = data,
                   .size = (size_t)st.st_size,
                   .mapped = true,
                   .seen = images->generation};
    return add_image(images, image);
}

static int
image_for_vdso(Images *images, const ProcMap *m)
{
    size_t size = (size_t)(m->end - m->start);
    if (size == 0 || size > VDSO_MAX_BYTES)
        return -1;
    for (size_t i = 0; i < images->image_count; i++) {
        Image *image = &images->images[i];
        if (image->data && !image->mapped && image->ino == 0 && image->size == size) {
            image->seen = images->generation;
            return (int)i; /* the vDSO does not change while the process lives */
        }
    }
    uint8_t *copy = xmalloc(size);
    struct iovec local = {copy, size}, remote = {(void *)(uintptr_t)m->start, size};
    if (process_vm_readv(images->pid, &local, 1, &remote, 1, 0) != (ssize_t)size) {
        free(copy);
        return -1;
    }
    Image image = {.data = copy, .size = size, .seen = images->generation};
    return add_image(images, image);
}

static bool
same_map(const ProcMap *a, const ProcMap *b)
{
    return a->start == b->start && a->end == b->end && a->offset == b->offset &&
           a->inode == b->inode && a->writable == b->writable && a->executable == b->executable &&
           strcmp(a->path, b->path) == 0;
}

static bool
same_maps(const Images *images, const ProcMaps *fresh)
{
    if (images->map_count != fresh->count)
        return false;
    for (size_t i = 0; i < fresh->count; i++)
        if (!same_map(&images->maps[i].map, &fresh->maps[i]))
            return false;
    return true;
}

/* Whether the mappings of files (an inode) are those of the last refresh. */
static bool
same_file_maps(const Images *images, const ProcMaps *fresh)
{
    size_t i = 0, k = 0;
    for (;;) {
        while (i < images->map_count && images->maps[i].map.inode == 0)
            i++;
        while (k < fresh->count && fresh->maps[k].inode == 0)
            k++;
        if (i == images->map_count || k == fresh->count)
            return i == images->map_count && k == fresh->count;
        if (!same_map(&images->maps[i++].map, &fresh->maps[k++]))
            return false;
    }
}

int
Images_refresh(Images *images)
{
    ProcMaps fresh;
    int err = Proc_maps_read(images->pid, &fresh);
    if (err < 0)
        return err;
    if (images->generation > 0 && same_maps(images, &fresh)) {
        Proc_maps_done(&fresh);
        return 0;
    }
    if (images->generation == 0 || !same_file_maps(images, &fresh))
        images->file_generation++;
    images->generation++;
    free_maps(images);
    images->maps = xcalloc(fresh.count, sizeof(MapEntry));
    for (size_t i = 0; i < fresh.count; i++) {
        const ProcMap *m = &fresh.maps[i];
        int image = -1;
        if (m->readable && !m->writable) {
            if (m->inode != 0 && m->path[0] == '/')
                image = image_for_file(images, m);
            else if (strcmp(m->path, "[vdso]") == 0)
                image = image_for_vdso(images, m);
        }
        images->maps[i].map = *m;
        images->maps[i].image = image;
    }
    images->map_count = fresh.count;
    free(fresh.maps); /* the paths moved into images->maps */
    /* Files no mapping uses any more are closed; load addresses may have
     * moved, so unwind tables are looked up again. */
    for (size_t i = 0; i < images->image_count; i++) {
        images->images[i].table_known = false;
        if (images->images[i].seen != images->generation)
            image_release(&images->images[i]);
    }
    return 0;
}

static const MapEntry *
find_map(const Images *images, uint64_t addr)
{
    size_t lo = 0, hi = images->map_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ProcMap *m = &images->maps[mid].map;
        if (addr < m->start)
            hi = mid;
        else if (addr >= m->end)
            lo = mid + 1;
        else
            return &images->maps[mid];
    }
    return NULL;
}

int
Images_is_mapped(const Images *images, uint64_t addr)
{
    return find_map(images, addr) != NULL;
}

int
Images_is_executable(const Images *images, uint64_t addr)
{
    const MapEntry *e = find_map(images, addr);
    return e && e->map.executable;
}

int
Images_read(Images *images, uint64_t addr, void *buf, size_t len)
{
    const MapEntry *e = find_map(images, addr);
    if (!e || e->image < 0 || len > e->map.end - addr)
        return -EFAULT;
    const Image *image = &images->images[e->image];
    if (!image->data)
        return -EFAULT;
    uint64_t off = addr - e->map.start + e->map.offset;
    if (off > image->size || len > image->size - off)
        return -EFAULT;
    memcpy(buf, image->data + off, len);
    return 0;
}

/* Bounds-checked view of the image's bytes. */
static const void *
image_at(const Image *image, uint64_t off, uint64_t len)
{
    if (off > image->size || len > image->size - off)
        return NULL;
    return image->data + off;
}

static int
encoded_size(uint8_t enc)
{
    if (enc == DW_EH_PE_omit)
        return 0;
    switch (enc & 0x0f) {
    case 0x00:
        return 8; /* absptr */
    case 0x02:
    case 0x0a:
        return 2;
    case 0x03:
    case 0x0b:
        return 4;
    case 0x04:
    case 0x0c:
        return 8;
    default:
        return -1;
    }
}

/* Finds PT_GNU_EH_FRAME and the executable range; bias is the load bias of
 * the mapping m (runtime address minus ELF virtual address). */
static bool
find_table(const Image *image, const ProcMap *m, UnwindTable *out, uint64_t *bias_out)
{
    const Elf64_Ehdr *eh = image_at(image, 0, sizeof(Elf64_Ehdr));
    if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr))
        return false;
    const Elf64_Phdr *ph = image_at(image, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr));
    if (!ph)
        return false;
    const Elf64_Phdr *eh_frame = NULL, *covering = NULL;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_GNU_EH_FRAME)
            eh_frame = &ph[i];
        if (ph[i].p_type != PT_LOAD)
            continue;
        /* The segment mapped at m: its file range holds m's offset. Where
         * segments share a page (lld packs them: the read-only segment's
         * last page is the text segment's first), the one that starts on
         * m's own page is it; taking the first would put the bias a page
         * off, and every unwind table lookup with it. */
        uint64_t page_off = ph[i].p_offset & ~(uint64_t)4095;
        if (m->offset >= page_off && m->offset < ph[i].p_offset + ph[i].p_filesz &&
            (!covering || page_off == m->offset))
            covering = &ph[i];
        if (ph[i].p_flags & PF_X) {
            if (ph[i].p_vaddr < lo)
                lo = ph[i].p_vaddr;
            if (ph[i].p_vaddr + ph[i].p_memsz > hi)
                hi = ph[i].p_vaddr + ph[i].p_memsz;
        }
    }
    if (!eh_frame || !covering || lo >= hi)
        return false;
    uint64_t bias = m->start - m->offset - (covering->p_vaddr - covering->p_offset);
    const uint8_t *hdr = image_at(image, eh_frame->p_offset, 4);
    if (!hdr || hdr[0] != 1 || hdr[3] != DW_EH_PE_datarel_sdata4)
        return false;
    int ptr_size = encoded_size(hdr[1]), count_size = encoded_size(hdr[2]);
    if (ptr_size < 0 || count_size <= 0)
        return false;
    const uint8_t *count_at =
        image_at(image, eh_frame->p_offset + 4 + (uint64_t)ptr_size, (uint64_t)count_size);
    if (!count_at)
        return false;
    uint64_t count = 0;
    memcpy(&count, count_at, (size_t)(count_size > 8 ? 8 : count_size));
    uint64_t table_off = 4 + (uint64_t)ptr_size + (uint64_t)count_size;
    if (count == 0 || !image_at(image, eh_frame->p_offset + table_off, count * 8))
        return false;
    out->start_ip = lo + bias;
    out->end_ip = hi + bias;
    out->hdr_addr = eh_frame->p_vaddr + bias;
    out->table_addr = out->hdr_addr + table_off;
    out->fde_count = count;
    *bias_out = bias;
    return true;
}

int
Images_unwind_table(Images *images, uint64_t pc, UnwindTable *out)
{
    const MapEntry *e = find_map(images, pc);
    if (!e || e->image < 0)
        return -ENOENT;
    Image *image = &images->images[e->image];
    if (!image->data)
        return -ENOENT;
    if (!image->table_known || pc < image->table.start_ip || pc >= image->table.end_ip) {
        /* One file may be mapped twice (rare): recompute for this mapping. */
        image->has_table = find_table(image, &e->map, &image->table, &image->table_bias);
        image->table_known = true;
    }
    if (!image->has_table || pc < image->table.start_ip || pc >= image->table.end_ip)
        return -ENOENT;
    *out = image->table;
    return 0;
}
