package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/export"
	"harborwatch/store"
)

// SessionCookie is the name of the console's session cookie: the secret
// of a session token made by a login.
const SessionCookie = "hw_session"

// CSRFHeader carries a console session's CSRF token on API writes; the
// console's forms carry it as the field "csrf".
const CSRFHeader = "X-CSRF-Token"

// ErrBadLogin is a wrong user name or password.
var ErrBadLogin = errors.New("wrong username or password")

// ThrottledError is a login refused because of the failures before it.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %d s", int(e.Wait.Seconds()+0.999))
}

// Mount makes h serve every path the API does not (the console). Call it
// before Serve.
func (s *Server) Mount(h http.Handler) { s.console = h }

// Store is the server's store.
func (s *Server) Store() store.Store { return s.st }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.now() }

// Secure tells whether the server runs behind TLS (session cookies are
// then Secure).
func (s *Server) Secure() bool { return s.cfg.TLS }

// consoleKey reads or makes the key that signs CSRF tokens, kept in the
// data directory so that sessions keep working across restarts.
func consoleKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "console.key")
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, key, 0o600); err != nil {
		return nil, err
	}
	return key, os.Rename(tmp, path)
}

// CSRF is the CSRF token of the session whose secret is given: an HMAC
// of it under the server's key, so a page of one session cannot be used
// to forge a form of another.
func (s *Server) CSRF(session string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("csrf\x00" + session))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckCSRF tells whether token is the CSRF token of session.
func (s *Server) CheckCSRF(session, token string) bool {
	return session != "" && token != "" && hmac.Equal([]byte(s.CSRF(session)), []byte(token))
}

// Session returns who holds the session cookie of r: an error (a 401
// status) when there is none or it is not valid.
func (s *Server) Session(r *http.Request) (*Principal, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, errorf(http.StatusUnauthorized, "not logged in")
	}
	p := &Principal{Session: c.Value}
	if err := s.authenticate(r.Context(), c.Value, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Login checks a user's password, throttled per user name and per
// address, and makes a session token valid SessionTTL. It returns the
// session's secret and the user; ErrBadLogin or a *ThrottledError when
// refused. It writes the audit entry.
func (s *Server) Login(ctx context.Context, username, password, remote string) (string, store.User, time.Time, error) {
	secret, u, exp, err := s.login0(ctx, username, password, remote)
	result := "ok"
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		result = "throttled"
	case errors.Is(err, ErrBadLogin):
		result = "denied"
	case err != nil:
		result = "failed"
	}
	actor := "anonymous"
	if err == nil {
		actor = "user:" + u.Name
	}
	s.audit(ctx, actor, remote, "login", "user:"+username, result, map[string]any{"via": "console"})
	return secret, u, exp, err
}

func (s *Server) login0(ctx context.Context, username, password, remote string) (string, store.User, time.Time, error) {
	now := s.now()
	keys := []string{"user:" + username, "ip:" + remote}
	for _, k := range keys {
		if d := s.limiter.Delay(k, now); d > 0 {
			return "", store.User{}, time.Time{}, &ThrottledError{Wait: d}
		}
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return "", store.User{}, time.Time{}, ctx.Err()
	}
	u, err := s.st.User(ctx, username)
	ok := false
	if err == nil {
		ok, err = auth.CheckPassword(u.Password, password)
	} else if errors.Is(err, store.ErrNotFound) {
		// The same work as for a real user: timing does not tell names.
		_, _ = auth.CheckPassword(dummyHash(), password)
		err = nil
	}
	if err != nil {
		return "", store.User{}, time.Time{}, err
	}
	if !ok {
		for _, k := range keys {
			s.limiter.Failure(k, now)
		}
		return "", store.User{}, time.Time{}, ErrBadLogin
	}
	for _, k := range keys {
		s.limiter.Success(k, now)
	}
	secret, hash, err := auth.NewToken()
	if err != nil {
		return "", store.User{}, time.Time{}, err
	}
	exp := now.Add(SessionTTL).UTC()
	tok := store.Token{Name: sessionPrefix + u.Name, Role: u.Role, Hash: hash, Created: now.UTC(), Expires: &exp, By: "user:" + u.Name}
	if err := s.st.AddToken(ctx, tok); err != nil {
		return "", store.User{}, time.Time{}, err
	}
	return secret, u, exp, nil
}

