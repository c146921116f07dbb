package signet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// liveFixture is the live Signet server and its keys, from the file SIGNET_KIT_FIXTURE names
// (test/clients/go-kit.test.ts starts the server and writes it).
type liveFixture struct {
	Server     string `json:"server"`
	UnknownKid string `json:"unknown_kid"`
	Keys       map[string]struct {
		Kid     string `json:"kid"`
		KeyFile string `json:"key_file"`
	}
}

func live(t *testing.T) liveFixture {
	t.Helper()
	path := os.Getenv("SIGNET_KIT_FIXTURE")
	if path == "" {
		t.Skip("no live server: SIGNET_KIT_FIXTURE is not set (run through test/clients/go-kit.test.ts)")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f liveFixture
	json.Unmarshal(text, &f)
	json.Unmarshal(text, &f.Keys)
	return f
}

func (f liveFixture) client(t *testing.T, which string, options ...Options) (*http.Client, *Transport) {
	t.Helper()
	key, err := LoadSigningKey(f.Keys[which].KeyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	transport := NewTransport(key, f.Keys[which].Kid, nil, options...)
	return &http.Client{Transport: transport, Timeout: 10 * time.Second}, transport
}

// expectJSON(t)(client.Get(...)): the JSON body of a 200 answer, or the test fails.
func expectJSON(t *testing.T) func(*http.Response, error) map[string]any {
	return func(resp *http.Response, err error) map[string]any {
		t.Helper()
		return readJSON(t, resp, err)
	}
}

func readJSON(t *testing.T, resp *http.Response, err error) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return body
}

func TestLiveASignedGetIsAccepted(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "ed25519")
	if body := expectJSON(t)(client.Get(f.Server + "/v1/whoami")); body["key_id"] != f.Keys["ed25519"].Kid {
		t.Errorf("%v", body)
	}
	expectJSON(t)(client.Get(f.Server + "/v1/whoami?q=grüße&a=1&a=2&empty=&flag&x=%2f"))
}

func TestLiveAJSONPostIsAcceptedAndTheBodyRestoredForSending(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "ed25519")
	body := expectJSON(t)(client.Post(f.Server+"/v1/echo", "application/json", strings.NewReader(`{"hello":"wörld"}`)))
	if body["body"] != `{"hello":"wörld"}` {
		t.Errorf("%v", body)
	}
}

func TestLiveABinaryPostIsAccepted(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "ed25519")
	payload := bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 300)
	// A reader without a known length: the transport reads it once and restores it.
	body := expectJSON(t)(client.Post(f.Server+"/v1/echo", "application/octet-stream", io.MultiReader(bytes.NewReader(payload))))
	if body["length"] != float64(len(payload)) || body["body_sha256"] != BodySHA256(payload) {
		t.Errorf("%v", body)
	}
}

func TestLiveConcurrentRequestsShareOneTransport(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "ed25519")
	var wg sync.WaitGroup
	statuses := make(chan int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(f.Server + "/v1/whoami")
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for status := range statuses {
		if status != 200 {
			t.Errorf("status %d", status)
		}
	}
}

func TestLiveAPresignedLinkWorksOnce(t *testing.T) {
	f := live(t)
	key, _ := LoadSigningKey(f.Keys["ed25519"].KeyFile, nil)
	link, err := PresignURL(f.Server+"/v1/whoami?format=json&q=grüße", key, f.Keys["ed25519"].Kid, &PresignOptions{TTL: 120})
	if err != nil {
		t.Fatal(err)
	}
	expectJSON(t)(http.Get(link.URL))
	again, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Body.Close()
	var problem map[string]any
	json.NewDecoder(again.Body).Decode(&problem)
	if again.StatusCode != 401 || problem["code"] != "token_replayed" {
		t.Errorf("%d %v", again.StatusCode, problem)
	}
}

func TestLiveAnHMACKeySignsAsHS256(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "hmac")
	if body := expectJSON(t)(client.Get(f.Server + "/v1/whoami")); body["mode"] != "hmac" {
		t.Errorf("%v", body)
	}
	expectJSON(t)(client.Post(f.Server+"/v1/echo", "application/json", strings.NewReader(`{"a":1}`)))
}

func TestLiveAClockTenMinutesSlowIsCorrectedOnceAndTheRequestSucceeds(t *testing.T) {
	f := live(t)
	var sent int
	slow := func() time.Time { return time.Now().Add(-10 * time.Minute) }
	key, _ := LoadSigningKey(f.Keys["ed25519"].KeyFile, nil)
	transport := NewTransport(key, f.Keys["ed25519"].Kid, countingTransport{&sent}, Options{Now: slow})
	client := &http.Client{Transport: transport}
	expectJSON(t)(client.Post(f.Server+"/v1/echo", "text/plain", strings.NewReader("once")))
	if offset := transport.ClockOffset(); sent != 2 || offset < 590*time.Second || offset > 610*time.Second {
		t.Errorf("sent %d, offset %v", sent, offset)
	}
	expectJSON(t)(client.Get(f.Server + "/v1/whoami"))
	if sent != 3 {
		t.Errorf("the learnt offset was not kept: sent %d", sent)
	}
}

func TestLiveAClockThatStaysWrongIsNotRetriedTwice(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "ed25519", Options{Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }, NoClockRetry: true})
	_, err := client.Get(f.Server + "/v1/whoami")
	if e := signetError(t, err, "token_expired"); e.Status != 401 || e.ServerTime == nil {
		t.Errorf("%+v", e)
	}
}

func TestLiveARevokedKeyIsAKeyRevokedErrorWithTheRequestID(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "revoked")
	_, err := client.Get(f.Server + "/v1/whoami")
	if e := signetError(t, err, "key_revoked"); e.Status != 401 || e.RequestID == "" || e.Detail == "" {
		t.Errorf("%+v", e)
	}
}

func TestLiveAWrongKidIsInvalidToken(t *testing.T) {
	f := live(t)
	key, _ := LoadSigningKey(f.Keys["ed25519"].KeyFile, nil)
	_, err := (&http.Client{Transport: NewTransport(key, f.UnknownKid, nil)}).Get(f.Server + "/v1/whoami")
	if e := signetError(t, err, "invalid_token"); e.Status != 401 {
		t.Errorf("%+v", e)
	}
}

func TestLiveARateLimitedConsumerGetsRateLimitedWithRetryAfter(t *testing.T) {
	f := live(t)
	client, _ := f.client(t, "limited")
	req, _ := http.NewRequestWithContext(context.Background(), "GET", f.Server+"/v1/whoami", nil)
	_, err := client.Do(req)
	var e *Error
	if !errors.As(err, &e) || e.Code != "rate_limited" || e.Status != 429 || e.RetryAfter <= 0 {
		t.Errorf("%v %+v", err, e)
	}
}

type countingTransport struct{ sent *int }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	*c.sent++
	return http.DefaultTransport.RoundTrip(req)
}
