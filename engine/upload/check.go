package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// CheckTimeout bounds TestConnection when cfg.Timeout is not set.
const CheckTimeout = 10 * time.Second

// TestConnection lists the configured bucket (at most one object) with the
// configured key and reports the server's answer: a one-line description
// on success, or an error quoting the status and message the server sent
// (or why it could not be reached). Nothing is uploaded.
func TestConnection(ctx context.Context, cfg Config) (string, error) {
	var missing []string
	if strings.TrimSpace(cfg.URL) == "" {
		missing = append(missing, "Supabase URL")
	}
	if strings.TrimSpace(cfg.Key) == "" {
		missing = append(missing, "key")
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%w: missing %s", ErrConfig, strings.Join(missing, " and "))
	}
	bucket := cfg.Bucket
	if bucket == "" {
		bucket = DefaultBucket
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = CheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	base := strings.TrimRight(strings.TrimSpace(cfg.URL), "/")
	body, _ := json.Marshal(map[string]any{"prefix": "", "limit": 1, "offset": 0})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/storage/v1/object/list/"+bucket, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("test connection: bad URL %q: %w", cfg.URL, err)
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Key)
	req.Header.Set("apikey", cfg.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("test connection: %s did not answer within %v", base, timeout)
		}
		return "", fmt.Errorf("test connection: cannot reach %s: %v", base, unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("test connection: the server answered %d %s%s", resp.StatusCode, http.StatusText(resp.StatusCode), serverMessage(raw))
	}
	var objs []json.RawMessage
	if err := json.Unmarshal(raw, &objs); err != nil {
		return "", fmt.Errorf("test connection: %s answered %d but not with a bucket listing (is this a Supabase project URL?)", base, resp.StatusCode)
	}
	state := "empty"
	if len(objs) > 0 {
		state = "not empty"
	}
	return fmt.Sprintf("Connected: bucket %q at %s can be listed with this key (%d %s; bucket %s).",
		bucket, base, resp.StatusCode, http.StatusText(resp.StatusCode), state), nil
}

// serverMessage extracts Supabase's {"message"/"error"} from an error body
// as ": text", or the start of the body.
func serverMessage(raw []byte) string {
	var m struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(raw, &m) == nil {
		switch {
		case m.Message != "" && m.Error != "" && m.Error != m.Message:
			return ": " + m.Error + ": " + m.Message
		case m.Message != "":
			return ": " + m.Message
		case m.Error != "":
			return ": " + m.Error
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return ""
	}
	return ": " + s
}

// unwrapURLError drops net/url's "Post \"…\":" prefix, which repeats the URL.
func unwrapURLError(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && strings.HasPrefix(err.Error(), "Post ") {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
