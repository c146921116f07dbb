package signet

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Error is every failure of this package: bad input found before anything is sent (Code
// "invalid_request" or "conflict", Status 0), or a server refusal with its problem's fields.
type Error struct {
	Code       string
	Detail     string
	Status     int
	RequestID  string
	ServerTime *int64
	// RetryAfter is the Retry-After of a 429, in seconds (0 when absent).
	RetryAfter int
	Mismatches []Mismatch
	// Problem is the whole problem body.
	Problem map[string]any
}

// Mismatch is one differing claim of a binding or audience mismatch.
type Mismatch struct {
	Claim    string `json:"claim"`
	Expected string `json:"expected"`
	Received string `json:"received"`
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return e.Code + ": " + e.Detail
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
}

func badInput(format string, args ...any) *Error {
	return &Error{Code: "invalid_request", Detail: fmt.Sprintf(format, args...)}
}

// isRefusal: the answers a signing client turns into an *Error (authentication, authorisation,
// rate limiting) when they carry a Signet problem body; everything else is returned as it is.
func isRefusal(resp *http.Response) bool {
	if resp.StatusCode != 401 && resp.StatusCode != 403 && resp.StatusCode != 429 {
		return false
	}
	return strings.HasPrefix(strings.ToLower(resp.Header.Get("Content-Type")), "application/problem+json")
}

// problemError reads a refusal's body; nil when it is not a Signet problem.
func problemError(resp *http.Response, body []byte) *Error {
	var problem map[string]any
	if json.Unmarshal(body, &problem) != nil {
		return nil
	}
	code, ok := problem["code"].(string)
	if !ok {
		return nil
	}
	e := &Error{Code: code, Status: resp.StatusCode, Problem: problem, RequestID: resp.Header.Get("Request-Id")}
	if detail, ok := problem["detail"].(string); ok {
		e.Detail = detail
	} else if title, ok := problem["title"].(string); ok {
		e.Detail = title
	}
	if id, ok := problem["request_id"].(string); ok {
		e.RequestID = id
	}
	if t, ok := problem["server_time"].(float64); ok && t == float64(int64(t)) {
		serverTime := int64(t)
		e.ServerTime = &serverTime
	}
	if seconds, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = seconds
	} else if r, ok := problem["retry_after"].(float64); ok {
		e.RetryAfter = int(r)
	}
	if list, ok := problem["mismatches"].([]any); ok {
		for _, item := range list {
			m, _ := item.(map[string]any)
			claim, ok1 := m["claim"].(string)
			expected, ok2 := m["expected"].(string)
			received, ok3 := m["received"].(string)
			if ok1 && ok2 && ok3 {
				e.Mismatches = append(e.Mismatches, Mismatch{claim, expected, received})
			}
		}
	}
	return e
}
