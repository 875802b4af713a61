#!/bin/sh
# cmake --install into a temporary prefix, then use the installed copy as
# a user would, with nothing of the build tree reachable (no MGR_MANAGERD,
# no build path on PATH or compiled in): the files are there, the
# installed programs start without LD_LIBRARY_PATH, and a small program
# builds and runs against the install three ways: plain -lmgr,
# pkg-config (shared, and --static into a static program), find_package.
#   install.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mgr-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
p="$tmp/prefix"
cmake --install "$build" --prefix "$p" >"$tmp/install.log"

for f in lib/libmgr.so lib/libmgr.so.0 lib/libmgr.a include/mgr.h \
    include/mgr_module.h lib/pkgconfig/mgr-module.pc share/doc/mgr/modules.md \
    share/mgr/manager.proto share/doc/mgr/examples/seed_dict_list.c \
    share/doc/mgr/examples/modules/account.c \
    share/bash-completion/completions/managerctl \
    bin/managerd bin/managerctl bin/mgr-certs lib/pkgconfig/mgr.pc \
    lib/cmake/mgr/mgrConfig.cmake lib/cmake/mgr/mgrTargets.cmake \
    share/man/man8/managerd.8 share/man/man1/managerctl.1 \
    share/doc/mgr/LICENSE share/doc/mgr/api.md \
    share/doc/mgr/dashboard.md share/doc/mgr/managerd.service; do
	[ -e "$p/$f" ] || { echo "missing: $f"; exit 1; }
done
soname=$(readelf -d "$p/lib/libmgr.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libmgr.so.0 ] || { echo "soname: $soname"; exit 1; }
if strings "$p/lib/libmgr.so" "$p/lib/libmgr.a" | grep -q -e "$build" -e "$src"; then
	echo "the installed library names a path of the build"; exit 1
fi

# The environment of a user: the installed bin/ on PATH, nothing else.
run() { env -i HOME="$tmp" PATH="$p/bin:/usr/bin:/bin" "$@"; }
run managerctl --version | grep -q "^managerctl [0-9]" || { echo "managerctl --version"; exit 1; }
run managerd --version | grep -q "^managerd [0-9]" || { echo "managerd --version"; exit 1; }
# man finds the installed pages through the prefix's share/man.
if command -v man >/dev/null; then
	MANPATH="$p/share/man" man -P cat managerd 2>/dev/null | grep -q "the manager of shared objects" \
		|| { echo "man managerd"; exit 1; }
fi

cat >"$tmp/prog.c" <<'EOC'
#include <mgr.h>
#include <stdio.h>

int
main(void)
{
	mgr_server *s;
	mgr_client *c;
	mgr_obj    *d;
	mgr_value   v;
	char        buf[64];
	if (mgr_server_start(&s, NULL) != 0 || mgr_server_connect(s, &c) != 0
	    || mgr_dict_new(c, &d) != 0
	    || mgr_dict_set(d, mgr_str("k"), mgr_int(42)) != 0
	    || mgr_dict_get(d, mgr_str("k"), &v) != 0) {
		fprintf(stderr, "prog: %s\n", mgr_errdetail());
		return 1;
	}
	mgr_value_repr(&v, buf, sizeof(buf));
	printf("%s %s\n", mgr_version(), buf);
	mgr_value_free(&v);
	mgr_obj_release(d);
	mgr_disconnect(c);
	mgr_server_shutdown(s);
	return 0;
}
EOC
check() { # name, program: it runs and prints the value
	out=$(run "$2") || { echo "$1: $out"; exit 1; }
	case "$out" in *" 42") echo "$1: $out" ;; *) echo "$1: $out"; exit 1 ;; esac
}
# 1. plain -lmgr (an rpath, as one would, or LD_LIBRARY_PATH)
cc "$tmp/prog.c" -I"$p/include" -L"$p/lib" -lmgr -Wl,-rpath,"$p/lib" -o "$tmp/plain"
check "plain -lmgr" "$tmp/plain"
# 2. pkg-config, shared and static
pc() { PKG_CONFIG_PATH="$p/lib/pkgconfig" pkg-config "$@"; }
cc "$tmp/prog.c" $(pc --cflags --libs mgr) -Wl,-rpath,"$p/lib" -o "$tmp/pkgconf"
check "pkg-config" "$tmp/pkgconf"
cc -static "$tmp/prog.c" $(pc --static --cflags --libs mgr) -o "$tmp/static" 2>"$tmp/static.log" ||
	{ cat "$tmp/static.log"; exit 1; }
