//go:build tools

// Package tools records the binary this module builds: `go build github.com/seaweedfs/seaweedfs/weed`.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
