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

// PresignURL makes a single-use, short-lived GET link: the canonical URL plus
// signet_token=<a token signed for that URL without the parameter>.
func PresignURL(rawURL string, key SigningKey, kid string, options *PresignOptions) (Presigned, error) {
	canonical, ok := CanonicalizeURL(rawURL)
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
