package upload

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTestConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("apikey") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch {
		case r.Header.Get("Authorization") != "Bearer good":
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"statusCode":"403","error":"Unauthorized","message":"invalid signature"}`))
		case r.URL.Path == "/storage/v1/object/list/scans":
			w.Write([]byte(`[{"name":"scan-1"}]`))
		case r.URL.Path == "/storage/v1/object/list/empty":
			w.Write([]byte(`[]`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"statusCode":"404","error":"Bucket not found","message":"Bucket not found"}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	msg, err := TestConnection(ctx, Config{URL: srv.URL + "/", Key: "good", Bucket: "scans"})
	if err != nil || !strings.Contains(msg, `bucket "scans"`) || !strings.Contains(msg, "200") || !strings.Contains(msg, "not empty") {
		t.Errorf("good bucket: %q, %v", msg, err)
	}
	if msg, err := TestConnection(ctx, Config{URL: srv.URL, Key: "good", Bucket: "empty"}); err != nil || !strings.Contains(msg, "bucket empty") {
		t.Errorf("empty bucket: %q, %v", msg, err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: srv.URL, Key: "bad", Bucket: "scans"}, "400 Bad Request: Unauthorized: invalid signature"},
		{Config{URL: srv.URL, Key: "good", Bucket: "nope"}, "400 Bad Request: Bucket not found"},
		{Config{URL: "", Key: ""}, "missing Supabase URL and key"},
		{Config{URL: srv.URL, Key: ""}, "missing key"},
	} {
		_, err := TestConnection(ctx, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg.Bucket, err, c.want)
		}
	}
	if _, err := TestConnection(ctx, Config{URL: "http://", Key: "k"}); err == nil {
		t.Error("no host: no error")
	}
	if _, err := TestConnection(ctx, Config{URL: "", Key: "k"}); !errors.Is(err, ErrConfig) {
		t.Errorf("missing URL: %v, want ErrConfig", err)
	}
	// A server that never answers: the timeout says so.
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	_, err = TestConnection(ctx, Config{URL: hang.URL, Key: "k", Timeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("hanging server: %v", err)
	}
}
