package signet

import (
	"strings"
	"time"
)

// PresignOptions tunes PresignURL.
type PresignOptions struct {
	// TTL in seconds, 1 to 300 (default 60).
	TTL      int
	Now      time.Time
	Audience string
	JTI      string
}

// Presigned is a single-use GET link.
type Presigned struct {
	URL string
	// ExpiresAt is the token's exp; the server adds its clock-skew tolerance.
	ExpiresAt time.Time
	Claims    Claims
}

// linkSafe are the bytes left as they are in a link; every other byte is percent-encoded, as
// browsers and HTTP libraries would before sending (encoding a few more than they do is harmless:
// none decodes them).
const linkSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,/:;=?@[]%"

// asSent is the URL a client sends for a link: no fragment, non-ASCII and unsafe bytes encoded.
func asSent(rawURL string) string {
	if i := strings.IndexByte(rawURL, '#'); i >= 0 {
		rawURL = rawURL[:i]
	}
	var b strings.Builder
	for i := 0; i < len(rawURL); i++ {
		if c := rawURL[i]; strings.IndexByte(linkSafe, c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}

// PresignURL makes a single-use, short-lived GET link: the URL as it will be sent (canonical,
// non-ASCII percent-encoded, no fragment) plus signet_token=<a token signed for it>.
func PresignURL(rawURL string, key SigningKey, kid string, options *PresignOptions) (Presigned, error) {
	canonical, ok := CanonicalizeURL(asSent(rawURL))
	if !ok {
		return Presigned{}, badInput("Cannot presign %q: expected an absolute http(s) URL without a fragment or user info.", rawURL)
	}
	query := ""
	if i := strings.IndexByte(canonical.Target, '?'); i >= 0 {
		query = canonical.Target[i+1:]
	}
	for _, pair := range strings.Split(query, "&") {
		if strings.SplitN(pair, "=", 2)[0] == PresignParam {
			return Presigned{}, badInput("The URL already carries a %s parameter.", PresignParam)
		}
	}
	if options == nil {
		options = &PresignOptions{}
	}
	signed, err := SignRequest(Request{Method: "GET", URL: canonical.Href, Key: key, Kid: kid, Now: options.Now, Lifetime: options.TTL, Audience: options.Audience, JTI: options.JTI})
	if err != nil {
		return Presigned{}, err
	}
	separator := "?"
	if query != "" {
		separator = "&"
	}
	return Presigned{canonical.Href + separator + PresignParam + "=" + signed.Token, time.Unix(signed.Claims.Exp, 0), signed.Claims}, nil
}
