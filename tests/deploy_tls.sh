#!/bin/sh
# docs/deploy.md's "TLS between two hosts, step by step", run as written:
# its lines between the deploy-tls markers, those after "# on
# manager-host" in one network namespace and those after "# on the client
# host" in another, joined by a veth pair, the client resolving
# manager-host through /etc/netns/NS/hosts, /etc/mgr a temporary
# directory on each side; what the doc says to copy is copied between
# them. The last line must print 4; dialling the address instead of the
# name must be refused with a message naming MGR_TLS_SERVER_NAME.
# usage: deploy_tls.sh SRCDIR BUILDDIR   (exit 77: skipped, not root)
set -eu
src=$1
build=$2
[ "$(id -u)" = 0 ] || { echo "skipped: network namespaces need root"; exit 77; }
command -v ip >/dev/null || { echo "skipped: no ip (iproute2)"; exit 77; }
command -v openssl >/dev/null || { echo "deploy_tls: needs openssl"; exit 1; }

# A subnet no interface of the machine uses.
k=1
while [ $k -lt 250 ] && ip -o -4 addr | grep -q " 10\.215\.$k\."; do
	k=$((k + 1))
done
net=10.215.$k
tag=mgd$$
srv=${tag}s
cli=${tag}c
tmp=$(mktemp -d /tmp/mgrtest-deploy-XXXXXX)
cleanup() {
	for ns in "$srv" "$cli"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "/etc/netns/$cli" "$tmp"
	rmdir /etc/netns 2>/dev/null || true # if this test made it
}
trap cleanup EXIT
ip netns add "$srv"
ip netns add "$cli"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$srv"
ip link set "${tag}b" netns "$cli"
ip -n "$srv" addr add "$net.1/24" dev "${tag}a"
ip -n "$cli" addr add "$net.2/24" dev "${tag}b"
for ns in "$srv" "$cli"; do
	ip -n "$ns" link set lo up
done
ip -n "$srv" link set "${tag}a" up
ip -n "$cli" link set "${tag}b" up
mkdir -p "/etc/netns/$cli"
echo "$net.1 manager-host" >"/etc/netns/$cli/hosts"

path="$build:$build/tools:$src/tools:/usr/sbin:/usr/bin:/sbin:/bin"
sed -n '/<!-- deploy-tls: begin -->/,/<!-- deploy-tls: end -->/p' \
	"$src/docs/deploy.md" | grep -v '^<!--' | grep -v '^```' >"$tmp/steps"
[ -s "$tmp/steps" ] || { echo "deploy_tls: no steps in docs/deploy.md"; exit 1; }
mkdir -m 700 "$tmp/srv-etc" "$tmp/cli-etc"
ns=
etc=
out=
while IFS= read -r line; do
	case $line in
	"# on manager-host"*) ns=$srv; etc=$tmp/srv-etc; continue ;;
	"# copy /etc/mgr/ca.crt and /etc/mgr/authkey"*)
		cp "$tmp/srv-etc/ca.crt" "$tmp/srv-etc/authkey" "$tmp/cli-etc/"
		continue ;;
	"# on the client host"*) ns=$cli; etc=$tmp/cli-etc; continue ;;
	"#"* | "") continue ;;
	esac
	[ -n "$ns" ] || { echo "deploy_tls: a step before any host: $line"; exit 1; }
	cmd=$(printf '%s\n' "$line" | sed "s#/etc/mgr#$etc#g")
	echo "[$([ "$ns" = "$srv" ] && echo manager-host || echo client)] $line"
	case $cmd in
	*"&")
		# The manager, left running; the steps go on once it listens.
		ip netns exec "$ns" env -i PATH="$path" HOME="$tmp" sh -c "$cmd" \
			>"$tmp/managerd.log" 2>&1
		port=$(printf '%s\n' "$cmd" | sed -n 's#.*tls+tcp://[^ ]*:\([0-9]*\).*#\1#p')
		n=0
		until ip netns exec "$ns" ss -ltnH "sport = :$port" | grep -q .; do
			n=$((n + 1))
			[ $n -lt 300 ] || { echo "deploy_tls: managerd does not listen"; cat "$tmp/managerd.log"; exit 1; }
			sleep 0.1
		done ;;
	*)
		out=$(ip netns exec "$ns" env -i PATH="$path" HOME="$tmp" sh -c "$cmd" 2>&1) || {
			echo "deploy_tls: failed: $line"; echo "$out"
			cat "$tmp/managerd.log"; exit 1; }
		[ -z "$out" ] || echo "$out" ;;
	esac
done <"$tmp/steps"
[ "$out" = 4 ] || { echo "deploy_tls: the last step printed '$out', not 4"; exit 1; }

# The address instead of the name the certificate carries: refused, and
# the message says what to set.
if err=$(ip netns exec "$cli" env -i PATH="$path" MGR_TLS_CA_FILE="$tmp/cli-etc/ca.crt" \
	MGR_AUTHKEY="$(cat "$tmp/cli-etc/authkey")" \
	managerctl --url "tls+tcp://$net.1:50001" ping 2>&1); then
	echo "deploy_tls: dialling $net.1 was not refused: $err"; exit 1
fi
case $err in
*MGR_TLS_SERVER_NAME*) ;;
*) echo "deploy_tls: the refusal does not name MGR_TLS_SERVER_NAME: $err"; exit 1 ;;
esac
echo "deploy_tls: the guide's TLS steps work across two namespaces"