check "pkg-config --static" "$tmp/static"
# 3. find_package
mkdir -p "$tmp/proj"
cp "$tmp/prog.c" "$tmp/proj/"
cat >"$tmp/proj/CMakeLists.txt" <<'EOC'
cmake_minimum_required(VERSION 3.18)
project(user C)
find_package(mgr CONFIG REQUIRED)
add_executable(prog prog.c)
target_link_libraries(prog PRIVATE mgr::mgr)
EOC
cmake -S "$tmp/proj" -B "$tmp/proj/b" -DCMAKE_PREFIX_PATH="$p" >"$tmp/proj.log" 2>&1 &&
	cmake --build "$tmp/proj/b" >>"$tmp/proj.log" 2>&1 || { cat "$tmp/proj.log"; exit 1; }
check "find_package" "$tmp/proj/b/prog"
# The .pc file under a multiarch libdir (-DCMAKE_INSTALL_PREFIX=/usr on
# Debian gives lib/x86_64-linux-gnu): its prefix is still the prefix.
cmake -S "$src" -B "$tmp/ma" -DMGR_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr \
	-DCMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu >"$tmp/ma.log" 2>&1 ||
	{ cat "$tmp/ma.log"; exit 1; }
mkdir -p "$tmp/usr/lib/x86_64-linux-gnu/pkgconfig"
cp "$tmp/ma/mgr.pc" "$tmp/usr/lib/x86_64-linux-gnu/pkgconfig/"
got=$(PKG_CONFIG_PATH="$tmp/usr/lib/x86_64-linux-gnu/pkgconfig" pkg-config --variable=libdir mgr)
[ "$(cd "$got" && pwd)" = "$tmp/usr/lib/x86_64-linux-gnu" ] ||
	{ echo "multiarch mgr.pc: libdir $got"; exit 1; }
echo "multiarch mgr.pc: libdir $got"
# 4. a module, built against the install and loaded by the installed
# managerd; the installed managerctl makes an object of its type and
# calls a method.
mkdir -m 700 "$tmp/mod"
cc -o "$tmp/mod/account.so" "$src/examples/modules/account.c" \
	$(pc --cflags --libs mgr-module) -Wl,-rpath,"$p/lib"
key=0123456789abcdef
# env execs managerd: $! is managerd's own pid (a function run in the
# background would be a subshell, and killing it would leave managerd).
mkfifo "$tmp/mod/ready"
env -i HOME="$tmp" PATH="$p/bin:/usr/bin:/bin" MGR_AUTHKEY=$key \
	managerd --listen "ipc://$tmp/mod/sock" --ready-fd 3 \
	--load-module "$tmp/mod/account.so" >"$tmp/mod/log" 2>&1 3>"$tmp/mod/ready" &
mpid=$!
# Its "ready" line, once it listens (bounded).
timeout 30 grep -q -m1 '^ready$' <"$tmp/mod/ready" ||
	{ cat "$tmp/mod/log"; kill $mpid; exit 1; }
ctl() { run env MGR_URL="ipc://$tmp/mod/sock" MGR_AUTHKEY=$key managerctl "$@"; }
ctl new account acct 100 && out=$(ctl call acct withdraw 30) || {
	cat "$tmp/mod/log"; kill $mpid; exit 1; }
kill $mpid; wait $mpid || { echo "managerd exited $?"; cat "$tmp/mod/log"; exit 1; }
[ "$out" = 70 ] || { echo "module: $out"; exit 1; }
echo "module: account.so built with pkg-config mgr-module, withdraw gave $out"
# 5. the Python client as its README installs it: a venv that sees
# Debian's python3-protobuf, pip install ./python (offline: no build
# isolation, no index), then mgr.start() finding the installed managerd
# on PATH. From a copy of the sources: the build writes beside setup.py.
mkdir "$tmp/pysrc"
cp -r "$src/python" "$src/schema" "$src/include" "$tmp/pysrc/"
rm -rf "$tmp/pysrc/python/build" "$tmp/pysrc/python/"*.egg-info
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv" >"$tmp/venv.log" 2>&1 &&
	"$tmp/venv/bin/pip" install --no-build-isolation --no-index \
		"$tmp/pysrc/python" >>"$tmp/venv.log" 2>&1 ||
	{ cat "$tmp/venv.log"; exit 1; }
out=$(cd "$tmp" && env -i HOME="$tmp" PATH="$p/bin:/usr/bin:/bin" \
	"$tmp/venv/bin/python" -c 'import mgr
with mgr.start() as m:
    d = m.dict(answer=42)
    print(d["answer"], mgr.__file__.startswith("'"$tmp/venv"'"))') ||
	{ echo "python client: $out"; exit 1; }
[ "$out" = "42 True" ] || { echo "python client: $out"; exit 1; }
echo "python client: pip install ./python into a venv, mgr.start() works"
echo "install: all good"
