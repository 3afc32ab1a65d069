package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion prints what an operator needs to say which build runs: the
// module version (a tag when installed with `go install …@vX`, "(devel)"
// from a checkout), the VCS revision and time stamped by `go build` in a
// checkout (with "modified" when the tree had uncommitted changes), and the
// Go version and platform.
func runVersion(_ context.Context, env *Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso version")
		return 2
	}
	writeVersion(env.Stdout)
	return 0
}

func writeVersion(w io.Writer) {
	version, revision, at, modified := "unknown", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(w, "hoso %s", version)
	if revision != "" {
		fmt.Fprintf(w, " revision %s", revision)
		if at != "" {
			fmt.Fprintf(w, " (%s)", at)
		}
		if modified {
			fmt.Fprint(w, " modified")
		}
	}
	fmt.Fprintf(w, " %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
