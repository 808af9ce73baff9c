/* SHA-256 (FIPS 180-4), for self-test results that can be compared with
 * `sha256sum` of what the device should have returned. */
#ifndef VIRTIOCTL_UTIL_SHA256_H
#define VIRTIOCTL_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 64-character lowercase hex digest and a NUL into hex. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
