package auth

import "testing"

func TestRoles(t *testing.T) {
	for _, r := range []string{"viewer", "analyst", "admin"} {
		if !ValidRole(r) {
			t.Errorf("ValidRole(%q) = false", r)
		}
	}
	for _, r := range []string{"", "Admin", "root", "admin "} {
		if ValidRole(r) {
			t.Errorf("ValidRole(%q) = true", r)
		}
	}
	cases := []struct {
		role, need string
		want       bool
	}{
		{"viewer", "viewer", true},
		{"viewer", "analyst", false},
		{"viewer", "admin", false},
		{"analyst", "viewer", true},
		{"analyst", "analyst", true},
		{"analyst", "admin", false},
		{"admin", "viewer", true},
		{"admin", "analyst", true},
		{"admin", "admin", true},
		{"root", "viewer", false},
		{"", "viewer", false},
		{"admin", "superuser", false},
		{"admin", "", false},
	}
	for _, c := range cases {
		if got := RoleAllows(c.role, c.need); got != c.want {
			t.Errorf("RoleAllows(%q, %q) = %v, want %v", c.role, c.need, got, c.want)
		}
	}
}
