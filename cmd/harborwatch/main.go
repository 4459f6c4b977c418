// Command harborwatch watches the OT networks of a port — above all the
// networks of ship-to-shore cranes — and reports what breaks the facility's
// site model. Run 'harborwatch --help'.
package main

import (
	"context"
	"os"

	"harborwatch/internal/cli"
)

func main() {
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
