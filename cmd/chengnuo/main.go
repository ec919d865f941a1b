// Command chengnuo is the project's command-line tool.
//
//	chengnuo bench --url URL [--clients 50] [--duration 30s] [--mode anchor|read]
//
// bench drives a department gateway with concurrent clients and prints
// throughput and latency percentiles. Every request is bounded in time and
// the run stops by itself; it only targets the URL it is given (127.0.0.1 in
// this project's scripts).
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "bench":
		err = runBench(ctx, os.Args[2:], os.Stdout)
	case "help", "-h", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "chengnuo: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: chengnuo COMMAND [flags]

commands:
  bench   load a gateway: anchor random digests (or read them) with N concurrent clients
`)
}
