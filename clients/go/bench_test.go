package signet

import (
	"bytes"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

// cpuTime is this process's user + system CPU time: on a shared, loaded machine the wall clock
// measures the neighbours too, so the benchmarks also report requests per CPU-second.
func cpuTime() time.Duration {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func reportCPURate(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "req/cpu-s")
	}
}

// The signing rate of one core (bench/kits.ts runs these with GOMAXPROCS=1, pinned).

func benchKey(b *testing.B, which string) SigningKey {
	v := loadVectorsFrom(b)
	text := v.HMACSecrets[0].Secret
	if which == "ed25519" {
		text = v.Keys["k1"].Private["pem"]
	}
	key, err := ParseSigningKey(text)
	if err != nil {
		b.Fatal(err)
	}
	return key
}

var benchBody = bytes.Repeat([]byte(`{"hello":"world","n":12345}`), 40)

func benchSign(b *testing.B, which string) {
	key := benchKey(b, which)
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPURate(b, cpuTime())
	for i := 0; i < b.N; i++ {
		if _, err := SignRequest(Request{Method: "POST", URL: "http://127.0.0.1:3000/v1/echo?lang=en", Body: benchBody, Key: key, Kid: testKid}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTransport measures the Transport's own work: reading the body, signing, cloning.
func benchTransport(b *testing.B, which string) {
	transport := NewTransport(benchKey(b, which), testKid, roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
	}))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPURate(b, cpuTime())
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("POST", "http://127.0.0.1:3000/v1/echo?lang=en", bytes.NewReader(benchBody))
		if _, err := transport.RoundTrip(req); err != nil {
			b.Fatal(err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func BenchmarkSignEd25519(b *testing.B)      { benchSign(b, "ed25519") }
func BenchmarkSignHMAC(b *testing.B)         { benchSign(b, "hmac") }
func BenchmarkTransportEd25519(b *testing.B) { benchTransport(b, "ed25519") }
func BenchmarkTransportHMAC(b *testing.B)    { benchTransport(b, "hmac") }

func loadVectorsFrom(tb testing.TB) vectorFile {
	if _, err := os.Stat("../../test/clients/vectors.json"); err != nil {
		tb.Fatal(err)
	}
	return loadVectors(tb)
}
