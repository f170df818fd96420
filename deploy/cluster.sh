#!/usr/bin/env bash
# `make cluster`: the demo on PostgreSQL as REPLICAS replicas of the release build behind
# Debian's nginx as the load balancer, on one address (CLUSTER_LISTEN). Ctrl-C (or SIGTERM)
# stops the replicas and nginx; a replica that exits meanwhile leaves the others serving.
# See "Replicas" in README.md.
#
#   REPLICAS              replicas to start (default 2)
#   CLUSTER_LISTEN        the load balancer's address (default 127.0.0.1:8080)
#   CLUSTER_REPLICA_PORT  the first replica's port on 127.0.0.1, the next ones follow
#                         (default: the load balancer's port + 1)
#   CLUSTER_DATABASE_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test)
#   CLUSTER_SCHEMA        schema the replicas share there (default besthub_cluster; created
#                         when missing, kept between runs; CLUSTER_RESET=1 drops it first)
#   CLUSTER_DIR           nginx's configuration, pid, temp and log files, and the replicas'
#                         logs (default /var/tmp/besthub/cluster)
#   BESTHUB_BIN           server binary (default $CARGO_TARGET_DIR/release/besthub)
#   LEPTOS_SITE_ROOT      the built site (default target/site of this checkout)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
replicas=${REPLICAS:-2}
listen=${CLUSTER_LISTEN:-127.0.0.1:8080}
db_url=${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
schema=${CLUSTER_SCHEMA:-besthub_cluster}
dir=${CLUSTER_DIR:-/var/tmp/besthub/cluster}
bin=${BESTHUB_BIN:-${CARGO_TARGET_DIR:-/var/tmp/besthub/target}/release/besthub}
site=${LEPTOS_SITE_ROOT:-$repo/target/site}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

die() { echo "cluster: $*" >&2; exit 1; }

[[ $replicas =~ ^[1-9][0-9]*$ ]] || die "REPLICAS must be a positive number, not '$replicas'"
[[ $listen =~ ^(.+):([0-9]+)$ ]] || die "CLUSTER_LISTEN must be HOST:PORT, not '$listen'"
lb_port=${BASH_REMATCH[2]}
first_port=${CLUSTER_REPLICA_PORT:-$((lb_port + 1))}
[[ $schema =~ ^[a-z_][a-z0-9_]*$ ]] || die "CLUSTER_SCHEMA must be a plain lower-case name"
[[ -x $bin ]] || die "$bin is missing: run 'make build' first"
[[ -d $site/pkg ]] || die "$site/pkg is missing: run 'make build' first"
[[ -x $nginx ]] || die "nginx is missing: apt-get install nginx (make cluster does)"
command -v psql >/dev/null || die "psql is missing: apt-get install postgresql-client (make cluster does)"

# The replicas share one schema of their own, so that the demo never meets the tests' tables.
psql_q() { PGOPTIONS='-c client_min_messages=warning' psql "$db_url" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_q -c 'SELECT 1' >/dev/null 2>&1 ||
	die "no PostgreSQL answers at $db_url (set CLUSTER_DATABASE_URL)"
if [[ ${CLUSTER_RESET:-} == 1 ]]; then
	psql_q -c "DROP SCHEMA IF EXISTS $schema CASCADE"
fi
psql_q -c "CREATE SCHEMA IF NOT EXISTS $schema"
# The same URL form as the tests' per-test schemas (tests/common/mod.rs): libpq options
# setting search_path, which sqlx applies to every connection.
sep='?'
[[ $db_url == *\?* ]] && sep='&'
app_db_url="${db_url}${sep}options=-c%20search_path%3D${schema}"

mkdir -p "$dir"
for d in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$dir/$d"; done

pids=()
stopping=0
stop() {
	[[ $stopping == 1 ]] && return
	stopping=1
	trap - INT TERM HUP
	[[ ${#pids[@]} == 0 ]] && return
	echo "cluster: stopping the replicas and nginx" >&2
	# SIGTERM: each replica finishes the requests in flight and closes its event streams;
	# nginx stops at once (SIGTERM is its fast shutdown).
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for _ in $(seq 100); do
		alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[[ $alive == 0 ]] && break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

wait_ok() { # URL WHAT PID LOG: until URL answers 200 (or PID exits)
	for _ in $(seq 600); do
		curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || die "$2 exited (see $4)"
		sleep 0.2
	done
	die "$2 did not answer $1 within 120 s (see $4)"
}

ports=()
for i in $(seq 1 "$replicas"); do
	port=$((first_port + i - 1))
	ports+=("$port")
	name=replica-$i
	# Each replica's output goes to the terminal, each line prefixed with its name, and to
	# its log. Replicas and nginx run in sessions of their own, so that Ctrl-C reaches this
	# script alone, which then stops them all (the log pipes ignore it).
	setsid env LEPTOS_SITE_ROOT="$site" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=besthub LEPTOS_ENV=PROD \
		BESTHUB_LISTEN="127.0.0.1:$port" \
		BESTHUB_DATABASE_URL="$app_db_url" \
		BESTHUB_PUBLIC_URL="http://$listen" \
		BESTHUB_TRUSTED_PROXIES=127.0.0.1 \
		"$bin" serve > >(trap '' INT; sed -u "s/^/[$name] /" | tee -a "$dir/$name.log") 2>&1 &
	pids+=("$!")
	# The first replica applies the migrations and imports the demo into an empty schema
	# alone; the others start once it serves.
	[[ $i == 1 ]] && wait_ok "http://127.0.0.1:$port/healthz" "$name" "$!" "$dir/$name.log"
done
for i in $(seq 1 "$replicas"); do
	wait_ok "http://127.0.0.1:${ports[i - 1]}/healthz" "replica-$i" "${pids[i - 1]}" "$dir/replica-$i.log"
done

servers=""
for port in "${ports[@]}"; do
	servers+="    server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
done
user=""
if [[ $(id -u) == 0 ]]; then
	# As root, nginx's workers run as www-data (Debian's nginx user), which writes the temp files.
	user="user www-data;"$'\n'
	chown www-data "$dir"/{client_body,proxy,fastcgi,uwsgi,scgi}
fi
conf=$(<"$repo/deploy/nginx.conf")
conf=${conf//@USER@/$user}
conf=${conf//@DIR@/$dir}
conf=${conf//@SERVERS@/${servers%$'\n'}}
conf=${conf//@LISTEN@/$listen}
conf=${conf//@REPLICAS@/$replicas}
printf '%s\n' "$conf" >"$dir/nginx.conf"
"$nginx" -t -q -p "$dir" -c "$dir/nginx.conf"
setsid "$nginx" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' &
pids+=("$!")
wait_ok "http://$listen/healthz" nginx "$!" "$dir/error.log"

cat <<EOF

BestHub: http://$listen  ($replicas replicas on 127.0.0.1:${ports[*]}, behind nginx)
  database  $db_url, schema $schema
  files     $dir (nginx.conf, access.log with the replica that answered, replica logs)
Ctrl-C stops everything.

EOF
# Runs until Ctrl-C. A replica that exits is reported and nginx passes its requests to the
# others (stop one to watch the fail-over); when nginx or the last replica exits, it ends.
names=()
for i in $(seq 1 "$replicas"); do names+=("replica-$i"); done
names+=(nginx)
left=("${pids[@]}")
while true; do
	set +e
	wait -n -p gone "${left[@]}"
	status=$?
	set -e
	name="a process"
	for i in "${!pids[@]}"; do
		[[ ${pids[i]} == "${gone:-}" ]] && name=${names[i]}
	done
	next=()
	for pid in "${left[@]}"; do [[ $pid == "${gone:-}" ]] || next+=("$pid"); done
	left=("${next[@]}")
	if [[ $name == nginx || ${#left[@]} -le 1 ]]; then
		echo "cluster: $name exited (status $status); stopping the others" >&2
		exit 1
	fi
	echo "cluster: $name exited (status $status); ${#left[@]} processes go on (Ctrl-C stops them)" >&2
done
