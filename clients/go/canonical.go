package signet

import (
	"regexp"
	"strings"
)

// JavaScript's \s, which the reference regular expressions use (RE2's \s is ASCII only).
const whiteSpace = `\t\n\x0b\x0c\r \x{00a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

var (
	absoluteURL  = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#@` + whiteSpace + `]+)(/[^?#` + whiteSpace + `]*)?(\?[^#` + whiteSpace + `]*)?$`)
	authority    = regexp.MustCompile(`^(?:\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::[0-9]*)?$`)
	trailingPort = regexp.MustCompile(`:([0-9]*)$`)
	escape       = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	defaultPorts = map[string]string{"http": "80", "https": "443"}
)

// CanonicalURL is the canonical form of docs/protocol.md section 3.
type CanonicalURL struct {
	// Origin is scheme://host[:port], lower case, default port dropped.
	Origin string
	// Target is the path and query, percent-escapes in upper case, empty query dropped.
	Target string
	// Href is Origin + Target: the value of the url claim.
	Href string
}

// CanonicalizeURL returns the canonical form of an absolute http(s) URL, exactly as the reference
// (src/protocol/target.ts) computes it, or false when there is none: a fragment, user info,
// another scheme, white space, a malformed authority. Nothing is decoded; dot segments stay.
func CanonicalizeURL(url string) (CanonicalURL, bool) {
	return canonicalize(url, "")
}

func canonicalize(url string, dropParam string) (CanonicalURL, bool) {
	m := absoluteURL.FindStringSubmatchIndex(url)
	if m == nil {
		return CanonicalURL{}, false
	}
	group := func(i int) (string, bool) {
		if m[2*i] < 0 {
			return "", false
		}
		return url[m[2*i]:m[2*i+1]], true
	}
	scheme, _ := group(1)
	scheme = strings.ToLower(scheme)
	if _, ok := defaultPorts[scheme]; !ok {
		return CanonicalURL{}, false
	}
	host, _ := group(2)
	host = strings.ToLower(host)
	if !authority.MatchString(host) {
		return CanonicalURL{}, false
	}
	if p := trailingPort.FindStringSubmatchIndex(host); p != nil {
		if port := host[p[2]:p[3]]; port == "" || port == defaultPorts[scheme] {
			host = host[:p[0]]
		}
	}
	path, ok := group(3)
	if !ok {
		path = "/"
	}
	path = upperEscapes(path)
	query := ""
	if q, ok := group(4); ok {
		query = upperEscapes(q[1:])
	}
	if dropParam != "" {
		kept := []string{}
		for _, pair := range strings.Split(query, "&") {
			if strings.SplitN(pair, "=", 2)[0] != dropParam {
				kept = append(kept, pair)
			}
		}
		query = strings.Join(kept, "&")
	}
	target := path
	if query != "" {
		target += "?" + query
	}
	origin := scheme + "://" + host
	return CanonicalURL{origin, target, origin + target}, true
}

func upperEscapes(text string) string {
	return escape.ReplaceAllStringFunc(text, strings.ToUpper)
}
