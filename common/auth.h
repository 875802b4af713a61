/* The mutual challenge of the handshake: each side proves it
 * knows the authkey by the HMAC-SHA256 of the other side's random nonce,
 * with a label per direction so a reply can't be reflected back. */
#ifndef MGR_COMMON_AUTH_H
#define MGR_COMMON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_NONCE_LEN    32
#define AUTH_DIGEST_LEN   32
#define AUTH_VERSION      1
#define AUTH_CLIENT_LABEL "mgr-client"
#define AUTH_SERVER_LABEL "mgr-server"
/* A resume proves the session's resume secret on the new nonce. */
#define AUTH_RESUME_LABEL "mgr-resume"

/* Fills buf with n bytes from the kernel's CSPRNG. MGR_EINTERNAL if none. */
int auth_random(void *buf, size_t n);
/* out = HMAC-SHA256(key, label || nonce). */
int auth_digest(const void *key, size_t keylen, const char *label,
    const uint8_t *nonce, size_t nonce_len, uint8_t out[AUTH_DIGEST_LEN]);
/* Constant-time comparison of two digests. */
bool auth_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* A fresh random key as 64 hex characters (text, so it can travel in an
 * environment variable), NUL-terminated in out[65]. */
int auth_random_key(char out[65]);
/* Reads a key file: its bytes less one trailing newline. *key is malloc'd
 * (caller frees) and NUL-terminated after its *len bytes. MGR_EINVAL if
 * unreadable or empty, MGR_ENOMEM (also past 1 MiB). */
int auth_read_key_file(const char *path, char **key, size_t *len);

#endif
