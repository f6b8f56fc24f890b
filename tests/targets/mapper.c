/* A target whose maps hold files that are not what they seem: /dev/zero
 * mapped private and shared, and a data file (argv[1]) that the test may
 * then replace by a FIFO. Built -O2 -fomit-frame-pointer, so its stack
 * unwinds only with the CFI of the right file. main -> mapper_outer ->
 * mapper_spin, which spins. */
#include <fcntl.h>
#include <sys/mman.h>

#include "common.h"

__attribute__((noinline)) void mapper_spin(const volatile uint8_t *data);
__attribute__((noinline)) void mapper_outer(const volatile uint8_t *data);

void
mapper_spin(const volatile uint8_t *data)
{
    for (;;)
        target_sink += data[target_sink & 7] + 1;
}

void
mapper_outer(const volatile uint8_t *data)
{
    mapper_spin(data);
    target_sink++; /* not a tail call */
}

static void *
map_file(const char *path, int flags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    void *p = mmap(NULL, 4096, PROT_READ, flags, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mapper DATA-FILE\n");
        return 64;
    }
    map_file("/dev/zero", MAP_PRIVATE);
    map_file("/dev/zero", MAP_SHARED);
    const volatile uint8_t *data = map_file(argv[1], MAP_PRIVATE);
    target_ready();
    mapper_outer(data);
    return 0;
}
