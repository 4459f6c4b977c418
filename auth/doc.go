// Package auth holds the credential rules of harborwatch serve that do not
// depend on HTTP or on the database: API token secrets and their hashes,
// argon2id password hashes in PHC string form and the password policy, the
// role order, a login throttle, and the duration syntax of --expires and
// --retain-events.
//
// Nothing here keeps global mutable state: a Limiter is a value the server
// owns, and every function is safe for concurrent use.
package auth
