package auth

import "harborwatch/store"

// roleRank orders the roles: each one may do what the lower ones may.
func roleRank(r string) int {
	switch r {
	case store.Viewer:
		return 1
	case store.Analyst:
		return 2
	case store.Admin:
		return 3
	}
	return 0
}

// ValidRole reports whether r is one of the roles store.Viewer,
// store.Analyst and store.Admin (exact, lower case).
func ValidRole(r string) bool { return roleRank(r) > 0 }

// RoleAllows reports whether a user or token with role may do what needs
// the role need, in the order viewer < analyst < admin. An unknown role,
// on either side, allows nothing.
func RoleAllows(role, need string) bool {
	have, want := roleRank(role), roleRank(need)
	return have > 0 && want > 0 && have >= want
}
