#include "auth.h"

#include <errno.h>
#include <mbedtls/md.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "mgr.h"
#include "readfile.h"

int
auth_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t k = getrandom(p, n, 0);
		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			return MGR_EINTERNAL;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

int
auth_digest(const void *key, size_t keylen, const char *label,
    const uint8_t *nonce, size_t nonce_len, uint8_t out[AUTH_DIGEST_LEN])
{
	const mbedtls_md_info_t *md
	    = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t ctx;
	int                  rv;
	mbedtls_md_init(&ctx);
	rv = mbedtls_md_setup(&ctx, md, 1);
	if (rv == 0) {
		rv = mbedtls_md_hmac_starts(&ctx, key, keylen);
	}
	if (rv == 0) {
		rv = mbedtls_md_hmac_update(
		    &ctx, (const unsigned char *) label, strlen(label));
	}
	if (rv == 0) {
		rv = mbedtls_md_hmac_update(&ctx, nonce, nonce_len);
	}
	if (rv == 0) {
		rv = mbedtls_md_hmac_finish(&ctx, out);
	}
	mbedtls_md_free(&ctx);
	return rv == 0 ? 0 : MGR_EINTERNAL;
}

bool
auth_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t d = 0;
	for (size_t i = 0; i < n; i++) {
		d |= a[i] ^ b[i];
	}
	return d == 0;
}

int
auth_random_key(char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t           raw[32];
	int               rv = auth_random(raw, sizeof(raw));
	if (rv != 0) {
		return rv;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i]     = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

int
auth_read_key_file(const char *path, char **key, size_t *len)
{
	char  *buf;
	size_t n;
	int    rv = read_file(path, (size_t) 1 << 20, &buf, &n); // not a MiB
	if (rv != 0) {
		return rv == MGR_ETOOBIG ? MGR_ENOMEM : rv;
	}
	if (n > 0 && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	}
	if (n == 0) {
		free(buf);
		return MGR_EINVAL;
	}
	*key = buf;
	*len = n;
	return 0;
}
