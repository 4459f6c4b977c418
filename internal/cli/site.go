package cli

import (
	"context"
	"errors"
	"fmt"

	"harborwatch/site"
)

func siteCommand() *command {
	return &command{
		name:  "site",
		short: "check a site model (site.yaml), or draft one from captures",
		usage: "harborwatch site check FILE\n       harborwatch site learn [--out FILE] CAPTURE...   (see 'harborwatch site learn --help')",
		long: `
'site check' loads a site model strictly and prints every problem in it as
FILE:LINE:COLUMN: message — unknown keys, bad addresses, undefined zones or
windows, duplicate ids — then exits 2. A good file prints a short summary and
exits 0. The format is described in docs/formats/site-yaml.md.

'site learn' drafts a commented site model from captures — zones, conduits,
assets and remote-access gateways as the traffic shows them, and "# review:"
lines on what looks wrong — for a person to review (see 'harborwatch site
learn --help').

Examples:
  harborwatch site check examples/terminal/site.yaml
  harborwatch site learn --out site.yaml capture.pcap`,
		run: runSite,
	}
}

func runSite(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "learn" {
		return runSiteLearn(ctx, e, args[1:])
	}
	c := siteCommand()
	fs := newFlags(c, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "check" {
		return usagef("site: want 'harborwatch site check FILE' or 'harborwatch site learn CAPTURE...'")
	}
	if len(pos) != 2 {
		return usagef("site check: want exactly one FILE")
	}
	s, err := site.Load(pos[1])
	if err != nil {
		return siteProblems(e, err)
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d zones, %d conduits, %d cranes, %d assets, %d change windows, %d remote-access gateways\n",
		pos[1], len(s.Zones), len(s.Conduits), len(s.Cranes), len(s.Assets), len(s.ChangeWindows), len(s.RemoteAccess.Gateways))
	return nil
}

// siteProblems prints every problem of a site file and returns the usage
// exit (2).
func siteProblems(e *env, err error) error {
	var ps site.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(e.stderr, p.Error())
		}
		fmt.Fprintf(e.stderr, "harborwatch: %d problem(s) in the site model\n", len(ps))
		return exitError{ExitUsage}
	}
	return usageError{err}
}
