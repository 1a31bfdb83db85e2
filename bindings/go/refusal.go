package weir

import "errors"

// isLocalRefusal reports whether err is weir's own answer (a refusal,
// an exhausted deadline, no node up) given before the dependency was
// called: never the dependency's failure. A joined error (as Retry returns
// after real failures) is not one, so only single wraps are followed.
func isLocalRefusal(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := e.(*RejectedError); ok || e == ErrDeadlineExceeded || e == ErrNoNode {
			return true
		}
	}
	return false
}
