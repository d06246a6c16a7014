#!/usr/bin/env bash
# Installs every Debian package rdsim needs to build, run and test.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libevent-dev libc-ares-dev libcjson-dev libcbor-dev zlib1g-dev libsqlite3-dev libpq-dev libssl-dev
  libpam0g-dev # pam/pam_rdsim_iam.so, IAM database authentication
  postgresql-15 postgresql-client-15
  sqlite3 jq bats dnsutils curl procps psmisc iproute2 perl
  iptables # region.sh netdelay/netloss: statistic drops and NFQUEUE on the region bridge (no sch_netem here)
  openssl # tests/integration/tls.t reads the bundle and the served certificates
  clang libclang-rt-14-dev python3
  python3-cryptography # tests/integration/fake_controlplane.py seals as lib/agentmac does
  # the DNS-caching lab's real runtimes (cli/labruntimes.h, namespace mode): JVM lanes
  # (javac, JDBC, HikariCP), Python's psycopg2, dnsmasq as the clients' caching resolver
  openjdk-17-jdk-headless libpostgresql-jdbc-java libhikaricp-java libslf4j-java
  python3-psycopg2 dnsmasq-base
  chromium # liveview.t renders the live view headless: ~110 MB to download, ~350 MB installed
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The real aws CLI is the reference client; Debian's awscli provides one
# where none is on the PATH (a pip-installed one is used as it is). Debian's
# is version 2, whose `aws logs tail --follow` tests/integration/logs.t runs
# as /usr/bin/aws even where a pip-installed version 1 comes first.
{ command -v aws >/dev/null 2>&1 && [ -x /usr/bin/aws ]; } || missing+=(awscli)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql package starts a cluster of its own on 5432; rdsim
# runs its own servers and never needs that one.
