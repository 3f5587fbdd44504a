# Sourced by test.sh and dev-test.sh: the connection URLs of the running
# infrastructure (written by start-infra.sh) and the test suite's settings.
set -a
# shellcheck source=/dev/null
source "$GYRE_HOME/infra.env"
set +a
export GYRE_TEST_POSTGRES_URL="$GYRE_POSTGRES_URL"
export GYRE_TEST_REDIS_URL="$GYRE_REDIS_URL"
export GYRE_TEST_AMQP_URL="$GYRE_AMQP_URL"
export GYRE_JOB_IMAGE=gyre/base:bookworm
export GYRE_REPO_ROOT="$REPO"
# Where the tests find deploy/scripts/start-slapd.sh's directory (slapd/ldap.env).
export GYRE_HOME
