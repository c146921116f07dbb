package signet

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKid = "key_7Qx3mJtZ1pUe9LcWbR4sNa"

// noNetwork fails the test if a request reaches it.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(req *http.Request) (*http.Response, error) {
	n.t.Fatalf("a request was sent to %s", req.URL)
	return nil, nil
}

func signetError(t *testing.T, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("want a signet error %s, got %v", code, err)
	}
	return e
}

func TestKeyGenerationWritesThePrivateKey0600AndThePublicKey0644AndNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet-key.pem")
	files, err := GenerateKeyPair(path, "pem", "")
	if err != nil {
		t.Fatal(err)
	}
	for file, mode := range map[string]os.FileMode{files.PrivatePath: 0o600, files.PublicPath: 0o644} {
		if info, _ := os.Stat(file); info.Mode().Perm() != mode {
			t.Errorf("%s: mode %o", file, info.Mode().Perm())
		}
	}
	if _, err := LoadSigningKey(path, nil); err != nil {
		t.Fatal(err)
	}
	_, err = GenerateKeyPair(path, "pem", "")
	signetError(t, err, "conflict")
}

func TestAKeyFileOthersCanReadIsRefusedWithTheChmodToRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if _, err := GenerateKeyPair(path, "openssh", "me"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	_, err := LoadSigningKey(path, nil)
	if e := signetError(t, err, "invalid_request"); !strings.Contains(e.Detail, "0644") || !strings.Contains(e.Detail, "chmod 600 "+path) {
		t.Errorf("detail: %s", e.Detail)
	}
	if _, err := LoadSigningKey(path, &LoadOptions{AllowInsecurePermissions: true}); err != nil {
		t.Fatal(err)
	}
}

func TestAPublicKeyGivenAsThePrivateKeyFileIsRefused(t *testing.T) {
	for _, format := range []string{"pem", "jwk", "openssh"} {
		path := filepath.Join(t.TempDir(), "k")
		GenerateKeyPair(path, format, "")
		os.Chmod(path+".pub", 0o600)
		_, err := LoadSigningKey(path+".pub", nil)
		if e := signetError(t, err, "invalid_request"); !strings.Contains(e.Detail, "public key") {
			t.Errorf("%s: %s", format, e.Detail)
		}
	}
}

func TestASecretWithABadChecksumIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.secret")
	os.WriteFile(path, []byte(loadVectors(t).HMACSecrets[2].Secret+"\n"), 0o600)
	_, err := LoadSigningKey(path, nil)
	if e := signetError(t, err, "invalid_request"); !strings.Contains(e.Detail, "checksum") {
		t.Error(e.Detail)
	}
}

func TestAURLThatCannotBeCanonicalisedIsRefusedBeforeSending(t *testing.T) {
	key, _ := ParseSigningKey(loadVectors(t).Keys["k1"].Private["pem"])
	client := &http.Client{Transport: NewTransport(key, testKid, noNetwork{t})}
	_, err := client.Get("http://[fe80::1%25eth0]:8080/v1/whoami")
	if e := signetError(t, err, "invalid_request"); e.Status != 0 {
		t.Errorf("status %d", e.Status)
	}
	for _, url := range []string{"https://api.example.com/x#fragment", "https://user:pw@api.example.com/", "ftp://api.example.com/", "/v1/whoami"} {
		_, err := SignRequest(Request{Method: "GET", URL: url, Key: key, Kid: testKid})
		signetError(t, err, "invalid_request")
		if !strings.Contains(url, "#") { // a link drops its fragment, as the Node kit's presignUrl does
			_, err = PresignURL(url, key, testKid, nil)
			signetError(t, err, "invalid_request")
		}
	}
	for _, bad := range []Request{{Method: "GET", URL: "http://a/", Key: key, Kid: "bad kid!"}, {Method: "GET", URL: "http://a/", Key: key, Kid: testKid, Lifetime: 301}, {Method: "GE T", URL: "http://a/", Key: key, Kid: testKid}} {
		_, err := SignRequest(bad)
		signetError(t, err, "invalid_request")
	}
}

func TestProfilesAreReadAsTheCLIWritesThemAndVariablesOverrideThem(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(config, []byte(`{"default_profile":"dev","profiles":{"dev":{"server":"http://127.0.0.1:1","kid":"`+testKid+`","key_file":"/k.pem"}}}`), 0o600)
	t.Setenv("SIGNET_CONFIG", config)
	if p, err := LoadProfile("", ""); err != nil || p.Kid != testKid || p.KeyFile != "/k.pem" || p.Name != "dev" {
		t.Errorf("%+v %v", p, err)
	}
	t.Setenv("SIGNET_KID", "key_other")
	if p, _ := LoadProfile("dev", ""); p.Kid != "key_other" {
		t.Errorf("%+v", p)
	}
	_, err := LoadProfile("prod", "")
	signetError(t, err, "invalid_request")
}

func TestARedirectToAnotherOriginCarriesNoToken(t *testing.T) {
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, "other:"+r.Header.Get("Authorization"))
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, "first:"+strings.SplitN(r.Header.Get("Authorization"), " ", 2)[0])
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/landing", http.StatusFound)
	}))
	defer first.Close()
	key, _ := ParseSigningKey(loadVectors(t).Keys["k1"].Private["pem"])
	resp, err := (&http.Client{Transport: NewTransport(key, testKid, nil)}).Get(first.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Join(seen, ",") != "first:Signet,other:" {
		t.Errorf("seen %v", seen)
	}
}
