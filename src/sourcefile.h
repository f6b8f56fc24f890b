/* A source file read for display: its lines, tabs expanded to spaces.
 * Bounded (SOURCEFILE_MAX bytes); only regular files are read. */
#ifndef SPYTOP_SRC_SOURCEFILE_H
#define SPYTOP_SRC_SOURCEFILE_H

#include <stddef.h>

#define SOURCEFILE_MAX (16u << 20)

typedef struct SourceFile SourceFile;

/* Reads path; NULL with *cause (allocated: "cannot read PATH: why") when
 * it cannot. */
SourceFile *SourceFile_load(const char *path, char **cause);
void SourceFile_delete(SourceFile *file);

size_t SourceFile_line_count(const SourceFile *file);
/* Line n (1-based, up to the line count), without its newline; borrowed
 * for the file's life. */
const char *SourceFile_line(const SourceFile *file, size_t n);

#endif
