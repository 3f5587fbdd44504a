#!/usr/bin/env bash
# Starts a throwaway OpenLDAP server (slapd) for tests and development, as a
# plain background process on 127.0.0.1 (no init system needed). Idempotent: if
# our slapd already answers, it is reused. It never touches Debian's own slapd
# (/etc/ldap/slapd.d, ports 389/636): own slapd.conf, data, pid file and ports.
#
# Serves:  ldap://127.0.0.1:$GYRE_LDAP_PORT (plain and StartTLS)
#          ldaps://127.0.0.1:$GYRE_LDAPS_PORT
# Tree:    dc=gyre,dc=test (rootdn cn=admin), read-only service account
#          cn=gyre-reader, people alice/bob/pat*(ops), contractor carol, groups.
# State:   ${GYRE_HOME:-<repo>/.run}/slapd (CA at ca.pem, log slapd.log,
#          passwords in admin.password / reader.password, mode 600)
# Output:  $GYRE_HOME/slapd/ldap.env (the GYRE_LDAP_* variables for Gyre)
#
# Usage: deploy/scripts/start-slapd.sh
# Env:   GYRE_HOME GYRE_LDAP_PORT(3890) GYRE_LDAPS_PORT(6360) GYRE_SLAPD_WAIT_SECONDS(15)
# Needs: DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils libldap-dev openssl
#        (preseed `slapd slapd/no_configuration boolean true` with debconf-set-selections
#        first, so Debian's postinst creates and starts no system slapd of its own)
set -euo pipefail

LOG_TAG=start-slapd
# shellcheck source=deploy/scripts/infra-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra-common.sh"

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (this script takes none)" ;;
esac

GYRE_LDAP_PORT="${GYRE_LDAP_PORT:-3890}"
GYRE_LDAPS_PORT="${GYRE_LDAPS_PORT:-6360}"
WAIT_SECONDS="${GYRE_SLAPD_WAIT_SECONDS:-15}"
SUFFIX="dc=gyre,dc=test"
READER_DN="cn=gyre-reader,$SUFFIX"
DIR="$GYRE_HOME/slapd"
LDAP_URL="ldap://127.0.0.1:$GYRE_LDAP_PORT"
LDAPS_URL="ldaps://127.0.0.1:$GYRE_LDAPS_PORT"

