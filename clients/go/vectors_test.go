package signet

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
	"time"
)

type vectorFile struct {
	Keys map[string]struct {
		Private map[string]string `json:"private"`
		Public  map[string]string `json:"public"`
	} `json:"keys"`
	HMACSecrets []struct {
		Secret string `json:"secret"`
		Valid  bool   `json:"valid"`
	} `json:"hmac_secrets"`
	CanonicalURLs []struct {
		Input     string  `json:"input"`
		Canonical *string `json:"canonical"`
		Origin    string  `json:"origin"`
		Target    string  `json:"target"`
	} `json:"canonical_urls"`
	BodyHashes []struct {
		Body   string `json:"body_base64url"`
		SHA256 string `json:"sha256"`
	} `json:"body_hashes"`
	Tokens []struct {
		Name     string  `json:"name"`
		Key      string  `json:"key"`
		Alg      string  `json:"alg"`
		Kid      string  `json:"kid"`
		Method   string  `json:"method"`
		URL      string  `json:"url"`
		Body     string  `json:"body_base64url"`
		Iat      int64   `json:"iat"`
		Lifetime int     `json:"lifetime"`
		Audience *string `json:"audience"`
		JTI      string  `json:"jti"`
		Token    string  `json:"token"`
	} `json:"tokens"`
	Presigned []struct {
		Key  string `json:"key"`
		Kid  string `json:"kid"`
		URL  string `json:"url"`
		Iat  int64  `json:"iat"`
		TTL  int    `json:"ttl"`
		JTI  string `json:"jti"`
		Link string `json:"link"`
	} `json:"presigned"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	text, err := os.ReadFile("../../test/clients/vectors.json")
	if err != nil {
		t.Fatalf("the vector file: %v", err)
	}
	var v vectorFile
	if err := json.Unmarshal(text, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustKey(t testing.TB, text string) SigningKey {
	t.Helper()
	key, err := ParseSigningKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func vectorKeys(t *testing.T, v vectorFile, name string) []SigningKey {
	if name == "hmac" {
		return []SigningKey{mustKey(t, v.HMACSecrets[0].Secret)}
	}
	var keys []SigningKey
	for _, format := range []string{"pem", "jwk", "openssh"} {
		keys = append(keys, mustKey(t, v.Keys[name].Private[format]))
	}
	return keys
}

func TestCanonicalisesEveryURLAsTheReferenceDoes(t *testing.T) {
	for _, c := range loadVectors(t).CanonicalURLs {
		got, ok := CanonicalizeURL(c.Input)
		if c.Canonical == nil {
			if ok {
				t.Errorf("%q: want no canonical form, got %q", c.Input, got.Href)
			}
		} else if !ok || got.Href != *c.Canonical || got.Origin != c.Origin || got.Target != c.Target {
			t.Errorf("%q: want %q, got %q (%v)", c.Input, *c.Canonical, got.Href, ok)
		}
	}
}

func TestHashesEveryBodyAsTheReferenceDoes(t *testing.T) {
	for _, c := range loadVectors(t).BodyHashes {
		body, _ := base64.RawURLEncoding.DecodeString(c.Body)
		if got := BodySHA256(body); got != c.SHA256 {
			t.Errorf("want %s, got %s", c.SHA256, got)
		}
	}
}

func TestAcceptsExactlyTheValidHMACSecrets(t *testing.T) {
	for _, c := range loadVectors(t).HMACSecrets {
		_, err := ParseHMACSecret(c.Secret)
		if (err == nil) != c.Valid {
			t.Errorf("%q: valid %v, error %v", c.Secret, c.Valid, err)
		}
	}
}

func TestSignsEveryTokenByteForByteFromEachKeyFileFormat(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Tokens {
		for _, key := range vectorKeys(t, v, c.Key) {
			if ed, ok := key.(*Ed25519Key); ok {
				ed.AlgName = c.Alg
			}
			body, _ := base64.RawURLEncoding.DecodeString(c.Body)
			audience := ""
			if c.Audience != nil {
				audience = *c.Audience
			}
			signed, err := SignRequest(Request{Method: c.Method, URL: c.URL, Body: body, Key: key, Kid: c.Kid, Now: time.Unix(c.Iat, 0), Lifetime: c.Lifetime, Audience: audience, JTI: c.JTI})
			if err != nil || signed.Token != c.Token {
				t.Errorf("%s: err %v\n got %s\nwant %s", c.Name, err, signed.Token, c.Token)
			}
		}
	}
}

func TestMakesEveryPresignedLinkByteForByte(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Presigned {
		link, err := PresignURL(c.URL, vectorKeys(t, v, c.Key)[0], c.Kid, &PresignOptions{TTL: c.TTL, Now: time.Unix(c.Iat, 0), JTI: c.JTI})
		if err != nil || link.URL != c.Link {
			t.Errorf("%s: err %v\n got %s\nwant %s", c.URL, err, link.URL, c.Link)
		}
	}
}

func TestWritesTheSameKeyFilesAsSignetKeygen(t *testing.T) {
	v := loadVectors(t)
	for name, files := range v.Keys {
		key := mustKey(t, files.Private["pem"]).(*Ed25519Key)
		comment := ""
		if name == "k1" {
			comment = "kit-vector-1"
		}
		for _, format := range []string{"pem", "jwk", "openssh"} {
			private, _ := exportPrivateKey(key, format, comment, 0x5E119E70)
			public, _ := ExportPublicKey(key.Public(), format, comment)
			if private != files.Private[format] || public != files.Public[format] {
				t.Errorf("%s %s:\n%s\n%s", name, format, private, public)
			}
		}
	}
}
