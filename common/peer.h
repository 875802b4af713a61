/* What a peer's description says about where it is, for limits and logs
 * that count by place rather than by connection. */
#ifndef MGR_COMMON_PEER_H
#define MGR_COMMON_PEER_H

#include <stddef.h>
#include <stdint.h>

/* The network of peer ("tcp 10.1.2.3:5000", "wss [2001:db8::1]:443",
 * "ipc pid 12 uid 1000", as sock.c and nng's streams describe them) in
 * out: an IPv4 address with its first v4_bits bits ("10.1.2.3" for 32,
 * "10.1.2.0/24" for 24), an IPv6 one by its /64 ("[2001:db8::]/64"), an
 * IPv4 address mapped into IPv6 as IPv4, a local peer by user ("uid
 * 1000"); anything else as it is, without its port. */
void peer_network(const char *peer, int v4_bits, char *out, size_t cap);

/* A hash of peer's network (an IPv4 /24, an IPv6 /64, a local user): the
 * place whose connections make room when a port is full. */
uint64_t peer_network_hash(const char *peer);

/* The network seen most among those added (peer_network_hash values):
 * who makes room when a bound is reached. Counted in a table on the
 * stack, one pass; a network that finds no slot near its hash is not
 * counted, so a crowded table costs no more. */
typedef struct net_tally {
	struct {
		uint64_t net;
		uint32_t n;
	} slot[512];
	uint64_t best; /* the network seen most (prefer, until one is) */
	uint32_t most;
	uint64_t prefer; /* wins a tie: the newcomer's network */
} net_tally;
void net_tally_init(net_tally *t, uint64_t prefer);
void net_tally_add(net_tally *t, uint64_t net);

#endif
