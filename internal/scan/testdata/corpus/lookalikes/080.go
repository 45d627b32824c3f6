package cipher

// ErrBadToken is returned for a malformed token.
var ErrBadToken = errors.New("hull: malformed token")
var secretPrefix = []byte("AGE-SECRET-KEY-")
