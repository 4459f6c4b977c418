//go:build !linux

package cli

import "context"

func sensorCommand() *command {
	return &command{name: "sensor", short: "watch network interfaces live (Linux only)", usage: "harborwatch sensor --interface IF (Linux only)",
		long: "Live capture uses Linux AF_PACKET; on this system, analyze capture files instead.",
		run: func(context.Context, *env, []string) error {
			return usagef("sensor: live capture needs Linux (AF_PACKET)")
		}}
}
