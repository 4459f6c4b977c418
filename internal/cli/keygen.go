package cli

import (
	"context"
	"fmt"

	"harborwatch/signing"
)

func keygenCommand() *command {
	return &command{
		name: "keygen", short: "make an ed25519 key pair for signing manifests and bundles",
		usage: "harborwatch keygen --out PREFIX",
		long: `
Makes an ed25519 key pair and writes it as two PEM files: PREFIX.key, the
private key (PKCS#8, readable by its owner only), and PREFIX.pub, the public
key (PKIX). harborwatch signs integrity baseline manifests and incident
evidence bundles with the private key; whoever checks them needs only the
public one. Existing files are never overwritten. Keep the private key
offline with the backups it protects.

Prints the key id (the first 16 hex digits of the SHA-256 of the public
key), which signed files name.

Example:
  harborwatch keygen --out /etc/harborwatch/officer`,
		run: runKeygen,
	}
}

func runKeygen(_ context.Context, e *env, args []string) error {
	c := keygenCommand()
	fs := newFlags(c, e)
	out := fs.String("out", "", "write PREFIX.key and PREFIX.pub (required)")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("keygen takes no arguments, got %q", pos[0])
	}
	if *out == "" {
		return usagef("keygen needs --out PREFIX")
	}
	priv, pub, key, err := signing.WriteKeyPair(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "key %s\nprivate %s\npublic  %s\n", signing.KeyID(key), priv, pub)
	return nil
}