// Logout ends the session whose secret is given (its token revoked).
func (s *Server) Logout(ctx context.Context, p *Principal, remote string) error {
	if p.Token == "" {
		return nil
	}
	err := s.st.RevokeToken(ctx, p.Token, s.now().UTC())
	result := "ok"
	if err != nil {
		result = "failed"
	}
	s.audit(ctx, p.Actor, remote, "logout", "token:"+p.Token, result, nil)
	return err
}

// ChangeState sets a finding's state for p (analyst or higher), with the
// change exported and audited.
func (s *Server) ChangeState(ctx context.Context, p *Principal, remote, site, id, state, reason string) (store.Finding, error) {
	if !auth.RoleAllows(p.Role, store.Analyst) {
		return store.Finding{}, errorf(http.StatusForbidden, "role %s may not change findings", p.Role)
	}
	if !store.ValidState(state) {
		return store.Finding{}, errorf(http.StatusBadRequest, "state %q: a person sets open, acknowledged or resolved (suppressed comes from suppressions)", state)
	}
	if state != store.Open && strings.TrimSpace(reason) == "" {
		return store.Finding{}, errorf(http.StatusBadRequest, "a reason is required to set %s", state)
	}
	f, err := s.st.SetState(ctx, site, id, store.Change{At: s.now().UTC(), Actor: p.Actor, To: state, Reason: reason})
	result := "ok"
	if err != nil {
		result = "failed"
	}
	s.audit(ctx, p.Actor, remote, "finding.state", "finding:"+site+"/"+id, result, map[string]any{"state": state, "reason": reason})
	if err == nil {
		s.export(export.Change{Kind: export.KindState, At: s.now().UTC(), Actor: p.Actor, F: f})
	}
	return f, err
}

// Suppress adds a suppression for p (analyst or higher), audited; it
// returns it and how many findings it hides.
func (s *Server) Suppress(ctx context.Context, p *Principal, remote string, sp store.Suppression) (store.Suppression, int, error) {
	if !auth.RoleAllows(p.Role, store.Analyst) {
		return sp, 0, errorf(http.StatusForbidden, "role %s may not add suppressions", p.Role)
	}
	sp.Author = p.Actor
	if sp.Created.IsZero() {
		sp.Created = s.now().UTC()
	}
	if err := sp.CheckScope(); err != nil {
		return sp, 0, errorf(http.StatusUnprocessableEntity, "suppression: %v", err)
	}
	sp, hidden, err := s.st.AddSuppression(ctx, sp)
	result := "ok"
	if err != nil {
		result = "failed"
	}
	s.audit(ctx, p.Actor, remote, "suppression.add", "suppression:"+sp.ID, result, map[string]any{"rule": sp.Rule, "reason": sp.Reason, "hidden": hidden})
	return sp, hidden, err
}

// Audit appends an entry for something done through the console.
func (s *Server) Audit(ctx context.Context, p *Principal, remote, action, target, result string, detail map[string]any) {
	s.audit(ctx, p.Actor, remote, action, target, result, detail)
}

func (s *Server) audit(ctx context.Context, actor, remote, action, target, result string, detail map[string]any) {
	raw, _ := json.Marshal(detail)
	if detail == nil {
		raw = nil
	}
	e := store.AuditEntry{At: s.now().UTC(), Actor: actor, Remote: remote, Action: action, Target: target, Result: result, Detail: raw}
	if _, err := s.st.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit log: "+err.Error(), "action", action, "error", err.Error())
	}
}

// StatusOf is the HTTP status an error of this package stands for (500
// for others): the console answers with it.
func StatusOf(err error) (int, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusInternalServerError, "internal error (see the server log)"
}

// Remote is the client address of r, as the audit log records it.
func Remote(r *http.Request) string { return remote(r) }
