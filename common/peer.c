/* Peers by network: the address parsed back out of a peer's description
 * (one place for it: the per-peer limits and the aggregated log lines
 * both count by it). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"

static void
v4_net(const struct in_addr *a, int bits, char *out, size_t cap)
{
	char     s[INET_ADDRSTRLEN];
	uint32_t h = ntohl(a->s_addr);
	if (bits < 32) {
		h &= bits <= 0 ? 0 : ~((1u << (32 - bits)) - 1);
	}
	struct in_addr n = { .s_addr = htonl(h) };
	inet_ntop(AF_INET, &n, s, sizeof(s));
	if (bits >= 32) {
		snprintf(out, cap, "%s", s);
	} else {
		snprintf(out, cap, "%s/%d", s, bits);
	}
}

void
peer_network(const char *peer, int v4_bits, char *out, size_t cap)
{
	const char *uid = strstr(peer, " uid ");
	if (strncmp(peer, "ipc", 3) == 0 && uid != NULL) {
		snprintf(out, cap, "%s", uid + 1);
		return;
	}
	const char *host = strchr(peer, ' ');
	host             = host != NULL ? host + 1 : peer;
	char        ip[INET6_ADDRSTRLEN];
	const char *end = host[0] == '[' ? strchr(host, ']') : NULL;
	size_t      n
	    = end != NULL ? (size_t) (end - host - 1) : strcspn(host, ":");
	const char *from = end != NULL ? host + 1 : host;
	if (n < sizeof(ip) && (end != NULL || strchr(host, ']') == NULL)) {
		memcpy(ip, from, n);
		ip[n] = '\0';
		struct in_addr  a4;
		struct in6_addr a6;
		if (inet_pton(AF_INET, ip, &a4) == 1) {
			v4_net(&a4, v4_bits, out, cap);
			return;
		}
		if (end != NULL && inet_pton(AF_INET6, ip, &a6) == 1) {
			if (IN6_IS_ADDR_V4MAPPED(&a6)) {
				memcpy(&a4.s_addr, &a6.s6_addr[12], 4);
				v4_net(&a4, v4_bits, out, cap);
				return;
			}
			char s[INET6_ADDRSTRLEN];
			memset(&a6.s6_addr[8], 0, 8);
			inet_ntop(AF_INET6, &a6, s, sizeof(s));
			snprintf(out, cap, "[%s]/64", s);
			return;
		}
	}
	// Not an address: as it is, its port dropped.
	snprintf(out, cap, "%s", host);
	char *colon = strrchr(out, ':');
	if (colon != NULL && colon > out && colon[-1] != ':') {
		*colon = '\0';
	}
}

uint64_t
peer_network_hash(const char *peer)
{
	char net[96];
	peer_network(peer, 24, net, sizeof(net));
	uint64_t h = 1469598103934665603ull; // FNV-1a
	for (const char *p = net; *p != '\0'; p++) {
		h = (h ^ (uint8_t) *p) * 1099511628211ull;
	}
	return h;
}

void
net_tally_init(net_tally *t, uint64_t prefer)
{
	memset(t->slot, 0, sizeof(t->slot));
	t->best   = prefer;
	t->most   = 0;
	t->prefer = prefer;
}

void
net_tally_add(net_tally *t, uint64_t net)
{
	size_t n = sizeof(t->slot) / sizeof(t->slot[0]);
	size_t i = (size_t) (net % n), k = 0;
	while (k < 16 && t->slot[i].n != 0 && t->slot[i].net != net) {
		i = (i + 1) % n;
		k++;
	}
	if (k == 16) {
		return;
	}
	t->slot[i].net = net;
	if (++t->slot[i].n > t->most
	    || (t->slot[i].n == t->most && net == t->prefer)) {
		t->most = t->slot[i].n;
		t->best = net;
	}
}
