//go:build !(linux && amd64) || !weir_direct || msan || asan

package weir

import "testing"

// forEachPath runs body once: this build has only the cgo path.
func forEachPath(t *testing.T, body func(t *testing.T)) { t.Run("cgo", body) }
