package signet

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options tunes a Transport; a nil *Options means the defaults.
type Options struct {
	// Lifetime of each token in seconds (default 60; the server's maximum applies).
	Lifetime int
	// Audience defaults to each URL's origin, the server's default audience.
	Audience string
	// Now is the local clock (default time.Now); the learnt offset is added to it.
	Now func() time.Time
	// NoClockRetry turns off the one retry after a clock-skew refusal.
	NoClockRetry bool
	// MaxBodyBytes is the largest body buffered for signing (default 8 MiB).
	MaxBodyBytes int64
}

// Transport is an http.RoundTripper that signs every request before handing it to Base. Bodies
// are read once (the signature covers their exact bytes) and restored for sending and retrying.
type Transport struct {
	// Base sends the signed requests (default http.DefaultTransport).
	Base    http.RoundTripper
	key     SigningKey
	kid     string
	options Options

	mu     sync.Mutex
	offset time.Duration
}

const defaultMaxBodyBytes = 8 << 20

var clockSkewCodes = map[string]bool{"token_expired": true, "token_issued_in_future": true}

// NewTransport signs with key under kid, sending through base (nil: http.DefaultTransport):
//
//	client := &http.Client{Transport: signet.NewTransport(key, kid, nil)}
func NewTransport(key SigningKey, kid string, base http.RoundTripper, options ...Options) *Transport {
	t := &Transport{Base: base, key: key, kid: kid}
	if len(options) > 0 {
		t.options = options[0]
	}
	if t.options.Now == nil {
		t.options.Now = time.Now
	}
	if t.options.MaxBodyBytes == 0 {
		t.options.MaxBodyBytes = defaultMaxBodyBytes
	}
	return t
}

// ClockOffset is what is added to the local clock, learnt from the server's time.
func (t *Transport) ClockOffset() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.offset
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// RoundTrip signs and sends one request. A Signet refusal (401, 403, 429 with a problem body)
// is returned as an *Error (http.Client wraps it in a *url.Error: use errors.As).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A redirect to another origin is followed without a token: ours is bound to our origin and
	// must not be handed to a third party.
	if req.Response != nil && req.Response.Request != nil && origin(req.Response.Request.URL) != origin(req.URL) {
		unsigned := req.Clone(req.Context())
		unsigned.Header.Del("Authorization")
		return t.base().RoundTrip(unsigned)
	}
	body, err := t.readBody(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		signed, err := t.sign(req, body)
		if err != nil {
			return nil, err
		}
		resp, err := t.base().RoundTrip(signed)
		if err != nil || !isRefusal(resp) {
			return resp, err
		}
		problem, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		refusal := problemError(resp, problem)
		if refusal == nil {
			resp.Body = io.NopCloser(bytes.NewReader(problem))
			return resp, nil
		}
		if attempt > 0 || t.options.NoClockRetry || !clockSkewCodes[refusal.Code] || refusal.ServerTime == nil {
			return nil, refusal
		}
		// server_time is whole seconds: aim at the middle of that second.
		t.mu.Lock()
		t.offset = time.Unix(*refusal.ServerTime, 500_000_000).Sub(t.options.Now())
		t.mu.Unlock()
	}
}

func (t *Transport) readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(io.LimitReader(req.Body, t.options.MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > t.options.MaxBodyBytes {
		return nil, &Error{Code: "payload_too_large", Detail: "The request body is larger than the bytes this client buffers for signing (raise MaxBodyBytes to send more)."}
	}
	return body, nil
}

// sign returns a copy of req (a RoundTripper must not change its input) carrying the token and
// a fresh reader over the exact bytes signed.
func (t *Transport) sign(req *http.Request, body []byte) (*http.Request, error) {
	t.mu.Lock()
	now := t.options.Now().Add(t.offset)
	t.mu.Unlock()
	out := req.Clone(req.Context())
	// net/url keeps a raw query as written; bytes HTTP forbids in a request line are escaped,
	// as browsers do, so the server receives (and the token binds) a valid target.
	out.URL.RawQuery = escapeQuery(out.URL.RawQuery)
	target := out.URL.Scheme + "://" + out.URL.Host + out.URL.RequestURI()
	signed, err := SignRequest(Request{Method: req.Method, URL: target, Body: body, Key: t.key, Kid: t.kid, Now: now, Lifetime: t.options.Lifetime, Audience: t.options.Audience})
	if err != nil {
		return nil, err
	}
	out.Header.Set("Authorization", signed.Authorization)
	if body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
	return out, nil
}

// escapeQuery percent-encodes the bytes of a raw query that may not appear in a request line
// (controls, space, non-ASCII and the characters RFC 3986 excludes); all else is left as written.
func escapeQuery(query string) string {
	const hex = "0123456789ABCDEF"
	var out []byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`{|}#", c) >= 0 {
			if out == nil {
				out = append([]byte{}, query[:i]...)
			}
			out = append(out, '%', hex[c>>4], hex[c&15])
		} else if out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return query
	}
	return string(out)
}
