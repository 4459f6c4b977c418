package bus

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Embedded is a NATS server with JetStream run inside harborwatch (serve
// --nats embedded), so that sensors and a server on one machine need
// nothing else.
type Embedded struct {
	ns *server.Server
}

// StartEmbedded starts a NATS server with JetStream listening on addr
// (HOST:PORT; port 0 picks a free one), keeping its streams in dir.
func StartEmbedded(addr, dir string) (*Embedded, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded NATS address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded NATS address %q: bad port", addr)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{ServerName: "harborwatch", Host: host, Port: p,
		JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true, MaxPayload: 8 << 20})
	if err != nil {
		return nil, fmt.Errorf("bus: embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("bus: embedded NATS did not start in 10 s (is the port taken?)")
	}
	return &Embedded{ns: ns}, nil
}

// URL is the server's client URL (nats://HOST:PORT).
func (e *Embedded) URL() string { return e.ns.ClientURL() }

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.ns.Shutdown()
	e.ns.WaitForShutdown()
}