# Server binaries live in /usr/sbin, which is not on every PATH.
PATH="$PATH:/usr/sbin:/sbin"
missing=()
for tool in slapd slapadd slappasswd ldapwhoami openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if (( ${#missing[@]} )); then
  die "missing ${missing[*]}; install with: DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils libldap-dev openssl"
fi

# The reader binds over StartTLS with our CA: proves slapd, its TLS and our seed data.
answers() {
  LDAPTLS_CACERT="$DIR/ca.pem" LDAPTLS_REQCERT=demand timeout 5 \
    ldapwhoami -x -ZZ -o nettimeout=2 -H "$LDAP_URL" -D "$READER_DN" -y "$DIR/reader.password"
}
ldaps_answers() {
  LDAPTLS_CACERT="$DIR/ca.pem" LDAPTLS_REQCERT=demand timeout 5 \
    ldapwhoami -x -o nettimeout=2 -H "$LDAPS_URL" -D "$READER_DN" -y "$DIR/reader.password"
}

write_env() {
  cat >"$DIR/ldap.env.tmp" <<EOF
# Written by deploy/scripts/start-slapd.sh: the throwaway test directory $SUFFIX.
GYRE_LDAP_URL=$LDAP_URL
GYRE_LDAP_STARTTLS=1
GYRE_LDAP_BIND_DN=$READER_DN
GYRE_LDAP_BIND_PASSWORD_FILE=$DIR/reader.password
GYRE_LDAP_SEARCH_BASE=ou=people,$SUFFIX
GYRE_LDAP_GROUP_BASE=ou=groups,$SUFFIX
GYRE_LDAP_CA_FILE=$DIR/ca.pem
# Not Gyre settings: what else this slapd offers, for the tests.
GYRE_SLAPD_LDAPS_URL=$LDAPS_URL
GYRE_SLAPD_WRONG_CA_FILE=$DIR/wrong-ca.pem
EOF
  mv "$DIR/ldap.env.tmp" "$DIR/ldap.env"
}

tail_log() { tail -n 25 "$DIR/slapd.log" 2>/dev/null | sed 's/^/  | /' >&2 || true; }

if [[ -s "$DIR/reader.password" && -s "$DIR/ca.pem" ]] && answers >/dev/null 2>&1; then
  write_env
  log "slapd already answering on $LDAP_URL (reused); wrote $DIR/ldap.env"
  exit 0
fi
for port in "$GYRE_LDAP_PORT" "$GYRE_LDAPS_PORT"; do
  if port_open "$port"; then
    die "port $port is taken by something that is not our slapd (see: ss -ltnp 'sport = :$port'); stop it with deploy/scripts/stop-slapd.sh or set GYRE_LDAP_PORT/GYRE_LDAPS_PORT"
  fi
done

T0=$(date +%s)
mkdir -p "$DIR/data"
chmod 700 "$DIR"
umask 077

# ------------------------------------------------------------ secrets --
new_password() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | cut -c1-24; }
for who in admin reader; do
  # No trailing newline: `ldapwhoami -y` sends the file's bytes verbatim.
  if [[ ! -s "$DIR/$who.password" ]]; then
    printf '%s' "$(new_password)" >"$DIR/$who.password"
    # The seeded tree holds the old hash: seed again.
    rm -f "$DIR/data/"*.mdb
  fi
  chmod 600 "$DIR/$who.password"
done

# --------------------------------------------------------- certificates --
# A CA and a server certificate for 127.0.0.1/localhost, both made once. GnuTLS
# (Debian's libldap) insists on CA:TRUE on the CA and a matching subjectAltName.
make_certs() {
  local cnf="$DIR/openssl.cnf"
  cat >"$cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  local req=(openssl req -config "$cnf" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  "${req[@]}" -x509 -extensions ca -days 3650 -keyout "$DIR/ca.key" -out "$DIR/ca.pem" \
    -subj "/O=Gyre test/CN=Gyre test LDAP CA"
  "${req[@]}" -keyout "$DIR/server.key" -out "$DIR/server.csr" -subj "/O=Gyre test/CN=127.0.0.1"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial \
    -days 3650 -extfile "$cnf" -extensions server -out "$DIR/server.pem"
  # A second CA that signed nothing here: the tests' "wrong CA".
  "${req[@]}" -x509 -extensions ca -days 3650 -keyout "$DIR/wrong-ca.key" -out "$DIR/wrong-ca.pem" \
    -subj "/O=Gyre test/CN=Unrelated CA"
  rm -f "$DIR/server.csr" "$DIR/wrong-ca.key" "$DIR/ca.srl"
  chmod 644 "$DIR/ca.pem" "$DIR/wrong-ca.pem" "$DIR/server.pem"
}
if [[ ! -s "$DIR/server.pem" || ! -s "$DIR/ca.pem" || ! -s "$DIR/wrong-ca.pem" ]]; then
  log "generating a CA and a server certificate in $DIR"
  make_certs >"$DIR/openssl.log" 2>&1 || { cat "$DIR/openssl.log" >&2; die "openssl failed (log above)"; }
fi

# ------------------------------------------------------------- config --
hash_of() { slappasswd -n -h '{SSHA}' -T "$1"; }
write_conf() {
  cat >"$DIR/slapd.conf" <<EOF
# Written by deploy/scripts/start-slapd.sh on every start; edits are overwritten.
include   /etc/ldap/schema/core.schema
include   /etc/ldap/schema/cosine.schema
include   /etc/ldap/schema/nis.schema
include   /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile   $DIR/slapd.pid
argsfile  $DIR/slapd.args
TLSCACertificateFile  $DIR/ca.pem
TLSCertificateFile    $DIR/server.pem
TLSCertificateKeyFile $DIR/server.key

# Anyone may read the root DSE and the schema (health checks, clients).
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read

database  mdb
maxsize   67108864
suffix    "$SUFFIX"
rootdn    "cn=admin,$SUFFIX"
rootpw    $(hash_of "$DIR/admin.password")
directory $DIR/data
index     objectClass eq
index     uid,cn,mail eq
index     member,uniqueMember,memberUid eq

# Passwords are only ever used to bind; nobody reads them (the rootdn is exempt).
access to attrs=userPassword
  by anonymous auth
  by * none
# The service account reads the whole tree (so a user outside the search base is
# excluded by Gyre's search base, not hidden by ACLs); users read themselves.
access to dn.subtree="$SUFFIX"
  by dn.exact="$READER_DN" read
  by self read
  by anonymous auth
  by * none
EOF
}

seed_ldif() {
  local people="ou=people,$SUFFIX" groups="ou=groups,$SUFFIX"
  cat <<EOF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
dc: gyre
o: Gyre test directory

dn: $READER_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: gyre-reader
description: read-only service account for Gyre
userPassword: $(hash_of "$DIR/reader.password")

dn: $people
objectClass: organizationalUnit
ou: people

dn: uid=alice,$people
objectClass: inetOrgPerson
uid: alice
cn: Alice Liddell
sn: Liddell
givenName: Alice
mail: alice@gyre.test
userPassword: $(slappasswd -n -h '{SSHA}' -s alice-secret)

dn: uid=bob,$people
objectClass: inetOrgPerson
uid: bob
cn: Bob Builder
sn: Builder
mail: bob@gyre.test
mail: robert@gyre.test
userPassword: $(slappasswd -n -h '{SSHA}' -s bob-secret)

dn: uid=pat*(ops),$people
objectClass: inetOrgPerson
uid: pat*(ops)
cn: Pat Metachar
sn: Metachar
userPassword: $(slappasswd -n -h '{SSHA}' -s pat-secret)

dn: ou=contractors,$SUFFIX
objectClass: organizationalUnit
ou: contractors

dn: uid=carol,ou=contractors,$SUFFIX
objectClass: inetOrgPerson
uid: carol
cn: Carol Contractor
sn: Contractor
mail: carol@gyre.test
userPassword: $(slappasswd -n -h '{SSHA}' -s carol-secret)

dn: $groups
objectClass: organizationalUnit
ou: groups

dn: cn=developers,$groups
objectClass: groupOfNames
cn: developers
member: uid=alice,$people

dn: cn=admins,$groups
objectClass: groupOfNames
cn: admins
member: uid=bob,$people

dn: cn=auditors,$groups
objectClass: groupOfUniqueNames
cn: auditors
uniqueMember: uid=bob,$people

dn: cn=deployers,$groups
objectClass: posixGroup
cn: deployers
gidNumber: 5001
memberUid: bob
EOF
}

write_conf
if [[ ! -s "$DIR/data/data.mdb" ]]; then
  log "seeding $SUFFIX into $DIR/data"
  seed_ldif >"$DIR/seed.ldif"
  slapadd -q -f "$DIR/slapd.conf" -l "$DIR/seed.ldif" >"$DIR/slapadd.log" 2>&1 \
    || { rm -f "$DIR/data/"*.mdb; cat "$DIR/slapadd.log" >&2; die "slapadd failed (log above)"; }
fi

# -------------------------------------------------------------- start --
# -d 256 (stats) keeps slapd in the foreground, logging connections and
# operations to stderr, i.e. to slapd.log. setsid + nohup detach it from this
# shell. A huge `ulimit -n` (containers) makes slapd allocate a huge descriptor
# table, hence the cap. Runs as the invoking user (root in CI is fine).
log "starting slapd on $LDAP_URL and $LDAPS_URL (log $DIR/slapd.log)"
(
  ulimit -n 1024
  exec setsid nohup slapd -d 256 -f "$DIR/slapd.conf" -h "$LDAP_URL/ $LDAPS_URL/" \
    >"$DIR/slapd.log" 2>&1 </dev/null
) &
SLAPD_PID=$!

deadline=$(( $(date +%s) + WAIT_SECONDS ))
until answers >/dev/null 2>&1; do
  if ! kill -0 "$SLAPD_PID" 2>/dev/null; then
    tail_log; die "slapd exited during startup; log tail above ($DIR/slapd.log)"
  fi
  if (( $(date +%s) >= deadline )); then
    kill "$SLAPD_PID" 2>/dev/null || true
    tail_log; die "slapd did not answer on $LDAP_URL within ${WAIT_SECONDS}s; log tail above ($DIR/slapd.log)"
  fi
  sleep 0.2
done
ldaps_answers >/dev/null 2>&1 || { kill "$SLAPD_PID"; tail_log; die "slapd answers on $LDAP_URL but not on $LDAPS_URL; log tail above"; }

write_env
log "slapd started (pid $SLAPD_PID) in $(( $(date +%s) - T0 ))s; wrote $DIR/ldap.env"
