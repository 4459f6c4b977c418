package store

import "errors"

// ErrInvalid is returned (wrapped) when an argument cannot be used: a
// cursor that is not one a listing returned, a suppression whose scope
// CheckScope rejects.
var ErrInvalid = errors.New("invalid argument")
