/* Text that reaches a terminal: strings from outside (device config
 * strings, sysfs names, arguments, script lines, file names) may hold
 * bytes a terminal acts on. They are shown escaped, so that what is printed
 * is what is there and nothing else happens. */
#ifndef VIRTIOCTL_UTIL_ESCAPE_H
#define VIRTIOCTL_UTIL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* True when s holds a byte str_escape would replace. */
bool str_needs_escape(const char *s);
/* Copies s into out (len bytes, always terminated), with every C0 control
 * byte (newline and tab included: one value stays on one line), DEL, C1
 * control (U+0080-U+009F) and byte that is not part of valid UTF-8 written
 * as \xNN, and a backslash that would start such a sequence as \\. A
 * result that does not fit ends in "...". Returns out. */
const char *str_escape(const char *s, char *out, size_t len);

#endif
