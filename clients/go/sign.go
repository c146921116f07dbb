package signet

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	TokenType       = "signet+jwt"
	AuthScheme      = "Signet"
	PresignParam    = "signet_token"
	DefaultLifetime = 60
	MaxLifetime     = 300
)

var (
	kidPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	jtiPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{22,128}$`)
	methodPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	b64url        = base64.RawURLEncoding
)

// SigningKey signs a token's signing input: an Ed25519Key or an HMACKey.
type SigningKey interface {
	// Alg is the token header's alg: EdDSA (or Ed25519) or HS256.
	Alg() string
	sign(data []byte) []byte
}

// Ed25519Key is an Ed25519 private key. AlgName may be "Ed25519" (RFC 9864); default "EdDSA".
type Ed25519Key struct {
	Private ed25519.PrivateKey
	AlgName string
}

func (k *Ed25519Key) Alg() string {
	if k.AlgName == "" {
		return "EdDSA"
	}
	return k.AlgName
}

func (k *Ed25519Key) sign(data []byte) []byte { return ed25519.Sign(k.Private, data) }

// Public returns the 32-byte public key.
func (k *Ed25519Key) Public() []byte { return []byte(k.Private.Public().(ed25519.PublicKey)) }

// HMACKey is an HMAC secret as the server showed it; the key is its ASCII bytes.
type HMACKey struct{ secret []byte }

func (k *HMACKey) Alg() string { return "HS256" }

func (k *HMACKey) sign(data []byte) []byte {
	mac := hmac.New(sha256.New, k.secret)
	mac.Write(data)
	return mac.Sum(nil)
}

// String never prints the secret.
func (k *HMACKey) String() string { return "HMACKey(sgnt_hs_…)" }

// Request is what SignRequest signs: the method, URL and body exactly as they are sent.
type Request struct {
	Method string
	URL    string
	Body   []byte
	Key    SigningKey
	Kid    string
	// Now defaults to time.Now().
	Now time.Time
	// Lifetime in seconds, 1 to 300; default 60.
	Lifetime int
	// Audience defaults to the URL's origin, the server's default audience.
	Audience string
	// JTI defaults to 16 fresh random bytes.
	JTI string
}

// Claims are the seven claims of docs/protocol.md section 2.2, in the order they are serialised.
type Claims struct {
	Method     string
	URL        string
	BodySHA256 string
	Aud        string
	Iat        int64
	Exp        int64
	JTI        string
}

// Signed is one signed request.
type Signed struct {
	Token         string
	Authorization string
	Claims        Claims
}

// BodySHA256 is base64url(SHA-256(body)), the body_sha256 claim.
func BodySHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return b64url.EncodeToString(sum[:])
}

// SignRequest signs one request. Bad input is an *Error before anything is sent.
func SignRequest(r Request) (Signed, error) {
	canonical, ok := CanonicalizeURL(r.URL)
	if !ok {
		return Signed{}, badInput("Cannot sign %q: expected an absolute http(s) URL without a fragment or user info.", r.URL)
	}
	if !methodPattern.MatchString(r.Method) {
		return Signed{}, badInput("%q is not an HTTP method.", r.Method)
	}
	if !kidPattern.MatchString(r.Kid) {
		return Signed{}, badInput("The key id must be 1 to 128 characters of A-Z a-z 0-9 _ -.")
	}
	if r.Key == nil {
		return Signed{}, badInput("No signing key.")
	}
	lifetime := r.Lifetime
	if lifetime == 0 {
		lifetime = DefaultLifetime
	}
	if lifetime < 1 || lifetime > MaxLifetime {
		return Signed{}, badInput("The token lifetime must be 1 to %d seconds.", MaxLifetime)
	}
	jti := r.JTI
	if jti == "" {
		random := make([]byte, 16)
		if _, err := rand.Read(random); err != nil {
			return Signed{}, err
		}
		jti = b64url.EncodeToString(random)
	} else if !jtiPattern.MatchString(jti) {
		return Signed{}, badInput("A jti must be 22 to 128 base64url characters.")
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	iat := now.Unix()
	aud := r.Audience
	if aud == "" {
		aud = canonical.Origin
	}
	claims := Claims{strings.ToUpper(r.Method), canonical.Href, BodySHA256(r.Body), aud, iat, iat + int64(lifetime), jti}
	// Serialised by hand, as JSON.stringify does (encoding/json would escape <, > and &).
	header := `{"alg":` + jsonString(r.Key.Alg()) + `,"kid":` + jsonString(r.Kid) + `,"typ":"` + TokenType + `"}`
	payload := `{"method":` + jsonString(claims.Method) + `,"url":` + jsonString(claims.URL) + `,"body_sha256":"` + claims.BodySHA256 +
		`","aud":` + jsonString(claims.Aud) + `,"iat":` + strconv.FormatInt(iat, 10) + `,"exp":` + strconv.FormatInt(claims.Exp, 10) +
		`,"jti":"` + jti + `"}`
	input := b64url.EncodeToString([]byte(header)) + "." + b64url.EncodeToString([]byte(payload))
	token := input + "." + b64url.EncodeToString(r.Key.sign([]byte(input)))
	return Signed{token, AuthScheme + " " + token, claims}, nil
}

// jsonString quotes text as JavaScript's JSON.stringify does: only ", \ and control characters
// are escaped (\b \f \n \r \t by name, the others as \u00xx); everything else is written raw.
func jsonString(text string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteString(text[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}
