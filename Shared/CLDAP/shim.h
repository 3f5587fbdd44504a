// OpenLDAP's client API (libldap + liblber). Only non-deprecated calls are used,
// so LDAP_DEPRECATED stays unset.
#include <lber.h>
#include <ldap.h>
