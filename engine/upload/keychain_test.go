package upload

import (
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// TestNoKeychainMessageIsFriendly: a missing Secret Service is reported in
// words a user can act on, not as the raw D-Bus error.
func TestNoKeychainMessageIsFriendly(t *testing.T) {
	keyring.MockInitWithError(errors.New(`exec: "dbus-launch": executable file not found in $PATH`))
	defer keyring.MockInit()
	for _, err := range []error{
		func() error { _, err := GetKey(OSKeychain(), "https://x.supabase.co"); return err }(),
		SaveKey(OSKeychain(), "https://x.supabase.co", "k"),
	} {
		if !errors.Is(err, ErrNoKeychain) {
			t.Fatalf("error %v, want ErrNoKeychain", err)
		}
		msg := err.Error()
		if strings.Contains(msg, "dbus") || !strings.Contains(msg, EnvKey) || !strings.Contains(msg, "no keychain service") {
			t.Errorf("message %q", msg)
		}
	}
}
