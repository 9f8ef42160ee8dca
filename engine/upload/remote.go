package upload

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	supabase "github.com/supabase-community/supabase-go"
)

// The requests besides uploads: bucket info, listing, signing, deleting.
// Each goes through supabase-go's storage client with a request we build
// (see putObject for why), bounded by the idle timeout and retried like an
// upload.

// storageJSON sends one JSON request to {URL}/storage/v1/{path} and decodes
// a 2xx answer into out.
func (u *uploader) storageJSON(ctx context.Context, method, path string, in, out any) (int, string, error) {
	client, err := supabase.NewClient(u.cfg.URL, u.cfg.Key, &supabase.ClientOptions{Headers: map[string]string{
		"Content-Type": TypeJSON,
	}})
	if err != nil {
		return 0, "", errors.New("create Supabase client")
	}
	var body io.Reader
	var data []byte
	if in != nil {
		if data, err = json.Marshal(in); err != nil {
			return 0, "", err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.cfg.URL+"/storage/v1/"+path, body)
	if err != nil {
		return 0, "", err
	}
	if in != nil {
		req.ContentLength = int64(len(data))
	}
	resp, err := client.Storage.Do(req, out)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		if err != nil && resp.Body != nil {
			resp.Body.Close()
		}
	}
	return status, storageMessage(err), err
}

// call runs storageJSON with retries; op names it in errors.
func (u *uploader) call(ctx context.Context, op, method, path string, in, out any) error {
	_, err := u.retry(ctx, op, targetBucket, func(actx context.Context, touch func()) (int, string, error) {
		return u.storageJSON(actx, method, path, in, out)
	})
	return err
}

// keyRole is the "role" claim of the key (a JWT), read without verifying
// it, or "" if it cannot be read. It only decides how to read an answer.
func keyRole(key string) string {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Role string `json:"role"`
	}
	json.Unmarshal(payload, &claims)
	return claims.Role
}

// bucketPublic asks the server whether the bucket is public. known is false
// when the key may not read bucket details (row-level security hides the
// bucket from an anon key, which then reads "not found"). A refused key or,
// for a service key, a missing bucket is an error.
func (u *uploader) bucketPublic(ctx context.Context) (public, known bool, err error) {
	var info struct {
		Public bool `json:"public"`
	}
	err = u.call(ctx, "read bucket "+u.cfg.Bucket, http.MethodGet, "bucket/"+u.cfg.Bucket, nil, &info)
	switch {
	case err == nil:
		return info.Public, true, nil
	case errors.Is(err, ErrBucketNotFound) && keyRole(u.cfg.Key) != "service_role":
		return false, false, nil
	}
	return false, false, err
}

// probePublic tells a public bucket from a private one by reading the
// public URL of an object that is known to be there: a private bucket's
// public URL answers 400 ("Bucket not found").
func (u *uploader) probePublic(ctx context.Context, objectPath string) (bool, error) {
	status := 0
	_, err := u.retry(ctx, "read "+objectPath, targetBucket, func(actx context.Context, touch func()) (int, string, error) {
		req, err := http.NewRequestWithContext(actx, http.MethodGet, u.cfg.PublicURL(objectPath), nil)
		if err != nil {
			return 0, "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		status = resp.StatusCode
		if status >= 500 {
			return status, "", nil
		}
		return http.StatusOK, "", nil // any 2xx or 4xx answers the question
	})
	if err != nil {
		return false, err
	}
	return status >= 200 && status < 300, nil
}

// listEntry is a row of a Storage listing.
type listEntry struct {
	Name     string `json:"name"`
	ID       *string
	Metadata *struct {
		Size int64 `json:"size"`
	} `json:"metadata"`
}

const listPage = 1000

// listRemote returns every object under {scanId}/ with its size, walking
// sub-folders (a Storage listing shows one level).
func (u *uploader) listRemote(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	var walk func(prefix string, depth int) error
	walk = func(prefix string, depth int) error {
		for offset := 0; ; offset += listPage {
			var rows []listEntry
			body := map[string]any{"prefix": prefix, "limit": listPage, "offset": offset,
				"sortBy": map[string]string{"column": "name", "order": "asc"}}
			if err := u.call(ctx, "list "+prefix+"/", http.MethodPost, "object/list/"+u.cfg.Bucket, body, &rows); err != nil {
				return err
			}
			for _, r := range rows {
				if r.Name == "" || strings.Contains(r.Name, "/") {
					continue
				}
				full := prefix + "/" + r.Name
				if r.ID == nil {
					if depth < 8 {
						if err := walk(full, depth+1); err != nil {
							return err
						}
					}
					continue
				}
				var size int64 = -1
				if r.Metadata != nil {
					size = r.Metadata.Size
				}
				out[full] = size
			}
			if len(rows) < listPage {
				return nil
			}
		}
	}
	return out, walk(u.plan.scanID, 0)
}

// sign returns signed URLs, valid for expiry, for paths (object paths).
func (u *uploader) sign(ctx context.Context, paths []string, expiry time.Duration) (map[string]string, error) {
	out := map[string]string{}
	secs := max(int(expiry/time.Second), 1)
	for start := 0; start < len(paths); start += listPage {
		batch := paths[start:min(start+listPage, len(paths))]
		var rows []struct {
			Error     *string `json:"error"`
			Path      string  `json:"path"`
			SignedURL *string `json:"signedURL"`
		}
		body := map[string]any{"expiresIn": secs, "paths": batch}
		if err := u.call(ctx, "sign URLs", http.MethodPost, "object/sign/"+u.cfg.Bucket, body, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Error != nil || r.SignedURL == nil {
				msg := "no signed URL"
				if r.Error != nil {
					msg = *r.Error
				}
				return nil, &Error{Op: "sign " + r.Path, Kind: ErrUnauthorized, Msg: u.redact(msg)}
			}
			out[r.Path] = u.cfg.URL + "/storage/v1" + *r.SignedURL
		}
	}
	for _, p := range paths {
		if out[p] == "" {
			return nil, &Error{Op: "sign " + p, Kind: ErrRejected, Msg: "the server returned no signed URL"}
		}
	}
	return out, nil
}

// remove deletes objects (paths in the bucket) and returns those the server
// reports deleted.
func (u *uploader) remove(ctx context.Context, paths []string) ([]string, error) {
	var done []string
	for start := 0; start < len(paths); start += listPage {
		batch := paths[start:min(start+listPage, len(paths))]
		var rows []struct {
			Name string `json:"name"`
		}
		if err := u.call(ctx, fmt.Sprintf("delete %d stale objects", len(batch)), http.MethodDelete, "object/"+u.cfg.Bucket,
			map[string]any{"prefixes": batch}, &rows); err != nil {
			return done, err
		}
		for _, r := range rows {
			done = append(done, r.Name)
		}
	}
	return done, nil
}

// AuthenticatedURL is the URL of objectPath for clients that send the key:
// {URL}/storage/v1/object/authenticated/{bucket}/{path}.
func (c Config) AuthenticatedURL(objectPath string) string {
	return strings.TrimRight(c.URL, "/") + "/storage/v1/object/authenticated/" + c.Bucket + "/" + objectPath
}
