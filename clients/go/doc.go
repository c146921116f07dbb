// Package signet signs HTTP requests for an API protected by Signet (docs/protocol.md): one
// compact JWS per request, bound to its method, canonical URL and body hash, signed with an
// Ed25519 key or an HMAC secret. Standard library only.
//
//	key, err := signet.LoadSigningKey("signet-key.pem", nil)
//	client := &http.Client{Transport: signet.NewTransport(key, "key_…", nil)}
//	resp, err := client.Get("https://api.example.com/v1/whoami")
//
// A Signet refusal (401, 403 or 429 with a problem body) comes back as an *Error carrying the
// problem's code, status, detail, request id and Retry-After.
package signet
